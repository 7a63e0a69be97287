//! The statistics steps ([`super::tenant_stats::TenantStatsSteps`]), written once for both
//! backends: `impl_tenant_stats_steps!(Backend)` expands in each backend's `tx.rs`, which supplies
//! by name only `CASE_AMOUNTS` ([`CASE_GROUPS`] or [`CASE_ROWS`]), `PAYMENTS` ([`PAYMENT_GROUPS`]
//! or [`PAYMENT_ROWS`]) and `EARNED` ([`EARNED_SUMS`] or [`EARNED_ROWS`]): PostgreSQL adds money
//! up exactly (`NUMERIC`), SQLite would add text as floating point, so there the amounts are read
//! row by row and added up in Rust. Counting needs no money and is done in the database on both;
//! so is the day count from an invoice's issue to its payment (the two dialects' date
//! arithmetic), which the statistics weigh payments by.

use super::rows::{case_state, corrupt, decimal};
use super::tenant_stats::{CaseAmounts, EarnedFact, PaymentSums, SentFact};
use super::StoreError;
use crate::domain::PaymentSource;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A tenant's cases in groups of one state and currency, all paid beyond their amount or none
/// (PostgreSQL).
pub(super) const CASE_GROUPS: &str =
    "SELECT c.state, i.currency, COUNT(*), CAST(SUM(i.amount_due) AS TEXT), \
     CAST(SUM(i.amount_paid) AS TEXT) FROM cases c JOIN invoices i ON i.id = c.invoice_id \
     WHERE c.tenant = $1 AND i.tenant = $1 GROUP BY c.state, i.currency, i.amount_paid > i.amount_due";

/// A tenant's cases one by one, as groups of one (SQLite).
pub(super) const CASE_ROWS: &str = "SELECT c.state, i.currency, 1, CAST(i.amount_due AS TEXT), \
     CAST(i.amount_paid AS TEXT) FROM cases c JOIN invoices i ON i.id = c.invoice_id \
     WHERE c.tenant = $1 AND i.tenant = $1";

/// A tenant's payments in groups of one source, currency and month (UTC) paid in, with their
/// amounts and their amounts times the days from the invoice's issue to the payment added up
/// (PostgreSQL). The last column is what the second sum is to be multiplied by: 1 here.
pub(super) const PAYMENT_GROUPS: &str = "SELECT p.source, p.currency, \
     CAST(date_trunc('month', p.paid_at AT TIME ZONE 'UTC') AS DATE), CAST(SUM(p.amount) AS TEXT), \
     CAST(SUM(p.amount * GREATEST(0, CAST(p.paid_at AT TIME ZONE 'UTC' AS DATE) - i.issued_on)) AS TEXT), \
     CAST(1 AS BIGINT) FROM payments p JOIN invoices i ON i.id = p.invoice_id \
     WHERE p.tenant = $1 AND i.tenant = $1 GROUP BY 1, 2, 3";

/// A tenant's payments one by one, as groups of one (SQLite): the amount twice and, last, the
/// days from the invoice's issue to the payment (none when paid before the issue), which the
/// second amount is multiplied by in Rust.
pub(super) const PAYMENT_ROWS: &str = "SELECT p.source, p.currency, date(p.paid_at, 'start of month'), \
     CAST(p.amount AS TEXT), CAST(p.amount AS TEXT), \
     MAX(0, CAST(julianday(date(p.paid_at)) - julianday(i.issued_on) AS INTEGER)) \
     FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.tenant = $1 AND i.tenant = $1";

/// `$2`: the status of a sent reminder.
pub(super) const SENT_FACTS: &str = "SELECT r.stage, r.channel, CAST(r.local_hour AS INTEGER), r.reward, \
     COUNT(*) FROM reminders r WHERE r.tenant = $1 AND r.status = $2 AND r.instalment = 0 \
     GROUP BY r.stage, r.channel, r.local_hour, r.reward";

/// What [`earned_sql`] selects and how it groups: summed per channel (PostgreSQL) …
pub(super) const EARNED_SUMS: [&str; 2] = ["CAST(SUM(p.amount) AS TEXT)", " GROUP BY r.channel"];
/// … or one payment per row (SQLite).
pub(super) const EARNED_ROWS: [&str; 2] = ["CAST(p.amount AS TEXT)", ""];

