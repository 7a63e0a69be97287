//! The statistics steps ([`super::tenant_stats::TenantStatsSteps`]), written once for both
//! backends: `impl_tenant_stats_steps!(Backend)` expands in each backend's `tx.rs` and needs
//! nothing of the dialect. Money is read as text and summed in Rust (SQLite would sum text as
//! floating point).

use super::rows::{case_state, corrupt, decimal};
use super::tenant_stats::{CaseAmounts, PaymentFact, SentFact};
use super::StoreError;
use crate::domain::PaymentSource;
use chrono::{DateTime, NaiveDate, Utc};

pub(super) const CASE_AMOUNTS: &str = "SELECT c.state, i.currency, CAST(i.amount_due AS TEXT), \
     CAST(i.amount_paid AS TEXT) FROM cases c JOIN invoices i ON i.id = c.invoice_id WHERE i.tenant = $1";

pub(super) const PAYMENT_FACTS: &str =
    "SELECT c.id, p.source, p.currency, CAST(p.amount AS TEXT), p.paid_at, \
     i.issued_on FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN cases c ON c.invoice_id = i.id \
     WHERE i.tenant = $1";

/// `$2`: the first moment of the period; the payments' own tenant column narrows the read.
pub(super) const PAYMENT_FACTS_SINCE: &str =
    "SELECT c.id, p.source, p.currency, CAST(p.amount AS TEXT), p.paid_at, \
     i.issued_on FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN cases c ON c.invoice_id = i.id \
     WHERE p.tenant = $1 AND i.tenant = $1 AND p.paid_at >= $2";

/// `$2`: the status of a sent reminder.
pub(super) const SENT_FACTS: &str = "SELECT r.case_id, r.stage, r.channel, CAST(r.local_hour AS INTEGER), \
     r.reward FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND r.status = $2 AND r.instalment = 0";

pub(super) type CaseRow = (String, String, String, String);

pub(super) fn case_amounts((state, currency, due, paid): CaseRow) -> Result<CaseAmounts, StoreError> {
    Ok(CaseAmounts {
        state: case_state(&state)?,
        currency,
        amount_due: decimal("amount due", &due)?,
        amount_paid: decimal("amount paid", &paid)?,
    })
}

pub(super) type PaymentRow = (i64, String, String, String, DateTime<Utc>, NaiveDate);

pub(super) fn payment_fact(
    (case_id, source, currency, amount, paid_at, issued_on): PaymentRow,
) -> Result<PaymentFact, StoreError> {
    let source = PaymentSource::ALL
        .into_iter()
        .find(|s| s.as_str() == source)
        .ok_or_else(|| corrupt("payment source", &source))?;
    Ok(PaymentFact { case_id, source, currency, amount: decimal("payment", &amount)?, paid_at, issued_on })
}

pub(super) type SentRow = (i64, i32, String, i32, Option<f64>);

pub(super) fn sent_fact((case_id, stage, channel, local_hour, reward): SentRow) -> SentFact {
    SentFact { case_id, stage: stage.max(0) as u32 + 1, channel, local_hour, reward }
}

macro_rules! impl_tenant_stats_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::tenant_stats::TenantStatsSteps for $tx {
            async fn case_amounts(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::tenant_stats::CaseAmounts>, StoreError> {
                use crate::store::same_sql_tenant_stats as sql;
                let rows: Vec<sql::CaseRow> =
                    sqlx::query_as(sql::CASE_AMOUNTS).bind(tenant.as_str()).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::case_amounts).collect()
            }

            async fn payment_facts(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::tenant_stats::PaymentFact>, StoreError> {
                use crate::store::same_sql_tenant_stats as sql;
                let rows: Vec<sql::PaymentRow> =
                    sqlx::query_as(sql::PAYMENT_FACTS).bind(tenant.as_str()).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::payment_fact).collect()
            }

            async fn payment_facts_since(
                &mut self,
                tenant: &TenantId,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<crate::store::tenant_stats::PaymentFact>, StoreError> {
                use crate::store::same_sql_tenant_stats as sql;
                let rows: Vec<sql::PaymentRow> = sqlx::query_as(sql::PAYMENT_FACTS_SINCE)
                    .bind(tenant.as_str())
                    .bind(since)
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::payment_fact).collect()
            }

            async fn sent_facts(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::tenant_stats::SentFact>, StoreError> {
                use crate::store::same_sql_tenant_stats as sql;
                let rows: Vec<sql::SentRow> = sqlx::query_as(sql::SENT_FACTS)
                    .bind(tenant.as_str())
                    .bind(crate::store::ReminderStatus::Sent.as_str())
                    .fetch_all(&mut *self.0)
                    .await?;
                Ok(rows.into_iter().map(sql::sent_fact).collect())
            }
        }
    };
}

pub(super) use impl_tenant_stats_steps;
