//! A debtor's Mahnstopp over the API: `POST /api/v1/debtors/{id}/stop` pauses every case of the
//! debtor that still takes reminders (`schedule::pause::stop_debtor`), `DELETE` on the same path
//! lifts it (`schedule::lift_stop`: exactly the cases it paused and still holds are resumed).
//! Each writes its audit entry in the transaction of the change; the debtor page's buttons run
//! the same functions.

use super::audit::{record, Recorded};
use super::auth::{Access, Writer};
use super::error::{ConsoleError, ErrorBody};
use super::interventions::debtor_id;
use super::refusal::Refusal;
use crate::api::ApiState;
use crate::domain::DebtorId;
use crate::schedule::lift_stop::{lift_debtor_stop, LiftOutcome, LIFT_ACTION, STOP_ACTION};
use crate::schedule::pause::stop_debtor;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::json;

/// Mahnstopp: pause every case of the debtor that still takes reminders.
#[utoipa::path(
    post, path = "/api/v1/debtors/{id}/stop", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    responses(
        (status = 200, description = "The audit entry; `after.paused_cases` lists the cases paused", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub async fn stop(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<String>,
) -> Result<Json<Recorded>, ConsoleError> {
    let debtor = debtor_id(&id)?;
    stop_and_record(&state, &access, &debtor).await.map(Json)
}

/// Runs the Mahnstopp and records it (the API's and the debtor page's).
pub(super) async fn stop_and_record(
    state: &ApiState,
    access: &Access,
    debtor: &DebtorId,
) -> Result<Recorded, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let paused =
        stop_debtor(tx.as_mut(), &access.tenant, debtor, now).await?.ok_or(ConsoleError::NotFound)?;
    let before: Vec<_> =
        paused.iter().map(|(case_id, state)| json!({"case_id": case_id, "state": state})).collect();
    let ids: Vec<i64> = paused.iter().map(|(case_id, _)| *case_id).collect();
    let (before, after) = (json!({"cases": before}), json!({"paused_cases": ids}));
    let entry = record(tx.as_mut(), access, STOP_ACTION, None, Some(debtor), before, after, now).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Lift the debtor's Mahnstopp: the cases it paused that it still holds (paused, not paused
/// again by an operator since) are resumed and due at once; cases paid, cancelled, disputed or
/// resumed meanwhile are left as they are.
#[utoipa::path(
    delete, path = "/api/v1/debtors/{id}/stop", tag = "debtors",
    params(("id" = String, Path, description = "The debtor id")),
    responses(
        (status = 200, description = "The audit entry: `before.cases` the Mahnstopp's cases with their states, \
            `before.stopped_at` when it was made, `after.resumed_cases` the cases resumed", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "No Mahnstopp is in force for the debtor; nothing changed", body = ErrorBody)
    )
)]
pub async fn lift(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<String>,
) -> Result<Json<Recorded>, ConsoleError> {
    let debtor = debtor_id(&id)?;
    lift_and_record(&state, &access, &debtor).await.map(Json)
}

/// Lifts the Mahnstopp and records it (the API's and the debtor page's).
pub(super) async fn lift_and_record(
    state: &ApiState,
    access: &Access,
    debtor: &DebtorId,
) -> Result<Recorded, ConsoleError> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    match lift_debtor_stop(tx.as_mut(), &access.tenant, debtor, now).await? {
        LiftOutcome::Lifted { stopped_at, cases, resumed } => {
            let cases: Vec<_> =
                cases.iter().map(|(case_id, state)| json!({"case_id": case_id, "state": state})).collect();
            let before = json!({"stopped_at": stopped_at, "cases": cases});
            let after = json!({"resumed_cases": resumed});
            let entry =
                record(tx.as_mut(), access, LIFT_ACTION, None, Some(debtor), before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        LiftOutcome::NotInForce { lifted_at } => {
            Err(ConsoleError::Refused(Refusal::NoMahnstopp { lifted_at }))
        }
        LiftOutcome::UnknownDebtor => Err(ConsoleError::NotFound),
    }
}
