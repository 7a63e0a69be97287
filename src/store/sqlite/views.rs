//! Reads on SQLite: delivery jobs, the next due time, case and reminder views, stats.

use super::tx::{SqliteTx, IN_IDS};
use crate::store::claims::{complete_jobs, read_histories, Histories, CLAIM_COLUMNS};
use crate::store::records::*;
use crate::store::rows::{DeliveryJobRow, CONSENT_COLUMNS, DEBTOR_COLUMNS};
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
         i.amount_paid, {DEBTOR_COLUMNS}, {CONSENT_COLUMNS}, {LAST_INBOUND}, r.instalment, r.escalates_after_days \
         FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
         JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE r.id IN ({placeholders})"
    );
    let mut query = sqlx::query_as::<_, DeliveryJobRow>(&sql);
    for id in ids {
        query = query.bind(id);
    }
    complete_jobs!(pool, query.fetch_all(pool).await?)
}

/// The reminders sent for the cases `sent` and the payments received for the cases `paid`.
pub(super) async fn histories(
    pool: &SqlitePool,
    sent: &[i64],
    paid: &[i64],
) -> Result<Histories, StoreError> {
    read_histories!(pool, sent, paid, IN_IDS, SqliteTx::ids)
}
