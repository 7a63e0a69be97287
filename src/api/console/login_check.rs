//! The one check of a login, an operator's and the super-admin's alike: the account's recent
//! failures throttle it (429 without the password being looked at), the account is looked up
//! in its scope (a tenant's operators, or the installation's super-admins), the password is
//! verified off the async threads against its argon2 hash, or against a decoy hash when there is
//! no such account (so that both take as long and answer alike, 401), and the failure is
//! recorded or the failures cleared. The caller opens its session in the transaction answered.

use super::auth::{decoy_hash, verify_password};
use super::error::ConsoleError;
use super::login::throttled;
use crate::api::ApiState;
use crate::config::console::ConsoleConfig;
use crate::store::console::{LoginScope, OperatorRecord};
use crate::store::super_admins::SuperAdminRecord;
use crate::store::StoreTx;
use chrono::{DateTime, Duration, Utc};

/// The account a login names, by its scope.
pub(super) enum Account {
    Operator(OperatorRecord),
    SuperAdmin(SuperAdminRecord),
}

impl Account {
    fn password_hash(&self) -> &str {
        match self {
            Self::Operator(operator) => &operator.password_hash,
            Self::SuperAdmin(admin) => &admin.password_hash,
        }
    }
}

/// A login that passed: the account, the transaction its failures were cleared in (the caller
/// opens the session in it and commits), the moment and the console's settings.
pub(super) struct Verified {
    pub account: Account,
    pub tx: Box<dyn StoreTx>,
    pub now: DateTime<Utc>,
    pub config: ConsoleConfig,
}

/// Checks `password` for the account `email` (lower case, trimmed) of `scope`.
pub(super) async fn verify_login(
    state: &ApiState,
    scope: LoginScope<'_>,
    email: &str,
    password: &str,
) -> Result<Verified, ConsoleError> {
    let config = state.console.as_ref().map(|c| c.config.clone()).unwrap_or_default();
    let now = state.clock.now();
    let window = Duration::minutes(i64::from(config.login_window_minutes));
    let mut tx = state.store.begin().await?;
    let failures = tx.login_failures_since(scope, email, now - window).await?;
    if throttled(failures, &config) {
        return Err(ConsoleError::Throttled { retry_after_secs: window.num_seconds() as u64 });
    }
    let account = match scope {
        LoginScope::Tenant(tenant) => tx.operator_by_email(tenant, email).await?.map(Account::Operator),
        LoginScope::Installation => tx.super_admin_by_email(email).await?.map(Account::SuperAdmin),
    };
    // The transaction is not held across the (deliberately slow) password check.
    drop(tx);
    let hash = account.as_ref().map_or_else(|| decoy_hash().to_owned(), |a| a.password_hash().to_owned());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ConsoleError::Internal(format!("verifying a password: {e}")))?;
    let mut tx = state.store.begin().await?;
    let Some(account) = account.filter(|_| matches) else {
        tx.record_login_failure(scope, email, now, now - window).await?;
        tx.commit().await?;
        match scope {
            LoginScope::Tenant(tenant) => tracing::info!(tenant = %tenant, "console login refused"),
            LoginScope::Installation => tracing::info!("console super-admin login refused"),
        }
        return Err(ConsoleError::Unauthenticated);
    };
    tx.clear_login_failures(scope, email).await?;
    Ok(Verified { account, tx, now, config })
}
