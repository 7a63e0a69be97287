//! The store's narrow steps for the installation's super-admins ([`SuperAdminSteps`], part of
//! every [`StoreTx`](super::StoreTx)): their accounts and sessions (kept apart from the tenants'
//! operators), the tenants one may choose to act for, and a tenant's operators and API keys as a
//! list. Who may log in and what a super-admin may do are decided in `crate::api::console`; these
//! steps only read and write.

use super::StoreError;
use crate::domain::{KeyScope, OperatorRole, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A super-admin account as stored (the password only as its argon2 PHC string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperAdminRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
}

/// A live super-admin session: whose, and the tenant chosen to act for, if one was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperAdminSession {
    pub super_admin_id: i64,
    pub email: String,
    pub csrf_token: String,
    pub acting_tenant: Option<TenantId>,
    pub expires_at: DateTime<Utc>,
}

/// One of a tenant's operators, as listed (never the password's hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OperatorSummary {
    pub id: i64,
    pub email: String,
    #[schema(value_type = String, example = "agent")]
    pub role: OperatorRole,
    pub created_at: DateTime<Utc>,
}

/// One of a tenant's API keys, as listed (its prefix, never the key or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiKeySummary {
    pub id: i64,
    /// `mwk_` and the key's next 8 characters: how the audit log names it.
    pub prefix: String,
    #[schema(value_type = String, example = "read")]
    pub scope: KeyScope,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The narrow steps of the super-admins.
#[async_trait]
pub trait SuperAdminSteps: Send {
    /// Stores a new super-admin; `None` (and nothing written) when there is one with this email.
    async fn insert_super_admin(
        &mut self,
        email: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;

    async fn super_admin_by_email(&mut self, email: &str) -> Result<Option<SuperAdminRecord>, StoreError>;

    async fn insert_super_admin_session(
        &mut self,
        token_hash: &str,
        super_admin_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The super-admin session with this token hash, if it has not expired at `now`.
    async fn super_admin_session(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SuperAdminSession>, StoreError>;

    /// The tenant the session acts for from now on.
    async fn set_acting_tenant(&mut self, token_hash: &str, tenant: &TenantId) -> Result<(), StoreError>;

    async fn delete_super_admin_session(&mut self, token_hash: &str) -> Result<(), StoreError>;

    /// Every tenant with a case or an operator, by name.
    async fn tenants_in_use(&mut self) -> Result<Vec<TenantId>, StoreError>;

    /// Every tenant with a console account (an operator, or an API key not revoked), by name.
    async fn tenants_with_accounts(&mut self) -> Result<Vec<TenantId>, StoreError>;

    /// `tenant`'s operators, by email.
    async fn tenant_operators(&mut self, tenant: &TenantId) -> Result<Vec<OperatorSummary>, StoreError>;

    /// `tenant`'s API keys, revoked ones too, by id.
    async fn tenant_api_keys(&mut self, tenant: &TenantId) -> Result<Vec<ApiKeySummary>, StoreError>;

    /// `tenant`'s operators, by id, locked on PostgreSQL: for a change that counts them (removing
    /// one), so that two removals at once take turns.
    async fn lock_tenant_operators(&mut self, tenant: &TenantId) -> Result<Vec<OperatorSummary>, StoreError>;

    /// Removes `tenant`'s operator `id` and ends its sessions; `false` (nothing written) when the
    /// tenant has no such operator.
    async fn remove_operator(&mut self, tenant: &TenantId, id: i64) -> Result<bool, StoreError>;
}
