//! `POST /api/v1/cases/{id}/credit`: the operator credits or writes off part or all of a case's
//! claim through the pay stage's rule (`crate::pay::credit`), recorded in the audit log with the
//! open amount before and after, in the same transaction.

use super::audit::{record, Recorded};
use super::auth::{Access, Writer};
use super::error::{ConsoleError, ErrorBody};
use super::refusal::{Blocked, Refusal};
use super::steering::{object, Fields};
use crate::api::ApiState;
use crate::pay::credit::{credit_case, credit_kind, CreditOutcome, CreditRequest};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

/// An amount as the API writes money: two decimals at least (`64.95`, `0.00`).
fn money(amount: Decimal) -> String {
    let mut amount = amount.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount.to_string()
}

/// The body of a credit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditBody {
    kind: Option<String>,
    amount: Option<String>,
    reference: Option<String>,
}

/// Credit or write off part or all of the claim: `kind` (`credit` or `write_off`), optional
/// `amount` (default: everything open) and `reference` (the same again changes nothing).
#[utoipa::path(
    post, path = "/api/v1/cases/{id}/credit", tag = "cases",
    params(("id" = i64, Path, description = "The case id")),
    request_body(content = Object, content_type = "application/json",
        description = "`kind`: `credit` or `write_off`; optional `amount` (a decimal string, at most what is \
            open; default: all of it) and `reference` (default: one made from the time)"),
    responses(
        (status = 200, description = "Recorded; the audit entry with the open amount before and after", body = Recorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case is closed, or this reference was used before", body = ErrorBody),
        (status = 422, description = "A field is wrong; it is named", body = ErrorBody)
    )
)]
pub async fn credit(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Recorded>, ConsoleError> {
    credit_with(&state, &access, id, object(&body)).await.map(Json)
}

/// Credits or writes off and records it (the API's and the case page's); `body` is looked at
/// only once the case is found.
pub(super) async fn credit_with(
    state: &ApiState,
    access: &Access,
    id: i64,
    body: Result<Fields, ConsoleError>,
) -> Result<Recorded, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let mut tx = state.store.begin().await?;
    // Not found before a wrong body: another tenant's case looks like a missing one.
    tx.tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    let body: CreditBody = serde_json::from_value(serde_json::Value::Object(body?))
        .map_err(|e| ConsoleError::field("$", format!("not a credit: {e}")))?;
    let kind = credit_kind(body.kind.as_deref().ok_or_else(|| ConsoleError::field("kind", "is required"))?)?;
    let now = state.clock.now();
    let reference = match body.reference {
        Some(reference) if !reference.trim().is_empty() => reference.trim().to_owned(),
        Some(_) => return Err(ConsoleError::field("reference", "must not be empty")),
        None => format!("console-{}", now.timestamp_micros()),
    };
    let request = CreditRequest { kind, amount: body.amount, reference: reference.clone() };
    let law = console.creditors.get(access.tenant.as_str()).law();
    match credit_case(tx.as_mut(), &access.tenant, id, &request, console.attribution, &law, now).await?? {
        CreditOutcome::Done { amount, open_before, open_after, before, after } => {
            let action = format!("case.{}", kind.as_str());
            let before = json!({"state": before, "open_amount": money(open_before)});
            let after = json!({"state": after, "open_amount": money(open_after),
                               "amount": money(amount), "reference": reference});
            let entry = record(tx.as_mut(), access, &action, Some(id), None, before, after, now).await?;
            tx.commit().await?;
            Ok(entry)
        }
        CreditOutcome::Duplicate => Err(ConsoleError::Refused(Refusal::ReferenceUsed(reference.to_string()))),
        CreditOutcome::NotAllowed(current) => {
            Err(ConsoleError::Refused(Refusal::state(current, Blocked::Credit)))
        }
        CreditOutcome::UnknownCase => Err(ConsoleError::NotFound),
    }
}
