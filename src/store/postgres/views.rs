//! Reads on PostgreSQL: delivery jobs, the next due time, case and reminder views, stats.

use super::tx::{PgTx, IN_IDS};
use crate::store::claims::{complete_jobs, read_histories, Histories, CLAIM_COLUMNS};
use crate::store::records::*;
use crate::store::rows::{DeliveryJobRow, CONSENT_COLUMNS, DEBTOR_COLUMNS};
use crate::store::StoreError;

/// When the debtor `d` last wrote on the channel of reminder `r`.
const LAST_INBOUND: &str = "(SELECT ib.last_at FROM inbound_contacts ib WHERE ib.tenant = d.tenant AND ib.debtor_id = d.id AND ib.channel = r.channel) AS last_inbound_at";
use sqlx::PgPool;

/// The jobs of these reminders (one per reminder, however often its id is given), each looked
/// up by key (see [`super`]): one join over young tables was planned as hash joins over
/// whole-table scans of reminders, invoices and debtors (82 ms for a batch of 1,000 under the
/// pipeline benchmark's load; the keyed read of 1,000 takes 12 ms on a quiet copy).
pub(super) async fn delivery_jobs(pool: &PgPool, ids: &[i64]) -> Result<Vec<DeliveryJob>, StoreError> {
    let sql = format!(
        "SELECT j.* FROM (SELECT DISTINCT id FROM UNNEST($1::int8[]) AS u(id)) AS q CROSS JOIN LATERAL ( \
           SELECT r.id AS reminder_id, r.idempotency_key, r.status, r.attempts, r.send_at, r.queued_at, r.channel, r.stage, r.stage_name, \
           r.tone, r.fee::text AS fee, c.state AS case_state, {CLAIM_COLUMNS}, i.tenant, i.number, i.due_on, i.currency, \
           i.amount_due::text AS amount_due, i.amount_paid::text AS amount_paid, {DEBTOR_COLUMNS}, {CONSENT_COLUMNS}, {LAST_INBOUND}, r.instalment, r.escalates_after_days \
           FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
           JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE r.id = q.id OFFSET 0) j"
    );
    let query = sqlx::query_as::<_, DeliveryJobRow>(&sql).bind(ids);
    complete_jobs!(pool, query.fetch_all(pool).await?)
}

/// The reminders sent for the cases `sent` and the payments received for the cases `paid`.
pub(super) async fn histories(pool: &PgPool, sent: &[i64], paid: &[i64]) -> Result<Histories, StoreError> {
    read_histories!(pool, sent, paid, IN_IDS, PgTx::ids)
}
