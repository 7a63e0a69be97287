//! The bookings steps ([`super::bookings::BookingSteps`]), written once for both backends:
//! `impl_booking_steps!(Backend)` expands in each backend's `tx.rs` and needs nothing of the
//! dialect. Money is read as text.

use super::bookings::{CaseEntry, PaymentEntry};
use super::rows::{case_state, corrupt, decimal};
use super::StoreError;
use crate::domain::PaymentSource;
use chrono::{DateTime, Utc};

pub(super) const PAYMENTS_BETWEEN: &str =
    "SELECT p.id, i.number, i.debtor_id, CAST(p.amount AS TEXT), p.currency, \
     p.paid_at, p.source, p.reference FROM payments p JOIN invoices i ON i.id = p.invoice_id \
     WHERE p.tenant = $1 AND i.tenant = $1 AND p.paid_at >= $2 AND p.paid_at < $3 ORDER BY p.paid_at, p.id";

pub(super) const CASE_ENTRIES: &str = "SELECT c.id, i.number, i.debtor_id, c.state, c.updated_at \
     FROM cases c JOIN invoices i ON i.id = c.invoice_id WHERE i.tenant = $1 ORDER BY c.id";

pub(super) type PaymentRow = (i64, String, String, String, String, DateTime<Utc>, String, String);

pub(super) fn payment_entry(
    (id, invoice_number, debtor_id, amount, currency, paid_at, source, reference): PaymentRow,
) -> Result<PaymentEntry, StoreError> {
    let source = PaymentSource::ALL
        .into_iter()
        .find(|s| s.as_str() == source)
        .ok_or_else(|| corrupt("payment source", &source))?;
    let amount = decimal("payment amount", &amount)?;
    Ok(PaymentEntry { id, invoice_number, debtor_id, amount, currency, paid_at, source, reference })
}

pub(super) type CaseRow = (i64, String, String, String, DateTime<Utc>);

pub(super) fn case_entry(
    (case_id, invoice_number, debtor_id, state, updated_at): CaseRow,
) -> Result<CaseEntry, StoreError> {
    Ok(CaseEntry { case_id, invoice_number, debtor_id, state: case_state(&state)?, updated_at })
}

macro_rules! impl_booking_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::bookings::BookingSteps for $tx {
            async fn payments_between(
                &mut self,
                tenant: &TenantId,
                from: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> Result<Vec<crate::store::bookings::PaymentEntry>, StoreError> {
                use crate::store::same_sql_bookings as sql;
                let rows: Vec<sql::PaymentRow> = sqlx::query_as(sql::PAYMENTS_BETWEEN)
                    .bind(tenant.as_str())
                    .bind(from)
                    .bind(until)
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::payment_entry).collect()
            }

            async fn case_entries(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::bookings::CaseEntry>, StoreError> {
                use crate::store::same_sql_bookings as sql;
                let rows: Vec<sql::CaseRow> =
                    sqlx::query_as(sql::CASE_ENTRIES).bind(tenant.as_str()).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::case_entry).collect()
            }
        }
    };
}

pub(super) use impl_booking_steps;
