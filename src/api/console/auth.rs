//! Who is calling: an API key (`Authorization: Bearer mwk_…`) or a console session (the
//! `mahnwerk_session` cookie), resolved to an [`Access`] for one tenant. Keys and session tokens
//! are 32 random bytes, stored only as their SHA-256 (a fast hash is enough for secrets that
//! cannot be guessed; passwords, which can, are hashed with argon2id). A write over a session
//! cookie must echo the session's CSRF token in `X-CSRF-Token` (or a form's `csrf_token`), so a
//! page on another site cannot make the browser write on the operator's behalf.

use super::error::ConsoleError;
use crate::api::ApiState;
use crate::domain::{KeyScope, OperatorRole, TenantId};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "mahnwerk_session";
/// The header a cookie-authenticated write carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// What every API key starts with, so a leaked one is recognisable (secret scanners).
pub const KEY_PREFIX: &str = "mwk_";

/// A fresh secret: 32 random bytes, base64url.
pub fn new_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The SHA-256 of a key or session token, hex: what the database keeps of it.
pub fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// A new API key and the prefix that names it in lists and logs (`mwk_` and 8 characters).
pub fn new_api_key() -> (String, String) {
    let key = format!("{KEY_PREFIX}{}", new_secret());
    let prefix = key[..KEY_PREFIX.len() + 8].to_owned();
    (key, prefix)
}

/// The argon2id PHC string of `password` (default parameters: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, ConsoleError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| ConsoleError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ConsoleError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches the PHC string `hash`; a hash that does not parse matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash no password matches, verified against for unknown accounts so that a login takes
/// as long whether or not the account exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_secret()).expect("hashing a random password"))
}

/// Equal in constant time (CSRF tokens).
pub fn same_token(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A caller, proven to act for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub tenant: TenantId,
    /// How the audit log names the caller: `operator:<email>`, `key:<prefix>`, or
    /// `super_admin:<email>` for the installation's super-admin.
    pub actor: String,
    pub scope: KeyScope,
    /// The operator's role, for a session.
    pub role: Option<OperatorRole>,
    /// The installation's super-admin acting for `tenant` (as its admin).
    pub super_admin: bool,
}

impl Access {
    /// The caller may change things, or gets 403.
    pub fn require_write(&self) -> Result<(), ConsoleError> {
        if self.scope.can_write() {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(
                "this route changes data: it needs a write key or an agent's or admin's login",
            ))
        }
    }
}

impl Access {
    /// The caller is an admin's login, or gets 403: what cannot be undone (erasing a debtor)
    /// needs a person who manages the tenant, never a machine's key.
    pub fn require_admin(&self, what: &'static str) -> Result<(), ConsoleError> {
        if self.role == Some(OperatorRole::Admin) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(what))
        }
    }
}

/// A caller that may change things: 403 for viewers and read keys.
pub struct Writer(pub Access);

impl FromRequestParts<ApiState> for Access {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
            let key = authorization
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(ConsoleError::Unauthenticated)?;
            let mut tx = state.store.begin().await?;
            let found = tx.api_key(&token_hash(key)).await?;
            drop(tx);
            return match found {
                Some(key) if key.revoked_at.is_none() => Ok(Access {
                    tenant: key.tenant,
                    actor: format!("key:{}", key.prefix),
                    scope: key.scope,
                    role: None,
                    super_admin: false,
                }),
                _ => Err(ConsoleError::Unauthenticated),
            };
        }
        let (access, csrf_token) =
            session_access(state, &parts.headers).await?.ok_or(ConsoleError::Unauthenticated)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
            if !same_token(sent, &csrf_token) {
                return Err(ConsoleError::Forbidden("missing or wrong CSRF token (X-CSRF-Token)"));
            }
        }
        Ok(access)
    }
}

/// The caller behind the request's session cookie and the session's CSRF token; `None` without
/// a cookie, with one of no live session, or for a super-admin who has not chosen a tenant yet.
/// A super-admin acts for the tenant chosen as its admin, named `super_admin:<email>`.
pub async fn session_access(
    state: &ApiState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<(Access, String)>, ConsoleError> {
    let Some(token) = session_token(headers) else { return Ok(None) };
    let hash = token_hash(&token);
    let mut tx = state.store.begin().await?;
    if let Some(session) = tx.session(&hash, state.clock.now()).await? {
        let access = Access {
            tenant: session.tenant,
            actor: format!("operator:{}", session.email),
            scope: session.role.scope(),
            role: Some(session.role),
            super_admin: false,
        };
        return Ok(Some((access, session.csrf_token)));
    }
    let session = tx.super_admin_session(&hash, state.clock.now()).await?;
    drop(tx);
    Ok(session.and_then(|session| {
        let access = Access {
            tenant: session.acting_tenant?,
            actor: format!("{SUPER_ADMIN_ACTOR}{}", session.email),
            scope: KeyScope::Write,
            role: Some(OperatorRole::Admin),
            super_admin: true,
        };
        Some((access, session.csrf_token))
    }))
}

/// How the audit log names a super-admin: this and the email.
pub const SUPER_ADMIN_ACTOR: &str = "super_admin:";

/// The super-admin session behind the request's cookie (whether or not a tenant was chosen),
/// with its token's hash; `None` for any other caller.
pub async fn super_admin_session(
    state: &ApiState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<(crate::store::super_admins::SuperAdminSession, String)>, ConsoleError> {
    let Some(token) = session_token(headers) else { return Ok(None) };
    let hash = token_hash(&token);
    let mut tx = state.store.begin().await?;
    let session = tx.super_admin_session(&hash, state.clock.now()).await?;
    Ok(session.map(|session| (session, hash)))
}

impl FromRequestParts<ApiState> for Writer {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        let access = Access::from_request_parts(parts, state).await?;
        access.require_write()?;
        Ok(Writer(access))
    }
}

/// The session token in the request's cookies, if any.
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_argon2_hash_only() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("correct horse battery stapler", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("", decoy_hash()));
    }

    #[test]
    fn keys_are_long_random_and_stored_only_as_a_hash() {
        let (key, prefix) = new_api_key();
        assert!(key.starts_with("mwk_") && key.len() > 40 && key.starts_with(&prefix));
        assert_ne!(new_api_key().0, key);
        assert_eq!(token_hash(&key).len(), 64);
        assert!(!token_hash(&key).contains(&key[4..]));
    }
}