/// The payments in `$3` from `sources` sources (`$4`, …) on the cases of tenant `$1` whose
/// payment a sent (`$2`) stage reminder earned, with the reminder's channel.
pub(super) fn earned_sql([amount, grouping]: [&str; 2], sources: usize) -> String {
    let sources: Vec<String> = (0..sources.max(1)).map(|n| format!("${}", n + 4)).collect();
    format!(
        "SELECT r.channel, {amount} FROM reminders r JOIN cases c ON c.id = r.case_id \
         JOIN payments p ON p.invoice_id = c.invoice_id \
         WHERE r.tenant = $1 AND c.tenant = $1 AND p.tenant = $1 AND r.status = $2 AND r.instalment = 0 AND r.reward = 1 \
         AND p.currency = $3 AND p.source IN ({}){grouping}",
        sources.join(", ")
    )
}

pub(super) type CaseRow = (String, String, i64, String, String);

pub(super) fn case_amounts((state, currency, cases, due, paid): CaseRow) -> Result<CaseAmounts, StoreError> {
    Ok(CaseAmounts {
        state: case_state(&state)?,
        currency,
        cases: cases.max(0) as u64,
        amount_due: decimal("amount due", &due)?,
        amount_paid: decimal("amount paid", &paid)?,
    })
}

pub(super) type PaymentRow = (String, String, NaiveDate, String, String, i64);

pub(super) fn payment_sums(
    (source, currency, month, amount, weighted, days): PaymentRow,
) -> Result<PaymentSums, StoreError> {
    let source = PaymentSource::ALL
        .into_iter()
        .find(|s| s.as_str() == source)
        .ok_or_else(|| corrupt("payment source", &source))?;
    let amount_days = decimal("payment", &weighted)? * Decimal::from(days);
    Ok(PaymentSums { source, currency, month, amount: decimal("payment", &amount)?, amount_days })
}

pub(super) type SentRow = (i32, String, i32, Option<f64>, i64);

pub(super) fn sent_fact((stage, channel, local_hour, reward, sent): SentRow) -> SentFact {
    SentFact { stage: stage.max(0) as u32 + 1, channel, local_hour, reward, sent: sent.max(0) as u64 }
}

pub(super) fn earned_fact((channel, amount): (String, String)) -> Result<EarnedFact, StoreError> {
    Ok(EarnedFact { channel, amount_eur: decimal("payment", &amount)? })
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
                    sqlx::query_as(CASE_AMOUNTS).bind(tenant.as_str()).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::case_amounts).collect()
            }

            async fn payment_sums(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::tenant_stats::PaymentSums>, StoreError> {
                use crate::store::same_sql_tenant_stats as sql;
                let rows: Vec<sql::PaymentRow> =
                    sqlx::query_as(PAYMENTS).bind(tenant.as_str()).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::payment_sums).collect()
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

            async fn earned_facts(
                &mut self,
                tenant: &TenantId,
                currency: &str,
                sources: &[crate::domain::PaymentSource],
            ) -> Result<Vec<crate::store::tenant_stats::EarnedFact>, StoreError> {
                use crate::store::same_sql_tenant_stats as sql;
                if sources.is_empty() {
                    return Ok(Vec::new());
                }
                let query = sql::earned_sql(EARNED, sources.len());
                let mut statement = sqlx::query_as::<_, (String, String)>(&query)
                    .bind(tenant.as_str())
                    .bind(crate::store::ReminderStatus::Sent.as_str())
                    .bind(currency);
                for source in sources {
                    statement = statement.bind(source.as_str());
                }
                let rows = statement.fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::earned_fact).collect()
            }
        }
    };
}

pub(super) use impl_tenant_stats_steps;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earned_payments_name_every_source_after_the_currency() {
        let grouped = earned_sql(EARNED_SUMS, 3);
        assert!(grouped.starts_with("SELECT r.channel, CAST(SUM(p.amount) AS TEXT) FROM"), "{grouped}");
        assert!(
            grouped.ends_with("p.currency = $3 AND p.source IN ($4, $5, $6) GROUP BY r.channel"),
            "{grouped}"
        );
        let rows = earned_sql(EARNED_ROWS, 1);
        assert!(rows.ends_with("p.source IN ($4)"), "{rows}");
    }
}
