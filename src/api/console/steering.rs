//! The operator steering a case's course: escalate it now, resend its current stage on a chosen
//! channel, switch it to another plan. Each runs its rule in the scheduling stage
//! (`schedule::escalate`, `schedule::resend`, `schedule::switch_plan`) and writes its audit entry
//! in the same transaction.

use super::audit::{record, Recorded};
use super::auth::{Access, Writer};
use super::error::{ConsoleError, ErrorBody};
use super::refusal::{Blocked, Refusal};
use crate::api::ApiState;
use crate::domain::{ChannelKind, PlanName, TenantId};
use crate::schedule::escalate::{escalate_case, EscalateOutcome};
use crate::schedule::resend::{resend_reminder, ResendOutcome};
use crate::schedule::switch_plan::{switch_plan as switch_case_plan, SwitchOutcome};
use crate::schedule::ResendRefused;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

/// The fields of an intervention's request: a JSON body's object, or a page's form.
pub(super) type Fields = serde_json::Map<String, Value>;

/// The JSON object of a request body, or a 422 naming the body.
pub(super) fn object(body: &Bytes) -> Result<Fields, ConsoleError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ConsoleError::field("$", "must be a JSON object")),
        Err(e) => Err(ConsoleError::field("$", format!("not valid JSON: {e}"))),
    }
}

/// The string field `name` of `body`, required.
pub(super) fn required<'a>(body: &'a Fields, name: &str, what: &str) -> Result<&'a str, ConsoleError> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ConsoleError::field(name, format!("is required: {what}")))
}

/// Escalate now: the case is handed over to collection as when its plan runs out (state
/// `escalated`, the claim statement, `case.escalated`); reminders still to go out are cancelled.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/escalate", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, description = "Escalated; the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case is not being reminded (paused, disputed, escalated, closed)", body = ErrorBody)
    )
)]
pub async fn escalate(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
) -> Result<Json<Recorded>, ConsoleError> {
    escalate_now(&state, &access, id).await.map(Json)
}

/// Escalates and records it (the API's and the case page's).
pub(super) async fn escalate_now(
    state: &ApiState,
    access: &Access,
    id: i64,
) -> Result<Recorded, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let law_of = |tenant: &TenantId| console.creditors.get(tenant.as_str()).law();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    match escalate_case(tx.as_mut(), &access.tenant, id, now, &law_of).await? {
        EscalateOutcome::Done { before, reminders_cancelled } => {
            let before = json!({"state": before});
            let after = json!({"state": "escalated", "reminders_cancelled": reminders_cancelled});
            let entry =
                record(tx.as_mut(), access, "case.escalate", Some(id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        EscalateOutcome::NotAllowed(current) => {
            Err(ConsoleError::Refused(Refusal::state(current, Blocked::Escalate)))
        }
        EscalateOutcome::UnknownCase => Err(ConsoleError::NotFound),
    }
}

/// Resend the case's current stage on `channel`: a new reminder through the usual outbox and
/// dispatch, if the planner would offer that channel for the stage now (the plan's channels,
/// an address, consent, Messenger's window), at an hour the policy picks among the allowed ones.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/resend", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    request_body(content = Object, content_type = "application/json",
        description = "`channel`: email, sms, whatsapp, messenger or letter"),
    responses(
        (status = 200, description = "Planned; the audit entry (`after.send_at`: when it goes out)", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case takes no reminders, no stage was planned yet, or the stage has a reminder on this channel already", body = ErrorBody),
        (status = 422, description = "`channel` is missing, unknown, or refused; the reason is named", body = ErrorBody)
    )
)]
pub async fn resend(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    resend_on(&state, &access, id, object(&body)).await.map(Json)
}

/// Resends and records it; `body` is looked at only once the case is found.
pub(super) async fn resend_on(
    state: &ApiState,
    access: &Access,
    id: i64,
    body: Result<Fields, ConsoleError>,
) -> Result<Recorded, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    // Not found before a wrong body: another tenant's case looks like a missing one.
    tx.tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let body = body?;
    let raw = required(&body, "channel", "email, sms, whatsapp, messenger or letter")?;
    let channel: ChannelKind = raw.parse().map_err(|_| {
        ConsoleError::field(
            "channel",
            format!("'{raw}' is not one of email, sms, whatsapp, messenger, letter"),
        )
    })?;
    match resend_reminder(tx.as_mut(), &console.planner, &access.tenant, id, channel, now).await? {
        ResendOutcome::Done { stage, send_at } => {
            let before = json!({"stage": stage});
            let after = json!({"stage": stage, "channel": channel.as_str(), "send_at": send_at});
            let entry =
                record(tx.as_mut(), access, "case.resend", Some(id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        // Not the channel's fault: the case has no stage to resend yet.
        ResendOutcome::Refused(ResendRefused::NothingPlanned) => {
            Err(ConsoleError::Refused(Refusal::NothingPlanned))
        }
        ResendOutcome::Refused(refused) => Err(ConsoleError::field("channel", refused)),
        ResendOutcome::AlreadyThere { stage, status } => {
            Err(ConsoleError::Refused(Refusal::StageHasChannel { stage, channel, status }))
        }
        ResendOutcome::NotAllowed(current) => {
            Err(ConsoleError::Refused(Refusal::state(current, Blocked::Resend)))
        }
        ResendOutcome::UnknownCase => Err(ConsoleError::NotFound),
    }
}

/// Switch the case to another plan of the plan book: its next stage (and every one after) is
/// the new plan's; reminders still to go out are withdrawn and planned anew under it.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/plan", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    request_body(content = Object, content_type = "application/json",
        description = "`plan`: the name of a plan in the plan book"),
    responses(
        (status = 200, description = "Switched; the audit entry with the plan before and after", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case is closed or escalated, or follows that plan already", body = ErrorBody),
        (status = 422, description = "`plan` is missing or not in the plan book; the known ones are named", body = ErrorBody)
    )
)]
pub async fn switch_plan(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    switch_to(&state, &access, id, object(&body)).await.map(Json)
}

/// Switches the plan and records it; `body` is looked at only once the case is found.
pub(super) async fn switch_to(
    state: &ApiState,
    access: &Access,
    id: i64,
    body: Result<Fields, ConsoleError>,
) -> Result<Recorded, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    tx.tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let body = body?;
    let raw = required(&body, "plan", "the name of a plan in the plan book")?;
    let plan = console.plans.for_tenant(&access.tenant, raw).map_err(|e| ConsoleError::field("plan", e))?;
    let name: &PlanName = &plan.name;
    match switch_case_plan(tx.as_mut(), &access.tenant, id, name, now).await? {
        SwitchOutcome::Done { plan_before, reminders_withdrawn } => {
            let before = json!({"plan": plan_before});
            let after = json!({"plan": name, "reminders_withdrawn": reminders_withdrawn});
            let entry = record(tx.as_mut(), access, "case.plan", Some(id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        SwitchOutcome::Unchanged => Err(ConsoleError::Refused(Refusal::AlreadyOnPlan(name.to_string()))),
        SwitchOutcome::NotAllowed(current) => {
            Err(ConsoleError::Refused(Refusal::state(current, Blocked::SwitchPlan)))
        }
        SwitchOutcome::UnknownCase => Err(ConsoleError::NotFound),
    }
}
