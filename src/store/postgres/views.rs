//! Reads on PostgreSQL: delivery jobs, the next due time, case and reminder views, stats.

use super::reports::CONSENTS;
use crate::store::records::*;
use crate::store::rows::{
    stats_from, CaseViewRow, DeliveryJobRow, ReminderViewRow, StatsRows, CONSENT_COUNTS, DEBTOR_COLUMNS,
    RECEIPT_COUNTS,
};
use crate::store::StoreError;

/// When the debtor `d` last wrote on the channel of reminder `r`.
const LAST_INBOUND: &str = "(SELECT ib.last_at FROM inbound_contacts ib WHERE ib.tenant = d.tenant AND ib.debtor_id = d.id AND ib.channel = r.channel) AS last_inbound_at";
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// The jobs of these reminders (one per reminder, however often its id is given), each looked
/// up by key (see [`super`]): one join over young tables was planned as hash joins over
/// whole-table scans of reminders, invoices and debtors (82 ms for a batch of 1,000 under the
/// pipeline benchmark's load; the keyed read of 1,000 takes 12 ms on a quiet copy).
pub(super) async fn delivery_jobs(pool: &PgPool, ids: &[i64]) -> Result<Vec<DeliveryJob>, StoreError> {
    let sql = format!(
        "SELECT j.* FROM (SELECT DISTINCT id FROM UNNEST($1::int8[]) AS u(id)) AS q CROSS JOIN LATERAL ( \
           SELECT r.id AS reminder_id, r.idempotency_key, r.status, r.attempts, r.channel, r.stage, r.stage_name, \
           r.tone, r.fee::text AS fee, c.state AS case_state, i.tenant, i.number, i.due_on, i.currency, \
           i.amount_due::text AS amount_due, i.amount_paid::text AS amount_paid, {DEBTOR_COLUMNS}, {CONSENTS}, {LAST_INBOUND} \
           FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
           JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE r.id = q.id OFFSET 0) j"
    );
    let query = sqlx::query_as::<_, DeliveryJobRow>(&sql).bind(ids);
    query.fetch_all(pool).await?.into_iter().map(DeliveryJobRow::into_job).collect()
}

pub(super) async fn next_due_at(pool: &PgPool) -> Result<Option<DateTime<Utc>>, StoreError> {
    let cases: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT next_action_at FROM cases WHERE state IN ('open', 'reminding') AND next_action_at IS NOT NULL \
         ORDER BY next_action_at LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    let reminders: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT GREATEST(send_at, lease_until) AS due FROM reminders \
         WHERE status = 'scheduled' ORDER BY due LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(cases.into_iter().chain(reminders).min())
}

pub(super) async fn case_by_invoice(
    pool: &PgPool,
    tenant: &str,
    number: &str,
) -> Result<Option<CaseView>, StoreError> {
    let row: Option<CaseViewRow> = sqlx::query_as(
        "SELECT c.id AS case_id, c.state, c.stages_planned, i.amount_paid::text AS amount_paid, c.next_action_at \
         FROM cases c JOIN invoices i ON i.id = c.invoice_id WHERE i.tenant = $1 AND i.number = $2",
    )
    .bind(tenant)
    .bind(number)
    .fetch_optional(pool)
    .await?;
    row.map(CaseViewRow::into_view).transpose()
}

pub(super) async fn reminders_of(
    pool: &PgPool,
    tenant: &str,
    number: &str,
) -> Result<Vec<ReminderView>, StoreError> {
    let rows: Vec<ReminderViewRow> = sqlx::query_as(
        "SELECT r.id, r.stage, r.channel, r.status, r.send_at, r.sent_at, r.provider_id, r.reward, r.policy_version, \
         r.receipt_status, r.receipt_at \
         FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
         WHERE i.tenant = $1 AND i.number = $2 ORDER BY r.stage, r.id",
    )
    .bind(tenant)
    .bind(number)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(ReminderViewRow::into_view).collect()
}

pub(super) async fn stats(pool: &PgPool) -> Result<Stats, StoreError> {
    let grouped = |sql: &'static str| sqlx::query_as::<_, (String, i64)>(sql).fetch_all(pool);
    let cases = grouped("SELECT state, COUNT(*) FROM cases GROUP BY state").await?;
    let statuses = grouped("SELECT status, COUNT(*) FROM reminders GROUP BY status").await?;
    let channels = grouped("SELECT channel, COUNT(*) FROM reminders GROUP BY channel").await?;
    let stages = grouped("SELECT (stage + 1)::text, COUNT(*) FROM reminders GROUP BY stage").await?;
    let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments").fetch_one(pool).await?;
    let rejections: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM intake_rejections").fetch_one(pool).await?;
    let receipts = sqlx::query_as(RECEIPT_COUNTS).fetch_all(pool).await?;
    let consents = sqlx::query_as(CONSENT_COUNTS).fetch_all(pool).await?;
    Ok(stats_from(StatsRows { cases, statuses, channels, stages, receipts, consents, payments, rejections }))
}
