//! The super-admin steps ([`super::super_admins::SuperAdminSteps`]), written once for both
//! backends: `impl_super_admin_steps!(Backend)` expands in each backend's `tx.rs`. A super-admin's
//! failed logins are counted in `login_failures` under the empty tenant, which no tenant can be
//! (a tenant's name has 1 to 64 characters), so they never mix with an operator's.

use super::rows::corrupt;
use super::super_admins::{ApiKeySummary, OperatorSummary, SuperAdminSession};
use super::StoreError;
use crate::domain::{KeyScope, OperatorRole, TenantId};
use chrono::{DateTime, Utc};

pub(super) const SESSION: &str = "SELECT a.id, a.email, s.csrf_token, s.acting_tenant, s.expires_at \
     FROM super_admin_sessions s JOIN super_admins a ON a.id = s.super_admin_id \
     WHERE s.token_hash = $1 AND s.expires_at > $2";

pub(super) type SessionRow = (i64, String, String, Option<String>, DateTime<Utc>);

pub(super) fn session(
    (super_admin_id, email, csrf_token, acting, expires_at): SessionRow,
) -> Result<SuperAdminSession, StoreError> {
    let acting_tenant = acting
        .map(|t| TenantId::parse(&t).map_err(|e| corrupt("super_admin_sessions.acting_tenant", e)))
        .transpose()?;
    Ok(SuperAdminSession { super_admin_id, email, csrf_token, acting_tenant, expires_at })
}

/// Every tenant with a case or an operator.
pub(super) const TENANTS_IN_USE: &str =
    "SELECT tenant FROM cases UNION SELECT tenant FROM operators ORDER BY 1";

/// Every tenant with an operator or an API key not revoked.
pub(super) const TENANTS_WITH_ACCOUNTS: &str =
    "SELECT tenant FROM operators UNION SELECT tenant FROM api_keys WHERE revoked_at IS NULL ORDER BY 1";

pub(super) fn tenant(raw: &str) -> Result<TenantId, StoreError> {
    TenantId::parse(raw).map_err(|e| corrupt("tenant", e))
}

pub(super) type OperatorRow = (i64, String, String, DateTime<Utc>);

pub(super) fn operator((id, email, role, created_at): OperatorRow) -> Result<OperatorSummary, StoreError> {
    let role = OperatorRole::parse(&role).ok_or_else(|| corrupt("operator role", &role))?;
    Ok(OperatorSummary { id, email, role, created_at })
}

