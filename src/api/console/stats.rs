//! `GET /api/v1/stats`: the tenant's figures (open and collected amounts, DSO, paid share by
//! stage, channel and hour, channel cost per collected euro, the learner's version), computed
//! by `crate::learn::stats` from the tenant's summary (`summary`), with the moment it is as of.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::learn::stats::{tenant_stats, TenantFacts, TenantStats};
use axum::extract::State;
use axum::Json;
use std::sync::Arc;

/// The tenant's figures, as of the time `as_of` says (the summary the `api` role reads every
/// `[console] summary_refresh_secs`); the learner's version is current.
#[utoipa::path(
    get, path = "/api/v1/stats", tag = "stats",
    responses((status = 200, body = TenantStats), (status = 401, body = ErrorBody))
)]
pub async fn stats(State(state): State<ApiState>, access: Access) -> Result<Json<TenantStats>, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let (facts, version) = facts(&state, &access.tenant).await?;
    Ok(Json(tenant_stats(&facts, &console.channel_costs, version)))
}

/// The tenant's summary the figures are computed from, and the learner's newest version.
pub(super) async fn facts(
    state: &ApiState,
    tenant: &crate::domain::TenantId,
) -> Result<(Arc<TenantFacts>, Option<i64>), ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let facts = console.summaries.facts(state.store.as_ref(), state.clock.as_ref(), tenant).await?;
    let version = state.store.latest_policy_version().await?;
    Ok((facts, version))
}
