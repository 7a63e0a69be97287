//! `GET /api/v1/stats`: the tenant's figures (open and collected amounts, DSO, paid share by
//! stage, channel and hour, channel cost per collected euro, the learner's version), computed
//! by `crate::learn::stats` from the facts the store reads for the tenant.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::learn::stats::{tenant_stats, TenantStats};
use crate::store::tenant_stats::{CaseAmounts, PaymentFact, SentFact};
use axum::extract::State;
use axum::Json;

/// The tenant's figures.
#[utoipa::path(
    get, path = "/api/v1/stats", tag = "stats",
    responses((status = 200, body = TenantStats), (status = 401, body = ErrorBody))
)]
pub async fn stats(State(state): State<ApiState>, access: Access) -> Result<Json<TenantStats>, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let (cases, payments, sent, version) = facts(&state, &access.tenant).await?;
    Ok(Json(tenant_stats(&cases, &payments, &sent, &console.channel_costs, version)))
}

/// The tenant's facts the figures are computed from, and the learner's newest version.
pub(super) async fn facts(
    state: &ApiState,
    tenant: &crate::domain::TenantId,
) -> Result<(Vec<CaseAmounts>, Vec<PaymentFact>, Vec<SentFact>, Option<i64>), ConsoleError> {
    let mut tx = state.store.begin().await?;
    let cases = tx.case_amounts(tenant).await?;
    let payments = tx.payment_facts(tenant).await?;
    let sent = tx.sent_facts(tenant).await?;
    drop(tx);
    let version = state.store.latest_policy_version().await?;
    Ok((cases, payments, sent, version))
}
