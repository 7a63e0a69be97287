//! The reminders outbox on PostgreSQL: due cases and due reminders are claimed with
//! `FOR UPDATE SKIP LOCKED`, so several schedulers and dispatchers share the work without
//! taking the same row twice; the resulting writes go out as batched `UNNEST` statements.

use super::intake::event;
use super::reports::CONSENTS;
use crate::domain::CaseEvent;
use crate::store::records::*;
use crate::store::rows::{DueCaseRow, DEBTOR_COLUMNS, MESSENGER_INBOUND};
use crate::store::{Decide, DispatchError, PublishReminders, StoreError};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;

type Tx = Transaction<'static, Postgres>;

pub(super) async fn plan_due_cases(
    tx: &mut Tx,
    now: DateTime<Utc>,
    limit: u32,
    decide: Decide<'_>,
) -> Result<usize, StoreError> {
    // The due cases are chosen and locked on the cases table alone (the `cases_due` index in
    // order, stopping at the limit), and only then is each one's invoice and debtor looked up
    // by key (see [`super`]). With one join, the planner's statistics of a young,
    // fast-growing table (autovacuum analyses it late) made it join every due case before the
    // limit applied: under the pipeline benchmark's load, 4,000 debtor lookups and a sort of
    // 4,000 wide rows for a batch of 1,000, 120 ms (auto_explain, 2026-12-03); the keyed read of
    // 1,000 takes 8 ms on a quiet copy of such a database.
    let sql = format!(
        "WITH due AS MATERIALIZED ( \
           SELECT id, invoice_id, state, stages_planned, next_action_at FROM cases \
           WHERE state IN ('open', 'reminding') AND next_action_at <= $1 \
           ORDER BY next_action_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         SELECT c.id AS case_id, c.state, c.stages_planned, j.* FROM due c CROSS JOIN LATERAL ( \
           SELECT i.tenant, i.number, i.due_on, i.currency, i.amount_due::text AS amount_due, \
           i.amount_paid::text AS amount_paid, i.plan, {DEBTOR_COLUMNS}, {CONSENTS}, {MESSENGER_INBOUND} \
           FROM invoices i JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
           WHERE i.id = c.invoice_id OFFSET 0) j \
         ORDER BY c.next_action_at"
    );
    let rows: Vec<DueCaseRow> =
        sqlx::query_as(&sql).bind(now).bind(limit as i64).fetch_all(&mut **tx).await?;
    let count = rows.len();

    let mut reminders = ReminderColumns::default();
    let (mut case_ids, mut states, mut stages, mut next_actions) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut escalated = Vec::new();
    for row in rows {
        let case = row.into_due_case()?;
        let (state, stages_planned, next_action) = match decide(&case) {
            CaseDecision::Remind(reminder) => {
                let state = case.state.apply(CaseEvent::ReminderPlanned).unwrap_or(case.state);
                let next = reminder.next_action_at;
                let stage = reminder.stage as i32 + 1;
                reminders.push(case.case_id, reminder);
                (state, stage, Some(next))
            }
            CaseDecision::Escalate => {
                escalated.push(case.case_id);
                (
                    case.state.apply(CaseEvent::PlanExhausted).unwrap_or(case.state),
                    case.stages_planned as i32,
                    None,
                )
            }
            CaseDecision::Wait { until } => (case.state, case.stages_planned as i32, Some(until)),
        };
        case_ids.push(case.case_id);
        states.push(state.as_str());
        stages.push(stages_planned);
        next_actions.push(next_action);
    }
    reminders.insert(tx, now).await?;
    if !case_ids.is_empty() {
        sqlx::query(
            "UPDATE cases SET state = u.state, stages_planned = u.stages, next_action_at = u.next_action, updated_at = $5 \
             FROM UNNEST($1::int8[], $2::text[], $3::int4[], $4::timestamptz[]) AS u(id, state, stages, next_action) \
             WHERE cases.id = u.id",
        )
        .bind(&case_ids)
        .bind(&states)
        .bind(&stages)
        .bind(&next_actions)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    for case_id in escalated {
        event(tx, now, "case.escalated", case_id, serde_json::json!({})).await?;
    }
    Ok(count)
}

