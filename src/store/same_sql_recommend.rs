//! The recommendation steps ([`super::recommend::RecommendSteps`]), written once for both
//! backends: `impl_recommend_steps!(Backend)` expands in each backend's `tx.rs`, which supplies
//! by name only `LOCK_PAID` (what locks the paid cases a runner claims: `FOR UPDATE OF p SKIP
//! LOCKED`, or nothing on SQLite, whose write transaction holds the only write lock).

use super::recommend::{day_of, PaidCase, StoredRecommendation};
use super::rows::{corrupt, decimal};
use super::StoreError;
use crate::domain::{DebtorId, InvoiceNumber, TenantId};
use crate::runtime::{RecommendedItem, Subject};
use chrono::{DateTime, NaiveDate, Utc};
use mahnwerk_models::recommend::Purchase;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Lines of dunned invoices with a SKU; `$2` is a debtor id or `''` for all.
pub(super) const INVOICE_PURCHASES: &str = "SELECT i.debtor_id, d.kind AS segment, l.sku, i.issued_on, \
     CAST(l.quantity AS TEXT) AS quantity, CAST(l.unit_price AS TEXT) AS unit_price \
     FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
     JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
     WHERE i.tenant = $1 AND l.sku IS NOT NULL AND (CAST($2 AS TEXT) = '' OR i.debtor_id = $2)";

/// Lines of issued invoices that were not also sent for dunning (those count once, above).
pub(super) const ISSUED_PURCHASES: &str = "SELECT s.debtor_id, s.segment, s.sku, s.issued_on, s.quantity, \
     s.amount_cents FROM issued_lines s WHERE s.tenant = $1 AND (CAST($2 AS TEXT) = '' OR s.debtor_id = $2) \
     AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.tenant = s.tenant AND i.number = s.invoice_number)";

/// A paid case with whom it is about; the backend appends `LOCK_PAID`.
pub(super) const PAID_CASES: &str = "SELECT p.case_id, p.paid_at, i.tenant, i.number, i.debtor_id, d.kind \
     FROM paid_cases p JOIN cases c ON c.id = p.case_id JOIN invoices i ON i.id = c.invoice_id \
     JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE p.handled_at IS NULL ORDER BY p.case_id LIMIT $1";

pub(super) const RECOMMENDATION: &str = "SELECT r.case_id, r.model_version, r.created_at, r.items, \
     i.tenant, i.number, i.debtor_id FROM recommendations r JOIN cases c ON c.id = r.case_id \
     JOIN invoices i ON i.id = c.invoice_id WHERE r.tenant = $1 AND r.case_id = $2";

/// One recommended item of a case, with the case's debtor and invoice.
pub(super) const RECOMMENDED_ITEM: &str = "INSERT INTO recommended_items \
     (case_id, sku, tenant, debtor_id, invoice_id, model_version, recommended_at) \
     SELECT c.id, $2, i.tenant, i.debtor_id, i.id, $3, $4 FROM cases c JOIN invoices i ON i.id = c.invoice_id \
     WHERE c.id = $1 ON CONFLICT (case_id, sku) DO NOTHING";

/// A line of a dunned invoice as a purchase: quantity rounded up to whole items (at least one).
pub(super) fn invoice_purchase(
    (debtor, segment, sku, issued_on, quantity, unit_price): (
        String,
        String,
        String,
        NaiveDate,
        String,
        String,
    ),
) -> Result<Purchase, StoreError> {
    let quantity = decimal("line quantity", &quantity)?;
    let unit_price = decimal("line unit price", &unit_price)?;
    let cents = (quantity * unit_price * Decimal::ONE_HUNDRED).round().to_i64().unwrap_or(i64::MAX);
    Ok(Purchase {
        debtor,
        segment,
        sku,
        day: day_of(issued_on),
        quantity: quantity.ceil().to_u32().unwrap_or(u32::MAX).max(1),
        amount_cents: cents,
    })
}

pub(super) fn issued_purchase(
    (debtor, segment, sku, issued_on, quantity, amount_cents): (String, String, String, NaiveDate, i64, i64),
) -> Purchase {
    Purchase {
        debtor,
        segment,
        sku,
        day: day_of(issued_on),
        quantity: u32::try_from(quantity.max(1)).unwrap_or(u32::MAX),
        amount_cents,
    }
}

fn subject(case_id: i64, tenant: &str, number: &str, debtor: &str) -> Result<Subject, StoreError> {
    Ok(Subject {
        tenant: TenantId::parse(tenant).map_err(|e| corrupt("tenant", e))?,
        case_id,
        invoice_number: InvoiceNumber::parse(number).map_err(|e| corrupt("invoice number", e))?,
        debtor_id: DebtorId::parse(debtor).map_err(|e| corrupt("debtor id", e))?,
    })
}

