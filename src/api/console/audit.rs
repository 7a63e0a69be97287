//! The audit log: every intervention is written with who, when, what, and the state before and
//! after, in the transaction of the change itself; `GET /api/v1/audit` reads the tenant's log,
//! newest first, by action, case or debtor if asked.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::DebtorId;
use crate::store::console::{AuditEntry, AuditFilter, NewAuditEntry};
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
    /// Only this action (`case.pause`, `debtor.stop`, …).
    pub action: Option<String>,
    /// Only the entries about this case.
    pub case_id: Option<String>,
    /// Only the entries about this debtor and the debtor's cases.
    pub debtor_id: Option<String>,
}

impl AuditQuery {
    /// The store's filter for this query (`limit` entries); a wrong value is named. A debtor id
    /// that cannot exist matches nothing, as an unknown one does.
    pub fn filter(&self, limit: u32) -> Result<AuditFilter, ConsoleError> {
        let given =
            |raw: &Option<String>| raw.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let before_id = match given(&self.cursor) {
            Some(raw) => Some(
                raw.parse::<i64>()
                    .map_err(|_| ConsoleError::field("cursor", "is not a cursor from a previous page"))?,
            ),
            None => None,
        };
        let case_id = match given(&self.case_id) {
            Some(raw) => Some(
                raw.parse::<i64>()
                    .map_err(|_| ConsoleError::field("case_id", format!("'{raw}' is not a case id")))?,
            ),
            None => None,
        };
        let debtor = match given(&self.debtor_id) {
            Some(raw) => Some(
                DebtorId::parse(&raw)
                    .map_err(|e| ConsoleError::field("debtor_id", format!("'{raw}' {e}")))?,
            ),
            None => None,
        };
        Ok(AuditFilter { action: given(&self.action), case_id, debtor, before_id, limit })
    }
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
    let limit = match query.limit.as_deref().filter(|l| !l.is_empty()) {
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ConsoleError::field("limit", "must be 1 to 200"))?,
        None => 50,
    };
    let (entries, next_cursor) = audit_entries(&state, &access, query.filter(limit)?).await?;
    Ok(Json(AuditPage { entries, next_cursor: next_cursor.map(|id| id.to_string()) }))
}

/// Up to `filter.limit` entries, and the cursor of the next page when there are more (the API's
/// and the audit page's).
pub(super) async fn audit_entries(
    state: &ApiState,
    access: &Access,
    mut filter: AuditFilter,
) -> Result<(Vec<AuditEntry>, Option<i64>), ConsoleError> {
    let limit = filter.limit as usize;
    filter.limit += 1;
    let mut tx = super::short_reads(state).await?;
    let mut entries = tx.audit_log(&access.tenant, &filter).await?;
    drop(tx);
    let next_cursor = (entries.len() > limit).then(|| {
        entries.truncate(limit);
        entries.last().map_or(0, |e| e.id)
    });
    Ok((entries, next_cursor))
}