/// New reminders as columns, for one `INSERT … SELECT FROM UNNEST`.
#[derive(Default)]
struct ReminderColumns {
    case_id: Vec<i64>,
    stage: Vec<i32>,
    stage_name: Vec<String>,
    tone: Vec<&'static str>,
    fee: Vec<rust_decimal::Decimal>,
    channel: Vec<&'static str>,
    send_at: Vec<DateTime<Utc>>,
    local_hour: Vec<i16>,
    context: Vec<serde_json::Value>,
    allowed: Vec<serde_json::Value>,
    propensity: Vec<f64>,
    policy_version: Vec<String>,
    idempotency_key: Vec<String>,
}

impl ReminderColumns {
    fn push(&mut self, case_id: i64, r: NewReminder) {
        self.case_id.push(case_id);
        self.stage.push(r.stage as i32);
        self.stage_name.push(r.stage_name);
        self.tone.push(r.tone.as_str());
        self.fee.push(r.fee);
        self.channel.push(r.channel.as_str());
        self.send_at.push(r.send_at);
        self.local_hour.push(r.local_hour as i16);
        self.context.push(r.context);
        self.allowed.push(r.allowed);
        self.propensity.push(r.propensity);
        self.policy_version.push(r.policy_version);
        self.idempotency_key.push(idempotency_key(case_id, r.stage));
    }

    async fn insert(self, tx: &mut Tx, now: DateTime<Utc>) -> Result<(), StoreError> {
        if self.case_id.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO reminders (case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context, \
             propensity, policy_version, status, attempts, idempotency_key, created_at, updated_at, allowed) \
             SELECT u.case_id, u.stage, u.stage_name, u.tone, u.fee, u.channel, u.send_at, u.local_hour, u.context, \
             u.propensity, u.policy_version, 'scheduled', 0, u.idempotency_key, $13, $13, u.allowed \
             FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::numeric[], $6::text[], \
               $7::timestamptz[], $8::int2[], $9::jsonb[], $10::float8[], $11::text[], $12::text[], $14::jsonb[]) \
               AS u(case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context, propensity, \
                    policy_version, idempotency_key, allowed) \
             ON CONFLICT (case_id, stage, channel) DO NOTHING",
        )
        .bind(&self.case_id)
        .bind(&self.stage)
        .bind(&self.stage_name)
        .bind(&self.tone)
        .bind(&self.fee)
        .bind(&self.channel)
        .bind(&self.send_at)
        .bind(&self.local_hour)
        .bind(&self.context)
        .bind(&self.propensity)
        .bind(&self.policy_version)
        .bind(&self.idempotency_key)
        .bind(now)
        .bind(&self.allowed)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

pub(super) async fn claim_due_reminders(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: u32,
    lease: Duration,
) -> Result<Vec<ClaimedReminder>, StoreError> {
    let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
    let rows: Vec<(i64, String)> = sqlx::query_as(
        // `id = ANY(ARRAY(…))`: the sub-select runs once (an init plan) and the update finds
        // its rows through the primary key. `id IN (…)` may run the sub-select more than once,
        // each run picking other rows past SKIP LOCKED, so the limit would not hold; a CTE
        // joined back was planned as a hash join over a sequential scan of the whole table.
        "UPDATE reminders SET lease_until = $1, updated_at = $2 WHERE id = ANY(ARRAY(\
           SELECT id FROM reminders WHERE status = 'scheduled' AND send_at <= $2 \
           AND (lease_until IS NULL OR lease_until < $2) ORDER BY send_at LIMIT $3 FOR UPDATE SKIP LOCKED)) \
         RETURNING id, channel",
    )
    .bind(lease_until)
    .bind(now)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, channel)| Ok(ClaimedReminder { id, channel: crate::store::rows::channel(&channel)? }))
        .collect()
}

