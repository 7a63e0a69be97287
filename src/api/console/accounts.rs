//! Operator accounts and API keys made from the command line (`mahnwerk operators add`,
//! `mahnwerk api-keys create|revoke`): how an installation gets its first admin (or its
//! super-admin, `--super-admin`) and its first machine key before anyone can log in.

use super::auth::{hash_password, new_api_key, token_hash};
use crate::domain::{Email, KeyScope, OperatorRole, TenantId};
use crate::store::Store;
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};

/// Shortest password an operator may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Adds an operator to `tenant`; returns its id. The email is kept in lower case.
pub async fn add_operator(
    store: &dyn Store,
    tenant: &TenantId,
    email: &str,
    role: OperatorRole,
    password: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let email = Email::parse(&email.trim().to_lowercase()).context("--email")?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    let hash = hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = store.begin().await?;
    let Some(id) = tx.insert_operator(tenant, email.as_str(), role, &hash, now).await? else {
        bail!("tenant {tenant} has an operator {} already", email.as_str());
    };
    tx.commit().await?;
    Ok(id)
}

/// Adds a super-admin of the installation (no tenant; it chooses one to act for after logging
/// in); returns its id. The email is kept in lower case; the password is checked as an
/// operator's.
pub async fn add_super_admin(
    store: &dyn Store,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let email = Email::parse(&email.trim().to_lowercase()).context("--email")?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    let hash = hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = store.begin().await?;
    let Some(id) = tx.insert_super_admin(email.as_str(), &hash, now).await? else {
        bail!("there is a super-admin {} already", email.as_str());
    };
    tx.commit().await?;
    Ok(id)
}

/// A new key of `tenant` with `scope`: its id and the key itself, which is shown this once and
/// never stored.
pub async fn create_api_key(
    store: &dyn Store,
    tenant: &TenantId,
    scope: KeyScope,
    now: DateTime<Utc>,
) -> anyhow::Result<(i64, String)> {
    let (key, prefix) = new_api_key();
    let mut tx = store.begin().await?;
    let id = tx.insert_api_key(tenant, &token_hash(&key), &prefix, scope, now).await?;
    tx.commit().await?;
    Ok((id, key))
}

/// Revokes `tenant`'s key `id`; `false` when there is none or it was revoked before.
pub async fn revoke_api_key(
    store: &dyn Store,
    tenant: &TenantId,
    id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let mut tx = store.begin().await?;
    let revoked = tx.revoke_api_key(tenant, id, now).await?;
    tx.commit().await?;
    Ok(revoked)
}
