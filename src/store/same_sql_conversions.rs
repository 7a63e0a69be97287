//! The conversion steps ([`super::conversions::ConversionSteps`]), written once for both
//! backends: `impl_conversion_steps!(Backend)` expands in each backend's `tx.rs`.

use super::conversions::ConversionCandidate;
use super::rows::corrupt;
use super::StoreError;
use crate::domain::{DebtorId, InvoiceNumber, TenantId};
use crate::runtime::Subject;
use chrono::{DateTime, NaiveDate, Utc};

/// Recommended items since `$1` without a conversion, with the lines of the debtor's other
/// dunned invoices and of their `invoice.issued` invoices that carry the SKU.
pub(super) const CANDIDATES: &str =
    "SELECT ri.case_id, ri.tenant, ri.debtor_id, ci.number AS recommended_in, \
     ri.sku, ri.model_version, ri.recommended_at, i.number AS bought_in, i.issued_on \
     FROM recommended_items ri JOIN invoices ci ON ci.id = ri.invoice_id \
     JOIN invoices i ON i.tenant = ri.tenant AND i.debtor_id = ri.debtor_id AND i.id <> ri.invoice_id \
     JOIN invoice_lines l ON l.invoice_id = i.id AND l.sku = ri.sku \
     WHERE ri.recommended_at >= $1 AND NOT EXISTS (SELECT 1 FROM recommendation_conversions x \
       WHERE x.case_id = ri.case_id AND x.sku = ri.sku) \
     UNION ALL \
     SELECT ri.case_id, ri.tenant, ri.debtor_id, ci.number, ri.sku, ri.model_version, ri.recommended_at, \
     s.invoice_number, s.issued_on \
     FROM recommended_items ri JOIN invoices ci ON ci.id = ri.invoice_id \
     JOIN issued_lines s ON s.tenant = ri.tenant AND s.debtor_id = ri.debtor_id AND s.sku = ri.sku \
     WHERE ri.recommended_at >= $1 AND s.invoice_number <> ci.number AND NOT EXISTS (SELECT 1 \
       FROM recommendation_conversions x WHERE x.case_id = ri.case_id AND x.sku = ri.sku) \
     ORDER BY 1, 5, 9, 8";

pub(super) const OUTCOMES: &str = "SELECT ri.tenant, ri.model_version, ri.case_id, ri.sku, \
     CASE WHEN x.case_id IS NULL THEN 0 ELSE 1 END AS converted FROM recommended_items ri \
     LEFT JOIN recommendation_conversions x ON x.case_id = ri.case_id AND x.sku = ri.sku \
     ORDER BY ri.tenant, ri.model_version, ri.case_id, ri.sku";

/// The click events; `data` is JSON on PostgreSQL and text on SQLite, read as text on both.
pub(super) const CLICKS: &str = "SELECT e.case_id, CAST(e.data AS TEXT) FROM events e \
     WHERE e.kind = 'recommendation.clicked' ORDER BY e.id";

pub(super) type CandidateRow = (i64, String, String, String, String, i64, DateTime<Utc>, String, NaiveDate);

pub(super) fn candidate(
    (case_id, tenant, debtor, recommended_in, sku, model_version, recommended_at, invoice, issued_on): CandidateRow,
) -> Result<ConversionCandidate, StoreError> {
    Ok(ConversionCandidate {
        subject: Subject {
            tenant: TenantId::parse(&tenant).map_err(|e| corrupt("tenant", e))?,
            case_id,
            invoice_number: InvoiceNumber::parse(&recommended_in)
                .map_err(|e| corrupt("invoice number", e))?,
            debtor_id: DebtorId::parse(&debtor).map_err(|e| corrupt("debtor id", e))?,
        },
        sku,
        model_version,
        recommended_at,
        invoice,
        issued_on,
    })
}

macro_rules! impl_conversion_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::conversions::ConversionSteps for $tx {
            async fn conversion_candidates(
                &mut self,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<crate::store::conversions::ConversionCandidate>, crate::store::StoreError> {
                use crate::store::same_sql_conversions as sql;
                let rows: Vec<sql::CandidateRow> =
                    sqlx::query_as(sql::CANDIDATES).bind(since).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::candidate).collect()
            }

            async fn insert_conversion(
                &mut self,
                case_id: i64,
                sku: &str,
                invoice: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query(
                    "INSERT INTO recommendation_conversions (case_id, sku, invoice_number, recorded_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (case_id, sku) DO NOTHING",
                )
                .bind(case_id)
                .bind(sku)
                .bind(invoice)
                .bind(now)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn recommended_outcomes(
                &mut self,
            ) -> Result<Vec<crate::store::conversions::RecommendedOutcome>, crate::store::StoreError> {
                let rows: Vec<(String, i64, i64, String, i32)> =
                    sqlx::query_as(crate::store::same_sql_conversions::OUTCOMES)
                        .fetch_all(&mut *self.0)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(tenant, model_version, case_id, sku, converted)| {
                        crate::store::conversions::RecommendedOutcome {
                            tenant,
                            model_version,
                            case_id,
                            sku,
                            converted: converted == 1,
                        }
                    })
                    .collect())
            }

            async fn recorded_clicks(
                &mut self,
            ) -> Result<Vec<crate::store::conversions::RecordedClick>, crate::store::StoreError> {
                let rows: Vec<(Option<i64>, String)> =
                    sqlx::query_as(crate::store::same_sql_conversions::CLICKS)
                        .fetch_all(&mut *self.0)
                        .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(case_id, body)| {
                        let tenant = serde_json::from_str::<serde_json::Value>(&body)
                            .ok()?
                            .get("tenant")?
                            .as_str()?
                            .to_owned();
                        Some(crate::store::conversions::RecordedClick { tenant, case_id: case_id?, body })
                    })
                    .collect())
            }
        }
    };
}

pub(super) use impl_conversion_steps;
