//! The reminders outbox on PostgreSQL: due cases and due reminders are claimed with
//! `FOR UPDATE SKIP LOCKED`, so several schedulers and dispatchers share the work without
//! taking the same row twice; the resulting writes go out as batched `UNNEST` statements.

use crate::store::records::*;
use crate::store::rows::{CONSENT_COLUMNS, DEBTOR_COLUMNS, MESSENGER_INBOUND, PREVIOUS_SEND};
use crate::store::same_sql::revive_cancelled;
use crate::store::tx::CaseUpdate;
use crate::store::tx_rows::claimed_reminders;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};

type Tx = Transaction<'static, Postgres>;

/// The read of up to `$2` cases due at `$1`, locked (others skip them), with their invoice,
/// debtor, consents and Messenger window.
pub(super) fn due_cases_sql() -> String {
    // The due cases are chosen and locked on the cases table alone (the `cases_due` index in
    // order, stopping at the limit), and only then is each one's invoice and debtor looked up
    // by key (see [`super`]). With one join, the planner's statistics of a young,
    // fast-growing table (autovacuum analyses it late) made it join every due case before the
    // limit applied: under the pipeline benchmark's load, 4,000 debtor lookups and a sort of
    // 4,000 wide rows for a batch of 1,000, 120 ms (auto_explain, 2026-12-03); the keyed read of
    // 1,000 takes 8 ms on a quiet copy of such a database.
    format!(
        "WITH due AS MATERIALIZED ( \
           SELECT id, invoice_id, state, stages_planned, next_action_at, opened_at FROM cases \
           WHERE state IN ('open', 'reminding') AND next_action_at <= $1 \
           ORDER BY next_action_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         SELECT c.id AS case_id, c.state, c.stages_planned, c.opened_at, j.* FROM due c CROSS JOIN LATERAL ( \
           SELECT i.tenant, i.number, i.due_on, i.currency, i.amount_due::text AS amount_due, \
           i.amount_paid::text AS amount_paid, i.plan, {DEBTOR_COLUMNS}, {CONSENT_COLUMNS}, {MESSENGER_INBOUND}, {PREVIOUS_SEND} \
           FROM invoices i JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
           WHERE i.id = c.invoice_id OFFSET 0) j \
         ORDER BY c.next_action_at"
    )
}

