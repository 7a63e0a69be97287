//! The operator's interventions: pause, resume, reschedule and cancel a case; corrected contact
//! data of a debtor (the Mahnstopp is `mahnstopp`'s). Each runs the rule of
//! its stage (`schedule::pause`, `schedule::reschedule`, the intake's cancel and contact edit)
//! and writes its audit entry in the same transaction: an intervention is recorded exactly when
//! it took effect.

use super::audit::{record, Recorded};
use super::auth::{Access, Writer};
use super::error::{ConsoleError, ErrorBody};
use super::refusal::{Blocked, Refusal};
use super::steering::{object, required, Fields};
use crate::api::ApiState;
use crate::domain::DebtorId;
use crate::intake::contact::{edit_contact, ContactOutcome};
use crate::intake::{cancel_invoice, IntakeOutcome};
use crate::schedule::pause::{pause_case, resume_case, PauseOutcome};
use crate::schedule::reschedule::{reschedule_case, RescheduleOutcome};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::json;

/// A debtor id from the path; one that cannot exist is simply not found.
pub(super) fn debtor_id(raw: &str) -> Result<DebtorId, ConsoleError> {
    DebtorId::parse(raw).map_err(|_| ConsoleError::NotFound)
}

/// Which of the two a call asks for.
#[derive(Clone, Copy)]
pub(super) enum Hold {
    Pause,
    Resume,
}

/// Runs a pause or resume and records it.
pub(super) async fn pause_or_resume(
    state: &ApiState,
    access: &super::auth::Access,
    case_id: i64,
    hold: Hold,
) -> Result<Json<Recorded>, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let (action, outcome) = match hold {
        Hold::Pause => ("case.pause", pause_case(tx.as_mut(), &access.tenant, case_id, now).await?),
        Hold::Resume => ("case.resume", resume_case(tx.as_mut(), &access.tenant, case_id, now).await?),
    };
    match outcome {
        PauseOutcome::Done { before, after, reminders_cancelled } => {
            let before = json!({"state": before});
            let after = json!({"state": after, "reminders_cancelled": reminders_cancelled});
            let entry = record(tx.as_mut(), access, action, Some(case_id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(Json(entry))
        }
        PauseOutcome::NotAllowed(current) => {
            let blocked = match hold {
                Hold::Pause => Blocked::Pause,
                Hold::Resume => Blocked::Resume,
            };
            Err(ConsoleError::Refused(Refusal::state(current, blocked)))
        }
        PauseOutcome::UnknownCase => Err(ConsoleError::NotFound),
    }
}

/// Pause a case: no reminder is planned or sent until it is resumed.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/pause", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, description = "Paused; the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case's state does not allow it", body = ErrorBody)
    )
)]
pub async fn pause(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
) -> Result<Json<Recorded>, ConsoleError> {
    pause_or_resume(&state, &access, id, Hold::Pause).await
}

/// Resume a paused case: it is due at once.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/resume", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, description = "Resumed; the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
pub async fn resume(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
) -> Result<Json<Recorded>, ConsoleError> {
    pause_or_resume(&state, &access, id, Hold::Resume).await
}

/// Cancel a case (as `invoice.cancelled` does): it closes, nothing more goes out.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/cancel", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, description = "Cancelled; the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
pub async fn cancel(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
) -> Result<Json<Recorded>, ConsoleError> {
    cancel_case(&state, &access, id).await.map(Json)
}

/// Cancels and records it (the API's and the case page's).
pub(super) async fn cancel_case(
    state: &ApiState,
    access: &Access,
    id: i64,
) -> Result<Recorded, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let case = tx.lock_tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    match cancel_invoice(tx.as_mut(), &access.tenant, &case.invoice_number, now).await? {
        IntakeOutcome::CaseCancelled => {
            let before = json!({"state": case.state});
            let after = json!({"state": "cancelled"});
            let entry =
                record(tx.as_mut(), access, "case.cancel", Some(id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        IntakeOutcome::AlreadyClosed => {
            Err(ConsoleError::Refused(Refusal::state(case.state, Blocked::Cancel)))
        }
        _ => Err(ConsoleError::NotFound),
    }
}

/// Correct the debtor's contact data: `email`, `phone`, `whatsapp`, `messenger_psid` (left out:
/// kept; `null`: cleared).
#[utoipa::path(
    post, path = "/api/v1/debtors/{id}/contact", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    request_body(content = Object, content_type = "application/json",
        description = "Any of email, phone, whatsapp, messenger_psid: a string sets, null clears"),
    responses(
        (status = 200, description = "Written; the audit entry with before and after", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "A field is wrong; it is named", body = ErrorBody)
    )
)]
pub async fn contact(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    let debtor = debtor_id(&id)?;
    let edit: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ConsoleError::field("$", format!("not valid JSON: {e}")))?;
    correct_contact(&state, &access, &debtor, &edit).await.map(Json)
}

/// Applies a contact edit (the intake's parsers check each field) and records it (the API's and
/// the case page's).
pub(super) async fn correct_contact(
    state: &ApiState,
    access: &Access,
    debtor: &DebtorId,
    edit: &serde_json::Value,
) -> Result<Recorded, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    match edit_contact(tx.as_mut(), &access.tenant, debtor, edit, now).await?? {
        ContactOutcome::Done { before, after } => {
            let entry =
                record(tx.as_mut(), access, "debtor.contact", None, Some(debtor), before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        ContactOutcome::UnknownDebtor => Err(ConsoleError::NotFound),
    }
}

/// Move the case's next reminder to a time (RFC 3339, in the future): pending reminders are
/// withdrawn and the stage is planned anew at that time, within the debtor's allowed hours.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/reschedule", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    request_body(content = Object, content_type = "application/json",
        description = "`at`: when the next reminder may go out at the earliest (RFC 3339, after now)"),
    responses(
        (status = 200, description = "Rescheduled; the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case takes no reminders now", body = ErrorBody),
        (status = 422, description = "`at` is missing, wrong or not in the future", body = ErrorBody)
    )
)]
pub async fn reschedule(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    reschedule_to(&state, &access, id, object(&body)).await.map(Json)
}

/// Reschedules and records it (the API's and the case page's); `body` is looked at only once
/// the case is found.
pub(super) async fn reschedule_to(
    state: &ApiState,
    access: &Access,
    id: i64,
    body: Result<Fields, ConsoleError>,
) -> Result<Recorded, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    // Not found before a wrong body: another tenant's case looks like a missing one.
    tx.tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let body = body?;
    let raw = required(&body, "at", "when the next reminder may go out (RFC 3339)")?;
    let at = chrono::DateTime::parse_from_rfc3339(raw)
        .map_err(|e| ConsoleError::field("at", format!("'{raw}' is not an RFC 3339 time: {e}")))?
        .with_timezone(&chrono::Utc);
    if at <= now {
        return Err(ConsoleError::field("at", "must be in the future"));
    }
    match reschedule_case(tx.as_mut(), &access.tenant, id, at, now).await? {
        RescheduleOutcome::Done { due_before, reminders_withdrawn } => {
            let before = json!({"next_action_at": due_before});
            let after = json!({"next_action_at": at, "reminders_withdrawn": reminders_withdrawn});
            let entry =
                record(tx.as_mut(), access, "case.reschedule", Some(id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        RescheduleOutcome::NotAllowed(current) => {
            Err(ConsoleError::Refused(Refusal::state(current, Blocked::Reschedule)))
        }
        RescheduleOutcome::UnknownCase => Err(ConsoleError::NotFound),
    }
}
