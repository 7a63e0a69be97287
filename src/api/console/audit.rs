//! The audit log: every intervention is written with who, when, what, and the state before and
//! after, in the transaction of the change itself; `GET /api/v1/audit` reads the tenant's log,
//! newest first.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::DebtorId;
use crate::store::console::{AuditEntry, NewAuditEntry};
use crate::store::{StoreError, StoreTx};
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// An intervention as recorded, the answer of every intervention route.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub case_id: Option<i64>,
    pub debtor_id: Option<String>,
    #[schema(value_type = Object)]
    pub before: Value,
    #[schema(value_type = Object)]
    pub after: Value,
}

/// Writes the audit entry of an intervention inside its transaction.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut dyn StoreTx,
    access: &Access,
    action: &str,
    case_id: Option<i64>,
    debtor_id: Option<&DebtorId>,
    before: Value,
    after: Value,
    at: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    let entry = NewAuditEntry {
        tenant: &access.tenant,
        at,
        actor: &access.actor,
        action,
        case_id,
        debtor_id,
        before: before.clone(),
        after: after.clone(),
    };
    tx.insert_audit(&entry).await?;
    tracing::info!(tenant = %access.tenant, action, case_id, "operator intervention");
    Ok(Recorded {
        at,
        actor: access.actor.clone(),
        action: action.to_owned(),
        case_id,
        debtor_id: debtor_id.map(|d| d.to_string()),
        before,
        after,
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// The tenant's audit log.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<ApiState>,
    access: Access,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ConsoleError> {
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| ConsoleError::field("cursor", "is not a cursor from a previous page"))?,
        ),
        None => None,
    };
    let limit = match query.limit.as_deref().filter(|l| !l.is_empty()) {
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ConsoleError::field("limit", "must be 1 to 200"))?,
        None => 50,
    };
    let mut tx = state.store.begin().await?;
    let mut entries = tx.audit_log(&access.tenant, cursor, limit + 1).await?;
    drop(tx);
    let next_cursor = (entries.len() > limit as usize).then(|| {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id.to_string()).unwrap_or_default()
    });
    Ok(Json(AuditPage { entries, next_cursor }))
}
