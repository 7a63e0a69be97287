//! The payment steps ([`super::payments::PaymentSteps`]), written once for both backends:
//! `impl_payment_steps!(Backend)` expands in each backend's `tx.rs`, which supplies, by name,
//! only what differs between the dialects (see `crate::store::same_sql`): `LOCKED_CASE`,
//! `LOCK_CASE`, `LOCK_ROWS`, `IN_IDS`, `IN_LIST_2`, `Self::money`, `Self::ids`.
//!
//! Rows that carry a value each (a paid amount, a time) go in as one `VALUES` list with a
//! placeholder per value, which both dialects read alike (PostgreSQL learns each placeholder's
//! type from the driver); lists of ids go in the dialect's way.

use super::payments::RecordedPayment;
use super::rows::corrupt;
use super::StoreError;
use crate::domain::PaymentSource;

/// Rows per `VALUES` list: at most 8 values each, well under both backends' limit on
/// placeholders in one statement (65,535 on PostgreSQL, 32,766 on SQLite).
pub(super) const ROWS_PER_STATEMENT: usize = 1000;

/// A stored payment's key as read back: its source by name.
pub(super) fn recorded_payment(
    (invoice_id, source, reference): (i64, String, String),
) -> Result<RecordedPayment, StoreError> {
    let source = PaymentSource::ALL
        .into_iter()
        .find(|s| s.as_str() == source)
        .ok_or_else(|| corrupt("payment source", &source))?;
    Ok(RecordedPayment { invoice_id, source, reference })
}

