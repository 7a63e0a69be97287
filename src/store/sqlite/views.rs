//! Reads on SQLite: delivery jobs, the next due time, case and reminder views, stats.

use super::reports::CONSENTS;
use crate::store::claims::{paid_sql, sent_sql, Histories, PaidRow, SentRow, CLAIM_COLUMNS};
use crate::store::records::*;
use crate::store::rows::{DeliveryJobRow, DEBTOR_COLUMNS};
use crate::store::StoreError;

/// When the debtor `d` last wrote on the channel of reminder `r`.
const LAST_INBOUND: &str = "(SELECT ib.last_at FROM inbound_contacts ib WHERE ib.tenant = d.tenant AND ib.debtor_id = d.id AND ib.channel = r.channel) AS last_inbound_at";
use sqlx::SqlitePool;

pub(super) async fn delivery_jobs(pool: &SqlitePool, ids: &[i64]) -> Result<Vec<DeliveryJob>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT r.id AS reminder_id, r.idempotency_key, r.status, r.attempts, r.send_at, r.queued_at, r.channel, r.stage, r.stage_name, \
         r.tone, r.fee, c.state AS case_state, {CLAIM_COLUMNS}, i.tenant, i.number, i.due_on, i.currency, i.amount_due, \
         i.amount_paid, {DEBTOR_COLUMNS}, {CONSENTS}, {LAST_INBOUND} \
         FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
         JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE r.id IN ({placeholders})"
    );
    let mut query = sqlx::query_as::<_, DeliveryJobRow>(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let mut jobs: Vec<DeliveryJob> =
        query.fetch_all(pool).await?.into_iter().map(DeliveryJobRow::into_job).collect::<Result<_, _>>()?;
    let (sent, paid) = Histories::cases_of(&jobs);
    histories(pool, &sent, &paid).await?.attach(&mut jobs);
    Ok(jobs)
}

/// The reminders sent and the payments received for these cases.
/// The reminders sent for the cases `sent` and the payments received for the cases `paid`; no
/// query for an empty list.
pub(super) async fn histories(
    pool: &SqlitePool,
    sent: &[i64],
    paid: &[i64],
) -> Result<Histories, StoreError> {
    let filter = |cases: &[i64]| {
        format!("IN ({})", (1..=cases.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "))
    };
    let mut sent_rows: Vec<SentRow> = Vec::new();
    if !sent.is_empty() {
        let sql = sent_sql(&filter(sent));
        let mut query = sqlx::query_as::<_, SentRow>(&sql);
        for case in sent {
            query = query.bind(case);
        }
        sent_rows = query.fetch_all(pool).await?;
    }
    let mut paid_rows: Vec<PaidRow> = Vec::new();
    if !paid.is_empty() {
        let sql = paid_sql(&filter(paid));
        let mut query = sqlx::query_as::<_, PaidRow>(&sql);
        for case in paid {
            query = query.bind(case);
        }
        paid_rows = query.fetch_all(pool).await?;
    }
    Histories::from_rows(sent_rows, paid_rows)
}
