//! `GET /api/v1/stats`: the tenant's figures (open and collected amounts, DSO, paid share by
//! stage, channel and hour, channel cost per collected euro, the learner's version), computed
//! by `crate::learn::stats` from the facts the store reads for the tenant.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::learn::stats::{cash_sources, tenant_stats, TenantFacts, TenantStats, COST_CURRENCY};
use axum::extract::State;
use axum::Json;

/// The tenant's figures.
#[utoipa::path(
    get, path = "/api/v1/stats", tag = "stats",
    responses((status = 200, body = TenantStats), (status = 401, body = ErrorBody))
)]
pub async fn stats(State(state): State<ApiState>, access: Access) -> Result<Json<TenantStats>, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let (facts, version) = facts(&state, &access.tenant).await?;
    Ok(Json(tenant_stats(&facts, &console.channel_costs, version)))
}

/// The tenant's facts the figures are computed from, and the learner's newest version.
pub(super) async fn facts(
    state: &ApiState,
    tenant: &crate::domain::TenantId,
) -> Result<(TenantFacts, Option<i64>), ConsoleError> {
    let mut tx = state.store.begin().await?;
    let cases = tx.case_amounts(tenant).await?;
    let payments = tx.payment_facts(tenant).await?;
    let sent = tx.sent_facts(tenant).await?;
    let earned = tx.earned_facts(tenant, COST_CURRENCY, &cash_sources()).await?;
    drop(tx);
    let version = state.store.latest_policy_version().await?;
    Ok((TenantFacts { cases, payments, sent, earned }, version))
}
