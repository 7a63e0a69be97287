//! The shop webhook's steps ([`super::shop_webhooks::ShopWebhookSteps`]), written once for both
//! backends: `impl_shop_webhook_steps!(Backend)` expands in each backend's `tx.rs`, which
//! supplies by name only `LOCK_SHOP` (`FOR UPDATE SKIP LOCKED`, or nothing on SQLite).

use super::rows::corrupt;
use super::shop_webhooks::{ShopWebhookJob, ShopWebhookResult};
use super::StoreError;
use crate::domain::TenantId;

/// Due pending deliveries; the backend appends `LOCK_SHOP`.
pub(super) const DUE_SHOP_WEBHOOKS: &str = "SELECT id, tenant, case_id, body, attempts FROM shop_webhooks \
     WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2";

/// `$1` id, `$2` now, `$3` status, `$4` error, `$5` next attempt (kept when NULL).
pub(super) const FINISH_SHOP_WEBHOOK: &str = "UPDATE shop_webhooks SET status = $3, last_error = $4, \
     next_attempt_at = COALESCE($5, next_attempt_at), attempts = attempts + 1, \
     finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE $2 END WHERE id = $1 AND status = 'pending'";

pub(super) type DueRow = (i64, String, i64, String, i32);

pub(super) fn job((id, tenant, case_id, body, attempts): DueRow) -> Result<ShopWebhookJob, StoreError> {
    Ok(ShopWebhookJob {
        id,
        tenant: TenantId::parse(&tenant).map_err(|e| corrupt("tenant", e))?,
        case_id,
        body,
        attempts: u32::try_from(attempts).unwrap_or(0),
    })
}

/// Status, error and next attempt of `result`.
pub(super) fn finish_columns(
    result: &ShopWebhookResult,
) -> (&'static str, Option<&str>, Option<chrono::DateTime<chrono::Utc>>) {
    match result {
        ShopWebhookResult::Delivered => ("delivered", None, None),
        ShopWebhookResult::Retry { error, at } => ("pending", Some(error.as_str()), Some(*at)),
        ShopWebhookResult::Failed { error } => ("failed", Some(error.as_str()), None),
    }
}

macro_rules! impl_shop_webhook_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::shop_webhooks::ShopWebhookSteps for $tx {
            async fn queue_shop_webhook(
                &mut self,
                webhook: &crate::store::shop_webhooks::NewShopWebhook,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query(
                    "INSERT INTO shop_webhooks (case_id, tenant, body, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, 'pending', 0, $4, $4) ON CONFLICT (case_id) DO NOTHING",
                )
                .bind(webhook.case_id)
                .bind(webhook.tenant.as_str())
                .bind(&webhook.body)
                .bind(webhook.created_at)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn lease_shop_webhooks(
                &mut self,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
                until: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<crate::store::shop_webhooks::ShopWebhookJob>, crate::store::StoreError> {
                use crate::store::same_sql_shop_webhooks as sql;
                let due = format!("{}{LOCK_SHOP}", sql::DUE_SHOP_WEBHOOKS);
                let rows: Vec<sql::DueRow> =
                    sqlx::query_as(&due).bind(now).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
                let jobs = rows.into_iter().map(sql::job).collect::<Result<Vec<_>, _>>()?;
                for job in &jobs {
                    sqlx::query("UPDATE shop_webhooks SET next_attempt_at = $2 WHERE id = $1")
                        .bind(job.id)
                        .bind(until)
                        .execute(&mut *self.0)
                        .await?;
                }
                Ok(jobs)
            }

            async fn finish_shop_webhook(
                &mut self,
                id: i64,
                result: &crate::store::shop_webhooks::ShopWebhookResult,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::store::StoreError> {
                let (status, error, next) = crate::store::same_sql_shop_webhooks::finish_columns(result);
                sqlx::query(crate::store::same_sql_shop_webhooks::FINISH_SHOP_WEBHOOK)
                    .bind(id)
                    .bind(now)
                    .bind(status)
                    .bind(error)
                    .bind(next)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_shop_webhook_steps;