/// Claims due reminders, publishes them and marks them queued, all in one transaction: the rows
/// stay locked while `publish` runs, so no other dispatcher takes them (`SKIP LOCKED`), and a
/// failed publish rolls back to where they were. A channel worker fast enough to record one of
/// them before the commit waits for it on the row lock, and then finds it queued. A lease an
/// older version set is honoured.
pub(super) async fn dispatch_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: u32,
    publish: &dyn PublishReminders,
) -> Result<usize, DispatchError> {
    let mut tx = pool.begin().await?;
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, channel FROM reminders WHERE status = 'scheduled' AND send_at <= $1 \
         AND (lease_until IS NULL OR lease_until < $1) ORDER BY send_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let claimed = rows
        .into_iter()
        .map(|(id, channel)| Ok(ClaimedReminder { id, channel: crate::store::rows::channel(&channel)? }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    publish.publish(&claimed).await.map_err(DispatchError::Publish)?;
    let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
    sqlx::query(
        "UPDATE reminders SET status = 'queued', lease_until = NULL, updated_at = $2 WHERE id = ANY($1)",
    )
    .bind(&ids)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Marks published reminders queued (those a channel worker has not recorded yet). Rows are
/// locked in id order first, as [`record_deliveries`] locks them: a worker fast enough to record
/// a batch while its dispatcher is still marking it would otherwise lock the same rows in
/// another order, and one of the two would wait out PostgreSQL's deadlock timeout (1 s) and fail.
pub(super) async fn mark_queued(pool: &PgPool, ids: &[i64]) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE reminders SET status = 'queued', lease_until = NULL WHERE id = ANY(ARRAY(\
           SELECT id FROM reminders WHERE id = ANY($1) AND status = 'scheduled' AND lease_until IS NOT NULL \
           ORDER BY id FOR UPDATE))",
    )
    .bind(ids)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn record_deliveries(
    tx: &mut Tx,
    reports: &[DeliveryReport],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Every row this transaction may write, locked in id order up front (see mark_queued).
    let ids: Vec<i64> = reports.iter().map(|report| report.reminder_id).collect();
    sqlx::query("SELECT id FROM reminders WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
    let (mut sent_ids, mut provider_ids) = (Vec::new(), Vec::new());
    for report in reports {
        let id = report.reminder_id;
        match &report.result {
            DeliveryResult::Sent { provider_id } => {
                sent_ids.push(id);
                provider_ids.push(provider_id.as_str());
            }
            DeliveryResult::Skipped { reason } => {
                sqlx::query(
                    "UPDATE reminders SET status = 'skipped', last_error = $1, lease_until = NULL, updated_at = $2 \
                     WHERE id = $3 AND status IN ('scheduled', 'queued')",
                )
                .bind(reason)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            DeliveryResult::Retry { error, retry_at } => {
                sqlx::query(
                    "UPDATE reminders SET status = 'scheduled', send_at = $1, attempts = attempts + 1, \
                     last_error = $2, lease_until = NULL, updated_at = $3 \
                     WHERE id = $4 AND status IN ('scheduled', 'queued')",
                )
                .bind(retry_at)
                .bind(error)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            DeliveryResult::Failed { error } => {
                sqlx::query(
                    "UPDATE reminders SET status = 'failed', attempts = attempts + 1, last_error = $1, \
                     lease_until = NULL, updated_at = $2 WHERE id = $3 AND status IN ('scheduled', 'queued')",
                )
                .bind(error)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            DeliveryResult::Unreachable { error, address } => {
                super::fallback::fall_back(tx, id, error, address, now).await?;
            }
            DeliveryResult::OptedOut { reason } => {
                super::fallback::opted_out(tx, id, reason, now).await?;
            }
        }
    }
    if sent_ids.is_empty() {
        return Ok(());
    }
    // Recorded as sent even if a payment cancelled it meanwhile: it did go out. One
    // `reminders.sent` event per tenant and channel lists what this batch sent (see
    // `crate::queue::SENT_EVENT`); a replayed report finds the rows sent already and adds nothing.
    // Each sent reminder's invoice is looked up by key (see [`super`]).
    sqlx::query(
        "WITH sent AS ( \
           UPDATE reminders SET status = 'sent', provider_id = u.provider_id, sent_at = $3, attempts = attempts + 1, \
             lease_until = NULL, last_error = NULL, updated_at = $3 \
           FROM UNNEST($1::int8[], $2::text[]) AS u(id, provider_id) \
           WHERE reminders.id = u.id AND reminders.status <> 'sent' \
           RETURNING reminders.id, reminders.case_id, reminders.stage, reminders.channel) \
         INSERT INTO events (at, kind, case_id, data) \
         SELECT $3, 'reminders.sent', NULL, json_build_object('tenant', i.tenant, 'channel', sent.channel, \
           'sent_at', $4::text, 'reminders', json_agg(json_build_object('reminder_id', sent.id, \
           'case_id', sent.case_id, 'invoice_number', i.number, 'stage', sent.stage + 1) ORDER BY sent.id)) \
         FROM sent CROSS JOIN LATERAL (SELECT i.tenant, i.number FROM cases c JOIN invoices i ON i.id = c.invoice_id \
           WHERE c.id = sent.case_id OFFSET 0) i \
         GROUP BY i.tenant, sent.channel ORDER BY i.tenant, sent.channel",
    )
    .bind(&sent_ids)
    .bind(&provider_ids)
    .bind(now)
    .bind(crate::store::records::event_time(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
