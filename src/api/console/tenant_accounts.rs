//! A tenant's operators and API keys over HTTP: `GET`/`POST /api/v1/admin/tenants/{tenant}/operators`
//! and `…/api-keys`. The installation's super-admin (its session, a tenant chosen or not) may
//! manage every tenant's; a tenant's own admin (a login) only its own tenant's, another tenant
//! being not found (404) as everywhere; any other caller, API keys included, is refused (403).
//! Each account made is written to the tenant's audit log in the transaction that makes it
//! (`operator.add`, `api_key.create`), under `super_admin:<email>` or `operator:<email>`.
//! Removing an operator and revoking a key are in `account_removal`.

use super::accounts::MIN_PASSWORD_CHARS;
use super::audit::record;
use super::auth::{
    hash_password, new_api_key, same_token, token_hash, Access, CSRF_HEADER, SUPER_ADMIN_ACTOR,
};
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::{Email, KeyScope, OperatorRole, TenantId};
use crate::store::super_admins::{ApiKeySummary, OperatorSummary};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// Largest body these routes read.
const MAX_BODY: usize = 16 * 1024;

/// Who may manage `tenant`'s accounts, resolved from the request, or why not; for a write, with
/// the body read as JSON.
async fn manager(
    state: &ApiState,
    request: Request,
    tenant: &str,
    writes: bool,
) -> Result<(Access, Value), ConsoleError> {
    let (mut parts, body) = request.into_parts();
    let access = manager_access(state, &mut parts, tenant, writes).await?;
    let body = if writes {
        let bytes = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|e| ConsoleError::field("$", format!("the body could not be read: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ConsoleError::field("$", format!("not valid JSON: {e}")))?
    } else {
        Value::Null
    };
    Ok((access, body))
}

/// Who may manage `tenant`'s accounts, or why not: the super-admin (with the session's CSRF
/// token on a write), or the tenant's own admin (a login; another tenant's is 404).
pub(super) async fn manager_access(
    state: &ApiState,
    parts: &mut Parts,
    tenant: &str,
    writes: bool,
) -> Result<Access, ConsoleError> {
    match super::auth::super_admin_session(state, &parts.headers).await? {
        Some((session, _)) => {
            if writes {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
                if !same_token(sent, &session.csrf_token) {
                    return Err(ConsoleError::Forbidden("missing or wrong CSRF token (X-CSRF-Token)"));
                }
            }
            let tenant = TenantId::parse(tenant).map_err(|_| ConsoleError::NotFound)?;
            Ok(Access {
                tenant,
                actor: format!("{SUPER_ADMIN_ACTOR}{}", session.email),
                scope: KeyScope::Write,
                role: Some(OperatorRole::Admin),
                super_admin: true,
            })
        }
        None => {
            let access = Access::from_request_parts(parts, state).await?;
            if writes {
                access.require_write()?;
            }
            if TenantId::parse(tenant).ok().as_ref() != Some(&access.tenant) {
                return Err(ConsoleError::NotFound);
            }
            access
                .require_admin("managing operators and API keys needs an admin's login or the super-admin")?;
            Ok(access)
        }
    }
}

/// A text field of the body, or 422 naming it.
fn text<'a>(body: &'a Value, field: &str, what: &str) -> Result<&'a str, ConsoleError> {
    body[field].as_str().ok_or_else(|| ConsoleError::field(field, format!("is required: {what}")))
}

