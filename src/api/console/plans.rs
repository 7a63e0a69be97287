//! `GET /api/v1/plans` and `GET /api/v1/plans/{name}`: the dunning plans the caller's tenant may
//! use (`PlanBook::of_tenant`), as the plan book defines them: each stage's waiting days,
//! channels in the creditor's order, fallback, tone and fee, and the days to escalation. Another
//! tenant's plan is not found, like one that does not exist.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::domain::{DebtorKind, DunningPlan, PlanBook, TenantId};
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The tenant's plans, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub plans: Vec<PlanView>,
}

/// One plan as the plan book defines it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "standard-b2c", "own": false, "default_for": ["consumer"], "escalate_after_days": 14,
    "stages": [{"number": 1, "name": "Zahlungserinnerung", "wait_days": 0, "tone": "friendly",
                "fee": "0", "channels": ["email", "sms", "whatsapp", "messenger"], "fallback": ["letter"]}]
}))]
pub struct PlanView {
    pub name: String,
    /// The plan is this tenant's own (`[[plans]] tenants`), not one every tenant may use.
    pub own: bool,
    /// The debtor kinds (`consumer`, `business`) whose invoices follow this plan when they name
    /// none.
    pub default_for: Vec<String>,
    /// Days after the last stage's reminder before an unpaid case is escalated.
    pub escalate_after_days: u32,
    pub stages: Vec<StageView>,
}

/// One stage of a plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageView {
    /// From 1, as `POST /api/v1/templates/preview` takes it.
    pub number: u32,
    pub name: String,
    /// Days after the previous stage's reminder (the first stage: after intake).
    pub wait_days: u32,
    /// `friendly`, `neutral` or `firm`.
    pub tone: String,
    /// What the plan sets for this stage's reminder, in the invoice's currency; what is charged
    /// is capped by the creditor's law (`[creditors.<tenant>.legal] reminder_fee_cap`).
    #[schema(value_type = String, example = "2.50")]
    pub fee: rust_decimal::Decimal,
    /// The channels the stage may use, in the creditor's order of preference.
    pub channels: Vec<String>,
    /// The channels used, in order, when none of `channels` reaches the debtor.
    pub fallback: Vec<String>,
}

impl PlanView {
    /// `plan` as `tenant` sees it in `book`.
    pub fn of(plan: &DunningPlan, book: &PlanBook, tenant: &TenantId) -> Self {
        let default_for = [DebtorKind::Consumer, DebtorKind::Business]
            .into_iter()
            .filter(|kind| book.resolve(tenant, *kind, None).is_ok_and(|p| p.name == plan.name))
            .map(|kind| kind.as_str().to_owned())
            .collect();
        let names = |channels: &[crate::domain::ChannelKind]| -> Vec<String> {
            channels.iter().map(|c| c.as_str().to_owned()).collect()
        };
        Self {
            name: plan.name.to_string(),
            own: !plan.tenants.is_empty(),
            default_for,
            escalate_after_days: plan.escalate_after_days,
            stages: plan
                .stages
                .iter()
                .zip(1..)
                .map(|(stage, number)| StageView {
                    number,
                    name: stage.name.clone(),
                    wait_days: stage.wait_days,
                    tone: stage.tone.as_str().to_owned(),
                    fee: stage.fee,
                    channels: names(&stage.channels),
                    fallback: names(&stage.fallback),
                })
                .collect(),
        }
    }
}

/// The plans `tenant` may use.
pub(super) fn plans_of(book: &PlanBook, tenant: &TenantId) -> Vec<PlanView> {
    book.of_tenant(tenant).map(|plan| PlanView::of(plan, book, tenant)).collect()
}

/// The tenant's plans: the built-in ones, those configured for every tenant, and its own.
#[utoipa::path(
    get, path = "/api/v1/plans", tag = "plans",
    responses((status = 200, body = PlanList), (status = 401, body = ErrorBody))
)]
pub async fn list(State(state): State<ApiState>, access: Access) -> Result<Json<PlanList>, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    Ok(Json(PlanList { plans: plans_of(&console.plans, &access.tenant) }))
}

/// One of the tenant's plans; another tenant's is not found.
#[utoipa::path(
    get, path = "/api/v1/plans/{name}", tag = "plans",
    params(("name" = String, Path, description = "The plan's name", example = "standard-b2c")),
    responses((status = 200, body = PlanView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn one(
    State(state): State<ApiState>,
    access: Access,
    Path(name): Path<String>,
) -> Result<Json<PlanView>, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let plan = console.plans.for_tenant(&access.tenant, &name).map_err(|_| ConsoleError::NotFound)?;
    Ok(Json(PlanView::of(plan, &console.plans, &access.tenant)))
}
