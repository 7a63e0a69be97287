//! The event relay on PostgreSQL: the log of events published in commit order behind a cursor.

use crate::store::records::{EventBatch, EventRecord, RelayCursor};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};

type Tx = Transaction<'static, Postgres>;

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