/// The tenant's operators.
#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}/operators", tag = "accounts",
    params(("tenant" = String, Path, description = "The tenant")),
    responses(
        (status = 200, body = Vec<OperatorSummary>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Neither the super-admin nor the tenant's admin", body = ErrorBody),
        (status = 404, description = "Another tenant's, for a tenant's admin", body = ErrorBody)
    )
)]
pub async fn operators(
    State(state): State<ApiState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Result<Json<Vec<OperatorSummary>>, ConsoleError> {
    let (access, _) = manager(&state, request, &tenant, false).await?;
    let mut tx = state.store.begin().await?;
    Ok(Json(tx.tenant_operators(&access.tenant).await?))
}

/// Add an operator to the tenant: `email`, `role` (viewer, agent, admin), `password` (at least
/// 12 characters; stored only as its argon2id hash).
#[utoipa::path(
    post, path = "/api/v1/admin/tenants/{tenant}/operators", tag = "accounts",
    params(("tenant" = String, Path, description = "The tenant")),
    request_body(content = Object, content_type = "application/json",
        description = "email, role (viewer, agent or admin), password (at least 12 characters)"),
    responses(
        (status = 201, description = "Added", body = OperatorSummary),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Neither the super-admin nor the tenant's admin", body = ErrorBody),
        (status = 404, description = "Another tenant's, for a tenant's admin", body = ErrorBody),
        (status = 409, description = "The tenant has an operator with this email", body = ErrorBody),
        (status = 422, description = "A field is wrong; it is named", body = ErrorBody)
    )
)]
pub async fn add_operator(
    State(state): State<ApiState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<OperatorSummary>), ConsoleError> {
    let (access, body) = manager(&state, request, &tenant, true).await?;
    let raw = text(&body, "email", "the operator's email")?;
    let email = Email::parse(&raw.trim().to_lowercase()).map_err(|e| ConsoleError::field("email", e))?;
    let role = OperatorRole::parse(text(&body, "role", "viewer, agent or admin")?)
        .ok_or_else(|| ConsoleError::field("role", "must be viewer, agent or admin"))?;
    let password = text(&body, "password", "at least 12 characters")?.to_owned();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ConsoleError::field(
            "password",
            format!("must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ConsoleError::Internal(format!("hashing a password: {e}")))??;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let Some(id) = tx.insert_operator(&access.tenant, email.as_str(), role, &hash, now).await? else {
        return Err(ConsoleError::Conflict(format!("the tenant has an operator {} already", email.as_str())));
    };
    let after = json!({"email": email.as_str(), "role": role.as_str()});
    record(tx.as_mut(), &access, "operator.add", None, None, json!({}), after, now).await?;
    tx.commit().await?;
    let added = OperatorSummary { id, email: email.as_str().to_owned(), role, created_at: now };
    Ok((StatusCode::CREATED, Json(added)))
}

/// The tenant's API keys (their prefixes; revoked ones too).
#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}/api-keys", tag = "accounts",
    params(("tenant" = String, Path, description = "The tenant")),
    responses(
        (status = 200, body = Vec<ApiKeySummary>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Neither the super-admin nor the tenant's admin", body = ErrorBody),
        (status = 404, description = "Another tenant's, for a tenant's admin", body = ErrorBody)
    )
)]
pub async fn api_keys(
    State(state): State<ApiState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Result<Json<Vec<ApiKeySummary>>, ConsoleError> {
    let (access, _) = manager(&state, request, &tenant, false).await?;
    let mut tx = state.store.begin().await?;
    Ok(Json(tx.tenant_api_keys(&access.tenant).await?))
}

/// A new API key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub id: i64,
    /// The key itself: only its SHA-256 is stored, it cannot be shown again.
    pub key: String,
    pub prefix: String,
    #[schema(value_type = String, example = "read")]
    pub scope: KeyScope,
}

/// Create an API key of the tenant: `scope` (read or write).
#[utoipa::path(
    post, path = "/api/v1/admin/tenants/{tenant}/api-keys", tag = "accounts",
    params(("tenant" = String, Path, description = "The tenant")),
    request_body(content = Object, content_type = "application/json", description = "scope: read or write"),
    responses(
        (status = 201, description = "Created; the key is shown this once", body = CreatedKey),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Neither the super-admin nor the tenant's admin", body = ErrorBody),
        (status = 404, description = "Another tenant's, for a tenant's admin", body = ErrorBody),
        (status = 422, description = "`scope` is wrong", body = ErrorBody)
    )
)]
pub async fn create_api_key(
    State(state): State<ApiState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<CreatedKey>), ConsoleError> {
    let (access, body) = manager(&state, request, &tenant, true).await?;
    let scope = KeyScope::parse(text(&body, "scope", "read or write")?)
        .ok_or_else(|| ConsoleError::field("scope", "must be read or write"))?;
    let (key, prefix) = new_api_key();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let id = tx.insert_api_key(&access.tenant, &token_hash(&key), &prefix, scope, now).await?;
    let after = json!({"prefix": prefix, "scope": scope.as_str()});
    record(tx.as_mut(), &access, "api_key.create", None, None, json!({}), after, now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedKey { id, key, prefix, scope })))
}
