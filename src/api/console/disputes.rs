//! A dispute from the console: the operator records that the debtor contests the claim (the
//! pay-page's dispute rule, `crate::pay::dispute`) or resolves an open one (the claim stands and
//! dunning resumes, or it is withdrawn and the case is cancelled, as `case.dispute_resolved`
//! does), with the audit entry in the same transaction.

use super::audit::{record, Recorded};
use super::auth::{Access, Writer};
use super::error::{ConsoleError, ErrorBody};
use super::refusal::{Blocked, Refusal};
use super::steering::{object, required, Fields};
use crate::api::ApiState;
use crate::domain::{DisputeReason, DisputeResolution};
use crate::pay::dispute::{dispute_case, resolve_dispute, DisputeOutcome};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

/// The optional free text `name` of `body`.
fn text<'a>(body: &'a Fields, name: &str) -> Result<&'a str, ConsoleError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(ConsoleError::field(name, "must be a string")),
    }
}

/// Mark the case disputed: `reason` (as the pay-page offers them) and optional `details`. The
/// case is held (pending reminders cancelled, an open promise or instalment plan replaced) and
/// `case.disputed` is emitted.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/dispute", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    request_body(content = Object, content_type = "application/json",
        description = "`reason`: already_paid, not_received, defective, wrong_amount, not_ordered or other; \
            optional `details` (free text, up to 2,000 characters)"),
    responses(
        (status = 200, description = "Disputed; the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Disputed already, or closed", body = ErrorBody),
        (status = 422, description = "`reason` is missing or unknown, or `details` is not text", body = ErrorBody)
    )
)]
pub async fn dispute(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    mark_disputed(&state, &access, id, object(&body)).await.map(Json)
}

/// Opens the dispute and records it; `body` is looked at only once the case is found.
pub(super) async fn mark_disputed(
    state: &ApiState,
    access: &Access,
    id: i64,
    body: Result<Fields, ConsoleError>,
) -> Result<Recorded, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let case = tx.lock_tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let body = body?;
    let known: Vec<&str> = DisputeReason::ALL.iter().map(|r| r.as_str()).collect();
    let raw = required(&body, "reason", &known.join(", "))?;
    let reason = DisputeReason::parse(raw).ok_or_else(|| {
        ConsoleError::field("reason", format!("'{raw}' is not one of {}", known.join(", ")))
    })?;
    let details = text(&body, "details")?;
    match dispute_case(tx.as_mut(), &case, reason, details, now).await? {
        DisputeOutcome::Done => {
            let before = json!({"state": case.state});
            let after = json!({"state": "disputed", "reason": reason});
            let entry =
                record(tx.as_mut(), access, "case.dispute", Some(id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        DisputeOutcome::Unchanged => Err(ConsoleError::Refused(Refusal::AlreadyDisputed)),
        DisputeOutcome::Closed(current) => {
            Err(ConsoleError::Refused(Refusal::state(current, Blocked::Dispute)))
        }
        DisputeOutcome::Unknown => Err(ConsoleError::NotFound),
    }
}

/// Resolve the case's open dispute: `resolution` `claim_stands` (dunning resumes at once) or
/// `claim_withdrawn` (the case is cancelled), optional `note`; `case.dispute_resolved` is emitted.
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/resolve-dispute", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    request_body(content = Object, content_type = "application/json",
        description = "`resolution`: claim_stands or claim_withdrawn; optional `note`"),
    responses(
        (status = 200, description = "Resolved; the audit entry", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case has no open dispute, or is closed", body = ErrorBody),
        (status = 422, description = "`resolution` is missing or unknown, or `note` is not text", body = ErrorBody)
    )
)]
pub async fn resolve(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    resolve_open(&state, &access, id, object(&body)).await.map(Json)
}

/// Resolves the dispute and records it; `body` is looked at only once the case is found.
pub(super) async fn resolve_open(
    state: &ApiState,
    access: &Access,
    id: i64,
    body: Result<Fields, ConsoleError>,
) -> Result<Recorded, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let case = tx.lock_tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let body = body?;
    let raw = required(&body, "resolution", "claim_stands or claim_withdrawn")?;
    let resolution = DisputeResolution::parse(raw).ok_or_else(|| {
        ConsoleError::field("resolution", format!("'{raw}' is not one of claim_stands, claim_withdrawn"))
    })?;
    let note = text(&body, "note")?;
    match resolve_dispute(tx.as_mut(), &access.tenant, &case.invoice_number, resolution, note, now).await? {
        DisputeOutcome::Done => {
            let after_state = tx.tenant_case(&access.tenant, id).await?.map(|c| c.state);
            let before = json!({"state": case.state});
            let after = json!({"state": after_state, "resolution": resolution, "note": note});
            let entry =
                record(tx.as_mut(), access, "case.resolve_dispute", Some(id), None, before, after, now)
                    .await?;
            tx.commit().await?;
            Ok(entry)
        }
        DisputeOutcome::Unchanged => Err(ConsoleError::Refused(Refusal::NoOpenDispute)),
        DisputeOutcome::Closed(current) => {
            Err(ConsoleError::Refused(Refusal::state(current, Blocked::ResolveDispute)))
        }
        DisputeOutcome::Unknown => Err(ConsoleError::NotFound),
    }
}