pub(super) fn paid_case(
    (case_id, paid_at, tenant, number, debtor, segment): (i64, DateTime<Utc>, String, String, String, String),
) -> Result<PaidCase, StoreError> {
    Ok(PaidCase { subject: subject(case_id, &tenant, &number, &debtor)?, segment, paid_at })
}

type RecommendationRow = (i64, i64, DateTime<Utc>, String, String, String, String);

pub(super) fn stored_recommendation(
    (case_id, model_version, created_at, items, tenant, number, debtor): RecommendationRow,
) -> Result<StoredRecommendation, StoreError> {
    let items: Vec<RecommendedItem> =
        serde_json::from_str(&items).map_err(|e| corrupt("recommended items", e))?;
    Ok(StoredRecommendation {
        subject: subject(case_id, &tenant, &number, &debtor)?,
        model_version,
        created_at,
        items,
    })
}

macro_rules! impl_recommend_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::recommend::RecommendSteps for $tx {
            async fn upsert_catalogue(
                &mut self,
                tenant: &TenantId,
                items: &[mahnwerk_models::recommend::CatalogueItem],
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                for item in items {
                    sqlx::query(
                        "INSERT INTO catalogue_items (tenant, sku, name, url, price_cents, category, active, repeatable, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant, sku) DO UPDATE SET \
                         name = excluded.name, url = excluded.url, price_cents = excluded.price_cents, \
                         category = excluded.category, active = excluded.active, repeatable = excluded.repeatable, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(tenant.as_str())
                    .bind(&item.sku)
                    .bind(&item.name)
                    .bind(&item.url)
                    .bind(item.price_cents)
                    .bind(&item.category)
                    .bind(item.active)
                    .bind(item.repeatable)
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                }
                Ok(())
            }

            async fn catalogue(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<mahnwerk_models::recommend::CatalogueItem>, StoreError> {
                let rows: Vec<(String, String, String, i64, String, bool, bool)> = sqlx::query_as(
                    "SELECT sku, name, url, price_cents, category, active, repeatable FROM catalogue_items \
                     WHERE tenant = $1 ORDER BY sku",
                )
                .bind(tenant.as_str())
                .fetch_all(&mut *self.0)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(sku, name, url, price_cents, category, active, repeatable)| {
                        mahnwerk_models::recommend::CatalogueItem {
                            sku,
                            name,
                            url,
                            price_cents,
                            category,
                            active,
                            repeatable,
                        }
                    })
                    .collect())
            }

            async fn catalogue_tenants(&mut self) -> Result<Vec<TenantId>, StoreError> {
                let rows: Vec<String> =
                    sqlx::query_scalar("SELECT DISTINCT tenant FROM catalogue_items ORDER BY tenant")
                        .fetch_all(&mut *self.0)
                        .await?;
                rows.iter()
                    .map(|t| TenantId::parse(t).map_err(|e| crate::store::rows::corrupt("tenant", e)))
                    .collect()
            }

            async fn purchases(
                &mut self,
                tenant: &TenantId,
                debtor: Option<&crate::domain::DebtorId>,
            ) -> Result<Vec<mahnwerk_models::recommend::Purchase>, StoreError> {
                use crate::store::same_sql_recommend as sql;
                let who = debtor.map_or("", |d| d.as_str());
                let dunned: Vec<(String, String, String, NaiveDate, String, String)> =
                    sqlx::query_as(sql::INVOICE_PURCHASES)
                        .bind(tenant.as_str())
                        .bind(who)
                        .fetch_all(&mut *self.0)
                        .await?;
                let issued: Vec<(String, String, String, NaiveDate, i64, i64)> =
                    sqlx::query_as(sql::ISSUED_PURCHASES)
                        .bind(tenant.as_str())
                        .bind(who)
                        .fetch_all(&mut *self.0)
                        .await?;
                let mut purchases = dunned.into_iter().map(sql::invoice_purchase).collect::<Result<Vec<_>, _>>()?;
                purchases.extend(issued.into_iter().map(sql::issued_purchase));
                Ok(purchases)
            }

            async fn insert_issued_lines(
                &mut self,
                lines: &[crate::store::recommend::IssuedLine],
            ) -> Result<u64, StoreError> {
                let mut new = 0;
                for line in lines {
                    new += sqlx::query(
                        "INSERT INTO issued_lines (tenant, invoice_number, position, debtor_id, segment, sku, issued_on, quantity, amount_cents) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant, invoice_number, position) DO NOTHING",
                    )
                    .bind(line.tenant.as_str())
                    .bind(&line.invoice_number)
                    .bind(line.position)
                    .bind(line.debtor_id.as_str())
                    .bind(&line.segment)
                    .bind(&line.sku)
                    .bind(line.issued_on)
                    .bind(line.quantity)
                    .bind(line.amount_cents)
                    .execute(&mut *self.0)
                    .await?
                    .rows_affected();
                }
                Ok(new)
            }

            async fn save_recommender(
                &mut self,
                tenant: &TenantId,
                created_at: DateTime<Utc>,
                lines: i64,
                body: &str,
            ) -> Result<i64, StoreError> {
                let version: i64 = sqlx::query_scalar(
                    "INSERT INTO recommender_snapshots (tenant, created_at, lines, body) VALUES ($1, $2, $3, $4) \
                     RETURNING version",
                )
                .bind(tenant.as_str())
                .bind(created_at)
                .bind(lines)
                .bind(body)
                .fetch_one(&mut *self.0)
                .await?;
                sqlx::query(
                    "DELETE FROM recommender_snapshots WHERE tenant = $1 AND version NOT IN \
                     (SELECT version FROM recommender_snapshots WHERE tenant = $1 ORDER BY version DESC LIMIT $2)",
                )
                .bind(tenant.as_str())
                .bind(crate::store::recommend::RECOMMENDER_SNAPSHOTS_KEPT)
                .execute(&mut *self.0)
                .await?;
                Ok(version)
            }

            async fn latest_recommender_version(&mut self, tenant: &TenantId) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::query_scalar("SELECT max(version) FROM recommender_snapshots WHERE tenant = $1")
                    .bind(tenant.as_str())
                    .fetch_one(&mut *self.0)
                    .await?)
            }

            async fn latest_recommender(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Option<crate::store::recommend::RecommenderRecord>, StoreError> {
                let row: Option<(i64, DateTime<Utc>, i64, String)> = sqlx::query_as(
                    "SELECT version, created_at, lines, body FROM recommender_snapshots WHERE tenant = $1 \
                     ORDER BY version DESC LIMIT 1",
                )
                .bind(tenant.as_str())
                .fetch_optional(&mut *self.0)
                .await?;
                Ok(row.map(|(version, created_at, lines, body)| crate::store::recommend::RecommenderRecord {
                    version,
                    created_at,
                    lines,
                    body,
                }))
            }

            async fn claim_paid_cases(
                &mut self,
                limit: u32,
            ) -> Result<Vec<crate::store::recommend::PaidCase>, StoreError> {
                let sql = format!("{}{LOCK_PAID}", crate::store::same_sql_recommend::PAID_CASES);
                let rows: Vec<(i64, DateTime<Utc>, String, String, String, String)> =
                    sqlx::query_as(&sql).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(crate::store::same_sql_recommend::paid_case).collect()
            }

            async fn finish_paid_case(&mut self, case_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query("UPDATE paid_cases SET handled_at = $2 WHERE case_id = $1")
                    .bind(case_id)
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn insert_recommendation(
                &mut self,
                recommendation: &crate::store::recommend::StoredRecommendation,
            ) -> Result<bool, StoreError> {
                let items = serde_json::to_string(&recommendation.items).expect("items serialise");
                let done = sqlx::query(
                    "INSERT INTO recommendations (case_id, tenant, model_version, created_at, items) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING",
                )
                .bind(recommendation.subject.case_id)
                .bind(recommendation.subject.tenant.as_str())
                .bind(recommendation.model_version)
                .bind(recommendation.created_at)
                .bind(items)
                .execute(&mut *self.0)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                // Each item by key, for matching later purchases (conversions).
                for item in &recommendation.items {
                    sqlx::query(crate::store::same_sql_recommend::RECOMMENDED_ITEM)
                        .bind(recommendation.subject.case_id)
                        .bind(&item.sku)
                        .bind(recommendation.model_version)
                        .bind(recommendation.created_at)
                        .execute(&mut *self.0)
                        .await?;
                }
                Ok(true)
            }

            async fn recommendation(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<Option<crate::store::recommend::StoredRecommendation>, StoreError> {
                let row = sqlx::query_as(crate::store::same_sql_recommend::RECOMMENDATION)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_optional(&mut *self.0)
                    .await?;
                row.map(crate::store::same_sql_recommend::stored_recommendation).transpose()
            }
        }
    };
}

pub(super) use impl_recommend_steps;
