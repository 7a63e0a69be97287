//! Removing a tenant's operator and revoking its API key over HTTP:
//! `DELETE /api/v1/admin/tenants/{tenant}/operators/{id}` and `…/api-keys/{id}`, for the same
//! callers as the lists (the super-admin, or the tenant's own admin; a session's write echoes
//! its CSRF token). A removed operator's sessions end in the same transaction, so its next
//! request is 401; a revoked key is refused on its next request (every request looks its key up).
//! The tenant's last admin cannot be removed (409), by anyone: a tenant without an admin could
//! manage nobody. Each is written to the tenant's audit log (`operator.remove`,
//! `api_key.revoke`) in the transaction of the change.

use super::audit::record;
use super::error::{ConsoleError, ErrorBody};
use super::tenant_accounts::manager_access;
use crate::api::ApiState;
use crate::domain::OperatorRole;
use crate::store::super_admins::{ApiKeySummary, OperatorSummary};
use axum::extract::{Path, Request, State};
use axum::Json;
use serde_json::json;

/// Why removing `id` of `operators` (the tenant's, locked) is refused, if it is: the tenant's
/// last admin stays.
fn removal_refused(operators: &[OperatorSummary], id: i64) -> Option<String> {
    let target = operators.iter().find(|o| o.id == id)?;
    let admins = operators.iter().filter(|o| o.role == OperatorRole::Admin).count();
    (target.role == OperatorRole::Admin && admins == 1).then(|| {
        format!("{} is the tenant's last admin and cannot be removed: add another admin first", target.email)
    })
}

/// Remove an operator of the tenant: its sessions end at once.
#[utoipa::path(
    delete, path = "/api/v1/admin/tenants/{tenant}/operators/{id}", tag = "accounts",
    params(("tenant" = String, Path, description = "The tenant"), ("id" = i64, Path, description = "The operator's id")),
    responses(
        (status = 200, description = "Removed: the operator as it was", body = OperatorSummary),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Neither the super-admin nor the tenant's admin (or no CSRF token)", body = ErrorBody),
        (status = 404, description = "No such operator of the tenant, or another tenant's", body = ErrorBody),
        (status = 409, description = "The tenant's last admin; nothing changed", body = ErrorBody)
    )
)]
pub async fn remove_operator(
    State(state): State<ApiState>,
    Path((tenant, id)): Path<(String, i64)>,
    request: Request,
) -> Result<Json<OperatorSummary>, ConsoleError> {
    let (mut parts, _) = request.into_parts();
    let access = manager_access(&state, &mut parts, &tenant, true).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let operators = tx.lock_tenant_operators(&access.tenant).await?;
    let removed = operators.iter().find(|o| o.id == id).cloned().ok_or(ConsoleError::NotFound)?;
    if let Some(why) = removal_refused(&operators, id) {
        return Err(ConsoleError::Conflict(why));
    }
    if !tx.remove_operator(&access.tenant, id).await? {
        return Err(ConsoleError::NotFound);
    }
    let before = json!({"id": id, "email": removed.email, "role": removed.role.as_str()});
    record(tx.as_mut(), &access, "operator.remove", None, None, before, json!({}), now).await?;
    tx.commit().await?;
    Ok(Json(removed))
}

/// Revoke an API key of the tenant: refused from its next request on.
#[utoipa::path(
    delete, path = "/api/v1/admin/tenants/{tenant}/api-keys/{id}", tag = "accounts",
    params(("tenant" = String, Path, description = "The tenant"), ("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "Revoked: the key's summary with `revoked_at`", body = ApiKeySummary),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Neither the super-admin nor the tenant's admin (or no CSRF token)", body = ErrorBody),
        (status = 404, description = "No such key of the tenant, or another tenant's", body = ErrorBody),
        (status = 409, description = "Revoked before; nothing changed", body = ErrorBody)
    )
)]
pub async fn revoke_api_key(
    State(state): State<ApiState>,
    Path((tenant, id)): Path<(String, i64)>,
    request: Request,
) -> Result<Json<ApiKeySummary>, ConsoleError> {
    let (mut parts, _) = request.into_parts();
    let access = manager_access(&state, &mut parts, &tenant, true).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let key = tx.tenant_api_keys(&access.tenant).await?.into_iter().find(|k| k.id == id);
    let key = key.ok_or(ConsoleError::NotFound)?;
    if !tx.revoke_api_key(&access.tenant, id, now).await? {
        let at = key.revoked_at.map_or_else(String::new, |at| format!(" at {}", at.to_rfc3339()));
        return Err(ConsoleError::Conflict(format!("the key {} was revoked{at}", key.prefix)));
    }
    let before = json!({"id": id, "prefix": key.prefix, "scope": key.scope.as_str()});
    let after = json!({"revoked_at": now});
    record(tx.as_mut(), &access, "api_key.revoke", None, None, before, after, now).await?;
    tx.commit().await?;
    Ok(Json(ApiKeySummary { revoked_at: Some(now), ..key }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn operator(id: i64, role: OperatorRole) -> OperatorSummary {
        let created_at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        OperatorSummary { id, email: format!("op{id}@example.org"), role, created_at }
    }

    #[test]
    fn only_the_last_admin_stays() {
        let one_admin = [operator(1, OperatorRole::Admin), operator(2, OperatorRole::Agent)];
        assert!(removal_refused(&one_admin, 1)
            .unwrap()
            .starts_with("op1@example.org is the tenant's last admin"));
        assert_eq!(removal_refused(&one_admin, 2), None, "an agent may go");
        let two_admins = [operator(1, OperatorRole::Admin), operator(3, OperatorRole::Admin)];
        assert_eq!(removal_refused(&two_admins, 1), None, "another admin is left");
        assert_eq!(removal_refused(&two_admins, 9), None, "no such operator: not this rule's to say");
    }
}
