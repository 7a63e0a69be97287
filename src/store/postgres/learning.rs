//! The learning loop on PostgreSQL: reminder outcomes written as `reminder.outcome` events (one
//! decision-log line each), the event log the relay publishes from behind its cursor, and the
//! policy snapshots the learner writes and the schedulers reload.

use crate::store::records::{EventBatch, EventRecord, PolicySnapshotRecord, RelayCursor, SNAPSHOTS_KEPT};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;

type Tx = Transaction<'static, Postgres>;

/// Writes one `reminder.outcome` event per reminder in `ids`, from the reminder rows as they are
/// now (so after their reward was set). The body is a decision-log line (docs/decision-log.md): what was
/// decided, in which context, with which propensity, by which policy version, and the reward.
pub(super) async fn outcome_events(tx: &mut Tx, ids: &[i64], at: DateTime<Utc>) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO events (at, kind, case_id, data) \
         SELECT $2, 'reminder.outcome', r.case_id, json_build_object(\
           'id', r.id::text, 'reminder_id', r.id, 'tenant', i.tenant, \
           'debtor', i.tenant || '/' || i.debtor_id, 'context', r.context, 'at', r.created_at, \
           'channels', r.allowed -> 'channels', 'hours', r.allowed -> 'hours', \
           'sent_at', r.sent_at, 'channel', r.channel, 'hour', r.local_hour, 'stage', r.stage + 1, \
           'propensity', r.propensity, 'reward', r.reward, 'policy_version', r.policy_version) \
         FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
         WHERE r.id = ANY($1) ORDER BY r.id",
    )
    .bind(ids)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gives reward 0 to up to `limit` sent reminders whose attribution window closed before `now`
/// without a payment, with their outcome events. Rows another scheduler holds are skipped.
pub(super) async fn settle_outcomes(
    tx: &mut Tx,
    now: DateTime<Utc>,
    window: Duration,
    limit: u32,
) -> Result<usize, StoreError> {
    let cutoff = now - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(3));
    let ids: Vec<i64> = sqlx::query_scalar(
        // See outbox::claim_due_reminders for why the ids are an ARRAY(…).
        "UPDATE reminders SET reward = 0.0 WHERE id = ANY(ARRAY(\
           SELECT id FROM reminders WHERE status = 'sent' AND reward IS NULL AND sent_at < $1 \
           ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED)) \
         RETURNING id",
    )
    .bind(cutoff)
    .bind(limit as i64)
    .fetch_all(&mut **tx)
    .await?;
    outcome_events(tx, &ids, now).await?;
    Ok(ids.len())
}

/// The next events for the relay: holds the relay's cursor row (another relay skips it, finds
/// nothing and tries later) and reads, in (transaction, id) order after the cursor, the events of
/// transactions older than every one still running — none can commit behind them any more.
/// The transaction stays open while the events are published; [`PgRelay::advance`] moves the
/// cursor and commits, a dropped batch rolls back and leaves the cursor where it was.
pub(super) async fn next_events(pool: &PgPool, limit: u32) -> Result<Option<EventBatch>, StoreError> {
    let mut tx = pool.begin().await?;
    let cursor: Option<(String, i64)> =
        sqlx::query_as("SELECT tx::text, event_id FROM event_relay FOR UPDATE SKIP LOCKED")
            .fetch_optional(&mut *tx)
            .await?;
    let Some((after_tx, after_id)) = cursor else {
        // Held by another relay, or gone: the second would stop every event for good, silently.
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM event_relay").fetch_one(&mut *tx).await?;
        if rows == 0 {
            return Err(StoreError::Corrupt(
                "event_relay has no row: the event relay's cursor was deleted, and no event is published \
                 until it is back; INSERT INTO event_relay (tx, event_id) VALUES ('1', 0) publishes every \
                 stored event again"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let rows: Vec<(String, i64, DateTime<Utc>, String, String)> = sqlx::query_as(
        "SELECT tx::text, id, at, kind, data::text FROM events \
         WHERE (tx, id) > ($1::text::xid8, $2) AND tx < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY tx, id LIMIT $3",
    )
    .bind(&after_tx)
    .bind(after_id)
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    let Some((last_tx, last_id, ..)) = rows.last().cloned() else {
        tx.rollback().await?;
        return Ok(None);
    };
    let events = rows.into_iter().map(|(_, id, at, kind, data)| EventRecord { id, at, kind, data }).collect();
    Ok(Some(EventBatch::new(events, Box::new(PgRelay { tx, last_tx, last_id }))))
}

/// The relay's open transaction and the position of the last event it was handed.
struct PgRelay {
    tx: Tx,
    last_tx: String,
    last_id: i64,
}

#[async_trait::async_trait]
impl RelayCursor for PgRelay {
    async fn advance(self: Box<Self>) -> Result<(), StoreError> {
        let PgRelay { mut tx, last_tx, last_id } = *self;
        sqlx::query("UPDATE event_relay SET tx = $1::text::xid8, event_id = $2, updated_at = now()")
            .bind(&last_tx)
            .bind(last_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Stores a new snapshot and deletes all but the last [`SNAPSHOTS_KEPT`]; returns its version.
pub(super) async fn save_policy_snapshot(
    tx: &mut Tx,
    created_at: DateTime<Utc>,
    updates: i64,
    body: &str,
) -> Result<i64, StoreError> {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO policy_snapshots (created_at, updates, body) VALUES ($1, $2, $3) RETURNING version",
    )
    .bind(created_at)
    .bind(updates)
    .bind(body)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM policy_snapshots WHERE version <= $1")
        .bind(version - SNAPSHOTS_KEPT)
        .execute(&mut **tx)
        .await?;
    Ok(version)
}

pub(super) async fn latest_policy_version(pool: &PgPool) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT max(version) FROM policy_snapshots").fetch_one(pool).await?)
}

pub(super) async fn latest_policy_snapshot(
    pool: &PgPool,
) -> Result<Option<PolicySnapshotRecord>, StoreError> {
    let row: Option<(i64, DateTime<Utc>, i64, String)> = sqlx::query_as(
        "SELECT version, created_at, updates, body FROM policy_snapshots ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(version, created_at, updates, body)| PolicySnapshotRecord {
        version,
        created_at,
        updates,
        body,
    }))
}