macro_rules! impl_payment_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::payments::PaymentSteps for $tx {
            async fn lock_cases_by_invoice(
                &mut self,
                tenant: &TenantId,
                numbers: &[InvoiceNumber],
            ) -> Result<Vec<LockedCase>, StoreError> {
                if numbers.is_empty() {
                    return Ok(Vec::new());
                }
                let numbers: Vec<String> = numbers.iter().map(|n| n.as_str().to_owned()).collect();
                let sql = format!("{LOCKED_CASE} WHERE i.tenant = $1 AND i.number {IN_LIST_2} ORDER BY i.id{LOCK_CASE}");
                let rows: Vec<LockedCaseRow> = sqlx::query_as(&sql)
                    .bind(tenant.as_str())
                    .bind(Self::texts(&numbers))
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(LockedCaseRow::into_locked).collect()
            }

            async fn recorded_payments(
                &mut self,
                invoice_ids: &[i64],
            ) -> Result<Vec<crate::store::payments::RecordedPayment>, StoreError> {
                if invoice_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!("SELECT invoice_id, source, reference FROM payments WHERE invoice_id {IN_IDS}");
                let rows: Vec<(i64, String, String)> =
                    sqlx::query_as(&sql).bind(Self::ids(invoice_ids)).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(crate::store::same_sql_payments::recorded_payment).collect()
            }

            async fn insert_payments(
                &mut self,
                payments: &[NewPayment<'_>],
            ) -> Result<std::collections::HashMap<crate::store::payments::RecordedPayment, i64>, StoreError> {
                let mut ids = std::collections::HashMap::with_capacity(payments.len());
                for chunk in payments.chunks(crate::store::same_sql_payments::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "INSERT INTO payments (tenant, invoice_id, amount, currency, paid_at, source, reference, \
                         recorded_at) VALUES {} RETURNING id, invoice_id, source, reference",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 8)
                    );
                    let mut query = sqlx::query_as::<_, (i64, i64, String, String)>(&sql);
                    for payment in chunk {
                        query = query
                            .bind(payment.tenant.as_str())
                            .bind(payment.invoice_id)
                            .bind(Self::money(payment.amount.amount()))
                            .bind(payment.amount.currency().code())
                            .bind(payment.paid_at)
                            .bind(payment.source.as_str())
                            .bind(payment.reference)
                            .bind(payment.recorded_at);
                    }
                    for (id, invoice_id, source, reference) in query.fetch_all(&mut *self.0).await? {
                        let key = crate::store::same_sql_payments::recorded_payment((invoice_id, source, reference))?;
                        ids.insert(key, id);
                    }
                }
                Ok(ids)
            }

            async fn insert_allocations(
                &mut self,
                allocations: &[crate::store::payments::NewAllocation],
            ) -> Result<(), StoreError> {
                for chunk in allocations.chunks(crate::store::same_sql_payments::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "INSERT INTO payment_allocations (payment_id, position, invoice_id, rule, costs, interest, principal) \
                         VALUES {}",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 7)
                    );
                    let mut query = sqlx::query(&sql);
                    for a in chunk {
                        query = query
                            .bind(a.payment_id)
                            .bind(a.position)
                            .bind(a.invoice_id)
                            .bind(a.rule.as_str())
                            .bind(Self::money(a.applied.costs))
                            .bind(Self::money(a.applied.interest))
                            .bind(Self::money(a.applied.principal));
                    }
                    query.execute(&mut *self.0).await?;
                }
                Ok(())
            }

            async fn fix_default_dates(
                &mut self,
                defaults: &[(i64, crate::domain::legal::InDefault)],
            ) -> Result<(), StoreError> {
                for chunk in defaults.chunks(crate::store::same_sql_payments::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "WITH u (id, default_on, ground) AS (VALUES {}) \
                         UPDATE cases SET default_on = u.default_on, default_ground = u.ground FROM u \
                         WHERE cases.id = u.id AND cases.default_on IS NULL",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 3)
                    );
                    let mut query = sqlx::query(&sql);
                    for (case_id, default) in chunk {
                        query = query.bind(*case_id).bind(default.from).bind(default.ground.as_str());
                    }
                    query.execute(&mut *self.0).await?;
                }
                Ok(())
            }

            async fn case_claims(
                &mut self,
                case_ids: &[i64],
                reminded: &[i64],
                paid: &[i64],
            ) -> Result<std::collections::HashMap<i64, crate::domain::legal::CaseClaim>, StoreError> {
                use crate::store::claims::{read_histories, ClaimRow, CLAIMS_SQL};
                let mut claims = std::collections::HashMap::new();
                if case_ids.is_empty() {
                    return Ok(claims);
                }
                let sql = format!("{CLAIMS_SQL} {IN_IDS}");
                let rows: Vec<(i64, ClaimRow)> = sqlx::query_as::<_, crate::store::claims::KeyedClaimRow>(&sql)
                    .bind(Self::ids(case_ids))
                    .fetch_all(&mut *self.0)
                    .await?
                    .into_iter()
                    .map(|row| (row.case_id, row.claim))
                    .collect();
                let histories = read_histories!(&mut *self.0, reminded, paid, IN_IDS, Self::ids)?;
                for (case_id, row) in rows {
                    let (sent, paid) = histories.of(case_id);
                    claims.insert(case_id, row.into_claim(sent, paid)?);
                }
                Ok(claims)
            }

            async fn set_amounts_paid(&mut self, paid: &[(i64, Decimal)]) -> Result<(), StoreError> {
                for chunk in paid.chunks(crate::store::same_sql_payments::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "WITH u (id, paid) AS (VALUES {}) \
                         UPDATE invoices SET amount_paid = u.paid FROM u WHERE invoices.id = u.id",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 2)
                    );
                    let mut query = sqlx::query(&sql);
                    for (invoice_id, amount) in chunk {
                        query = query.bind(*invoice_id).bind(Self::money(*amount));
                    }
                    query.execute(&mut *self.0).await?;
                }
                Ok(())
            }

            async fn cancel_pending_reminders_of(
                &mut self,
                cases: &[(i64, DateTime<Utc>)],
            ) -> Result<u64, StoreError> {
                let mut cancelled = 0;
                for chunk in cases.chunks(crate::store::same_sql_payments::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "WITH u (case_id, at) AS (VALUES {}) \
                         UPDATE reminders SET status = 'cancelled', lease_until = NULL, updated_at = u.at FROM u \
                         WHERE reminders.case_id = u.case_id AND reminders.id IN ( \
                           SELECT r.id FROM reminders r WHERE r.case_id IN (SELECT case_id FROM u) \
                           AND r.status IN ('scheduled', 'queued') ORDER BY r.id{LOCK_ROWS})",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 2)
                    );
                    let mut query = sqlx::query(&sql);
                    for (case_id, at) in chunk {
                        query = query.bind(*case_id).bind(*at);
                    }
                    cancelled += query.execute(&mut *self.0).await?.rows_affected();
                }
                Ok(cancelled)
            }

            async fn queue_paid_cases(&mut self, cases: &[(i64, DateTime<Utc>)]) -> Result<(), StoreError> {
                for chunk in cases.chunks(crate::store::same_sql_payments::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "INSERT INTO paid_cases (case_id, paid_at) VALUES {} ON CONFLICT (case_id) DO NOTHING",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 2)
                    );
                    let mut query = sqlx::query(&sql);
                    for (case_id, paid_at) in chunk {
                        query = query.bind(*case_id).bind(*paid_at);
                    }
                    query.execute(&mut *self.0).await?;
                }
                Ok(())
            }

            async fn end_promises(
                &mut self,
                case_ids: &[i64],
                state: PromiseState,
                now: DateTime<Utc>,
            ) -> Result<Vec<(i64, NaiveDate)>, StoreError> {
                if case_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "UPDATE promises SET state = $2, ended_at = $3 WHERE case_id {IN_IDS} AND state = 'open' \
                     RETURNING case_id, promised_on"
                );
                Ok(sqlx::query_as(&sql)
                    .bind(Self::ids(case_ids))
                    .bind(state.as_str())
                    .bind(now)
                    .fetch_all(&mut *self.0)
                    .await?)
            }

            async fn end_instalment_plans(
                &mut self,
                case_ids: &[i64],
                state: PromiseState,
                now: DateTime<Utc>,
            ) -> Result<Vec<i64>, StoreError> {
                if case_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "UPDATE instalments SET state = $2, ended_at = $3 WHERE case_id {IN_IDS} AND state = 'open' \
                     RETURNING case_id"
                );
                let mut ended: Vec<i64> = sqlx::query_scalar(&sql)
                    .bind(Self::ids(case_ids))
                    .bind(state.as_str())
                    .bind(now)
                    .fetch_all(&mut *self.0)
                    .await?;
                ended.sort_unstable();
                ended.dedup();
                Ok(ended)
            }

            async fn unsettled_reminders(
                &mut self,
                case_ids: &[i64],
            ) -> Result<Vec<(i64, UnsettledReminder)>, StoreError> {
                if case_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT case_id, id, sent_at FROM reminders WHERE case_id {IN_IDS} AND status = 'sent' \
                     AND reward IS NULL AND sent_at IS NOT NULL AND instalment = 0 ORDER BY case_id, sent_at DESC, id DESC"
                );
                let rows: Vec<(i64, i64, DateTime<Utc>)> =
                    sqlx::query_as(&sql).bind(Self::ids(case_ids)).fetch_all(&mut *self.0).await?;
                Ok(rows.into_iter().map(|(case_id, id, sent_at)| (case_id, UnsettledReminder { id, sent_at })).collect())
            }
        }
    };
}

pub(super) use impl_payment_steps;