/// Writes the case rows back in one statement.
pub(super) async fn save_cases(tx: &mut Tx, updates: &[CaseUpdate]) -> Result<(), StoreError> {
    if updates.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE cases SET state = u.state, stages_planned = u.stages, next_action_at = u.next_action, \
         updated_at = u.updated_at \
         FROM UNNEST($1::int8[], $2::text[], $3::int4[], $4::timestamptz[], $5::timestamptz[]) \
           AS u(id, state, stages, next_action, updated_at) \
         WHERE cases.id = u.id",
    )
    .bind(updates.iter().map(|u| u.case_id).collect::<Vec<_>>())
    .bind(updates.iter().map(|u| u.state.as_str()).collect::<Vec<_>>())
    .bind(updates.iter().map(|u| u.stages_planned as i32).collect::<Vec<_>>())
    .bind(updates.iter().map(|u| u.next_action_at).collect::<Vec<_>>())
    .bind(updates.iter().map(|u| u.updated_at).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts new reminders in one statement; a (case, stage, channel, instalment) already there is
/// left alone, or revived (see [`revive_cancelled`]).
pub(super) async fn insert_reminders(
    tx: &mut Tx,
    reminders: &[(i64, NewReminder)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut columns = ReminderColumns::default();
    for (case_id, reminder) in reminders {
        columns.push(*case_id, reminder);
    }
    columns.insert(tx, now).await
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
    send_by: Vec<DateTime<Utc>>,
    local_hour: Vec<i16>,
    context: Vec<serde_json::Value>,
    allowed: Vec<serde_json::Value>,
    propensity: Vec<f64>,
    policy_version: Vec<String>,
    idempotency_key: Vec<String>,
    instalment: Vec<i32>,
    escalates_after_days: Vec<Option<i32>>,
}

impl ReminderColumns {
    fn push(&mut self, case_id: i64, r: &NewReminder) {
        self.case_id.push(case_id);
        self.stage.push(r.stage as i32);
        self.stage_name.push(r.stage_name.clone());
        self.tone.push(r.tone.as_str());
        self.fee.push(r.fee);
        self.channel.push(r.channel.as_str());
        self.send_at.push(r.send_at);
        self.send_by.push(r.send_by);
        self.local_hour.push(r.local_hour as i16);
        self.context.push(r.context.clone());
        self.allowed.push(r.allowed.clone());
        self.propensity.push(r.propensity);
        self.policy_version.push(r.policy_version.to_string());
        self.idempotency_key.push(idempotency_key(case_id, r.stage, r.instalment));
        self.instalment.push(r.instalment as i32);
        self.escalates_after_days.push(r.escalates_after_days.map(|days| days as i32));
    }

    async fn insert(self, tx: &mut Tx, now: DateTime<Utc>) -> Result<(), StoreError> {
        if self.case_id.is_empty() {
            return Ok(());
        }
        sqlx::query(concat!(
            "INSERT INTO reminders (case_id, tenant, stage, stage_name, tone, fee, channel, send_at, local_hour, context, \
             propensity, policy_version, status, attempts, idempotency_key, created_at, updated_at, allowed, send_by, \
             instalment, escalates_after_days) \
             SELECT u.case_id, c.tenant, u.stage, u.stage_name, u.tone, u.fee, u.channel, u.send_at, u.local_hour, \
             u.context, u.propensity, u.policy_version, 'scheduled', 0, u.idempotency_key, $13, $13, u.allowed, \
             u.send_by, u.instalment, u.escalates_after_days \
             FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::numeric[], $6::text[], \
               $7::timestamptz[], $8::int2[], $9::jsonb[], $10::float8[], $11::text[], $12::text[], $14::jsonb[], \
               $15::timestamptz[], $16::int4[], $17::int4[]) \
               AS u(case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context, propensity, \
                    policy_version, idempotency_key, allowed, send_by, instalment, escalates_after_days) \
             JOIN cases c ON c.id = u.case_id \
             ON CONFLICT (case_id, stage, channel, instalment) ",
            revive_cancelled!()
        ))
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
        .bind(&self.send_by)
        .bind(&self.instalment)
        .bind(&self.escalates_after_days)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Leases due reminders: the sub-select locks them (others skip them) and the update writes the
/// lease, which outlives this transaction.
/// Leases up to `$3` reminders due at `$2` until `$1`: the sub-select locks them (others skip
/// them) and the update writes the lease, which outlives the transaction.
// `id = ANY(ARRAY(…))`: the sub-select runs once (an init plan) and the update finds its rows
// through the primary key. `id IN (…)` may run the sub-select more than once, each run picking
// other rows past SKIP LOCKED, so the limit would not hold; a CTE joined back was planned as a
// hash join over a sequential scan of the whole table.
pub(super) const LEASE_DUE_REMINDERS: &str = "UPDATE reminders SET lease_until = $1, updated_at = $2 \
     WHERE id = ANY(ARRAY(SELECT id FROM reminders WHERE status = 'scheduled' AND send_at <= $2 \
       AND (lease_until IS NULL OR lease_until < $2) AND (send_by IS NULL OR send_by > $2) \
       ORDER BY send_at LIMIT $3 FOR UPDATE SKIP LOCKED)) \
     RETURNING id, channel";

/// Locks due reminders until the transaction ends, without writing anything: the dispatcher
/// publishes them meanwhile and marks them queued in the same transaction, one write per
/// reminder. A channel worker fast enough to record one of them before the commit waits for it
/// on the row lock, and then finds it queued. A lease an older version set is honoured.
pub(super) async fn lock_due_reminders(
    tx: &mut Tx,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<ClaimedReminder>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, channel FROM reminders WHERE status = 'scheduled' AND send_at <= $1 \
         AND (lease_until IS NULL OR lease_until < $1) AND (send_by IS NULL OR send_by > $1) \
         ORDER BY send_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit as i64)
    .fetch_all(&mut **tx)
    .await?;
    claimed_reminders(rows)
}

/// Marks published reminders queued: those still scheduled (a channel worker may have recorded
/// one already) that were claimed, by a lease or by this transaction's lock (`locked`). Rows are
/// locked in id order first, as the channel workers' recording locks them: a worker fast enough
/// to record a batch while its dispatcher is still marking it would otherwise lock the same rows
/// in another order, and one of the two would wait out PostgreSQL's deadlock timeout (1 s).
pub(super) async fn mark_queued(
    tx: &mut Tx,
    ids: &[i64],
    locked: &[i64],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE reminders SET status = 'queued', lease_until = NULL, queued_at = $2, updated_at = $2 WHERE id = ANY(ARRAY(\
           SELECT id FROM reminders WHERE id = ANY($1) AND status = 'scheduled' \
           AND (lease_until IS NOT NULL OR id = ANY($3)) ORDER BY id FOR UPDATE))",
    )
    .bind(ids)
    .bind(now)
    .bind(locked)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