pub(super) type ApiKeyRow = (i64, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

pub(super) fn api_key(
    (id, prefix, scope, created_at, revoked_at): ApiKeyRow,
) -> Result<ApiKeySummary, StoreError> {
    let scope = KeyScope::parse(&scope).ok_or_else(|| corrupt("key scope", &scope))?;
    Ok(ApiKeySummary { id, prefix, scope, created_at, revoked_at })
}

macro_rules! impl_super_admin_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::super_admins::SuperAdminSteps for $tx {
            async fn insert_super_admin(
                &mut self,
                email: &str,
                password_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO super_admins (email, password_hash, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (email) DO NOTHING RETURNING id",
                )
                .bind(email)
                .bind(password_hash)
                .bind(now)
                .fetch_optional(&mut *self.0)
                .await?)
            }

            async fn super_admin_by_email(
                &mut self,
                email: &str,
            ) -> Result<Option<crate::store::super_admins::SuperAdminRecord>, StoreError> {
                let row: Option<(i64, String, String)> =
                    sqlx::query_as("SELECT id, email, password_hash FROM super_admins WHERE email = $1")
                        .bind(email)
                        .fetch_optional(&mut *self.0)
                        .await?;
                Ok(row.map(|(id, email, password_hash)| crate::store::super_admins::SuperAdminRecord {
                    id,
                    email,
                    password_hash,
                }))
            }

            async fn insert_super_admin_session(
                &mut self,
                token_hash: &str,
                super_admin_id: i64,
                csrf_token: &str,
                now: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM super_admin_sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                sqlx::query(
                    "INSERT INTO super_admin_sessions (token_hash, super_admin_id, csrf_token, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(super_admin_id)
                .bind(csrf_token)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }

            async fn super_admin_session(
                &mut self,
                token_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<crate::store::super_admins::SuperAdminSession>, StoreError> {
                use crate::store::same_sql_super_admins as sql;
                let row: Option<sql::SessionRow> =
                    sqlx::query_as(sql::SESSION).bind(token_hash).bind(now).fetch_optional(&mut *self.0).await?;
                row.map(sql::session).transpose()
            }

            async fn set_acting_tenant(&mut self, token_hash: &str, tenant: &TenantId) -> Result<(), StoreError> {
                sqlx::query("UPDATE super_admin_sessions SET acting_tenant = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(tenant.as_str())
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn delete_super_admin_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM super_admin_sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn tenants_in_use(&mut self) -> Result<Vec<TenantId>, StoreError> {
                use crate::store::same_sql_super_admins as sql;
                let names: Vec<String> = sqlx::query_scalar(sql::TENANTS_IN_USE).fetch_all(&mut *self.0).await?;
                names.iter().map(|name| sql::tenant(name)).collect()
            }

            async fn tenants_with_accounts(&mut self) -> Result<Vec<TenantId>, StoreError> {
                use crate::store::same_sql_super_admins as sql;
                let names: Vec<String> =
                    sqlx::query_scalar(sql::TENANTS_WITH_ACCOUNTS).fetch_all(&mut *self.0).await?;
                names.iter().map(|name| sql::tenant(name)).collect()
            }

            async fn tenant_operators(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::super_admins::OperatorSummary>, StoreError> {
                use crate::store::same_sql_super_admins as sql;
                let rows: Vec<sql::OperatorRow> = sqlx::query_as(
                    "SELECT id, email, role, created_at FROM operators WHERE tenant = $1 ORDER BY email",
                )
                .bind(tenant.as_str())
                .fetch_all(&mut *self.0)
                .await?;
                rows.into_iter().map(sql::operator).collect()
            }

            async fn tenant_api_keys(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::super_admins::ApiKeySummary>, StoreError> {
                use crate::store::same_sql_super_admins as sql;
                let rows: Vec<sql::ApiKeyRow> = sqlx::query_as(
                    "SELECT id, prefix, scope, created_at, revoked_at FROM api_keys WHERE tenant = $1 ORDER BY id",
                )
                .bind(tenant.as_str())
                .fetch_all(&mut *self.0)
                .await?;
                rows.into_iter().map(sql::api_key).collect()
            }

            async fn lock_tenant_operators(
                &mut self,
                tenant: &TenantId,
            ) -> Result<Vec<crate::store::super_admins::OperatorSummary>, StoreError> {
                use crate::store::same_sql_super_admins as sql;
                let query =
                    format!("SELECT id, email, role, created_at FROM operators WHERE tenant = $1 ORDER BY id{LOCK_ROWS}");
                let rows: Vec<sql::OperatorRow> =
                    sqlx::query_as(&query).bind(tenant.as_str()).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(sql::operator).collect()
            }

            async fn remove_operator(&mut self, tenant: &TenantId, id: i64) -> Result<bool, StoreError> {
                sqlx::query(
                    "DELETE FROM operator_sessions WHERE operator_id IN \
                     (SELECT id FROM operators WHERE tenant = $1 AND id = $2)",
                )
                .bind(tenant.as_str())
                .bind(id)
                .execute(&mut *self.0)
                .await?;
                let removed = sqlx::query("DELETE FROM operators WHERE tenant = $1 AND id = $2")
                    .bind(tenant.as_str())
                    .bind(id)
                    .execute(&mut *self.0)
                    .await?
                    .rows_affected();
                Ok(removed > 0)
            }
        }
    };
}

pub(super) use impl_super_admin_steps;
