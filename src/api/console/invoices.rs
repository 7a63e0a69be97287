//! Invoices in over HTTP, for creditors without an AMQP client: the same `mahnwerk.invoice.v1`
//! bodies as the intake queue, parsed by the intake's own parser (errors name the field, 422)
//! and applied by its own `apply_commands` (idempotent by tenant and invoice number). The
//! tenant is the caller's: a body naming another tenant is refused, naming `tenant`.

use super::auth::Writer;
use super::error::{ConsoleError, ErrorBody};
use crate::api::ApiState;
use crate::intake::message::{self, CANCELLED, OVERDUE, PAID};
use crate::intake::{apply_commands, IntakeOutcome};
use crate::pay::Settlement;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// What became of an invoice command.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceAnswer {
    pub invoice_number: String,
    /// `created`, `duplicate` (known already; nothing changed), `payment_recorded`,
    /// `payment_duplicate`, `cancelled`.
    pub outcome: String,
    /// The case of the invoice, when there is one.
    pub case_id: Option<i64>,
    /// For a payment: whether it closed the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_closed: Option<bool>,
}

/// The body as a JSON object with the caller's tenant (and, for the routes under an invoice, its
/// number) filled in; a body naming others is refused.
fn with_identity(
    body: &[u8],
    tenant: &str,
    number: Option<&str>,
    allow_empty: bool,
) -> Result<Vec<u8>, ConsoleError> {
    let mut object = if body.iter().all(u8::is_ascii_whitespace) && allow_empty {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => object,
            Ok(_) => return Err(ConsoleError::field("$", "the body must be a JSON object")),
            Err(e) => return Err(ConsoleError::field("$", format!("not valid JSON: {e}"))),
        }
    };
    object.entry("schema").or_insert_with(|| Value::from(message::SCHEMA));
    let mut fill = |name: &str, value: &str| match object.get(name) {
        None | Some(Value::Null) => {
            object.insert(name.to_owned(), Value::from(value));
            Ok(())
        }
        Some(Value::String(given)) if given == value => Ok(()),
        Some(_) if name == "tenant" => {
            Err(ConsoleError::field("tenant", "is not the tenant of your credentials"))
        }
        Some(_) => Err(ConsoleError::field(name, "does not match the invoice number in the path")),
    };
    fill("tenant", tenant)?;
    if let Some(number) = number {
        fill("invoice_number", number)?;
    }
    Ok(serde_json::to_vec(&Value::Object(object)).expect("JSON serialises"))
}

/// Parses and applies one intake message of `routing_key` for the caller.
async fn apply(
    state: &ApiState,
    routing_key: &str,
    body: &[u8],
) -> Result<(String, IntakeOutcome), ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let now = state.clock.now();
    let command = message::parse(routing_key, body, &console.plans, now).map_err(|(error, _)| error)?;
    let number = match &command {
        crate::intake::IntakeCommand::Overdue { invoice, .. } => invoice.number.to_string(),
        crate::intake::IntakeCommand::Paid(payment) => payment.invoice_number.to_string(),
        crate::intake::IntakeCommand::Cancelled { invoice_number, .. } => invoice_number.to_string(),
        _ => return Err(ConsoleError::Internal(format!("{routing_key} made an unexpected command"))),
    };
    let creditors = std::sync::Arc::clone(&console.creditors);
    let settlement = Settlement::new(std::sync::Arc::new(move |tenant: &crate::domain::TenantId| {
        creditors.get(tenant.as_str()).law()
    }));
    let mut outcomes =
        apply_commands(state.store.as_ref(), &settlement, &[command], console.attribution, now).await?;
    let outcome = outcomes.pop().ok_or_else(|| ConsoleError::Internal("no outcome".into()))?;
    Ok((number, outcome))
}

async fn answer(
    state: &ApiState,
    tenant: &str,
    number: String,
    outcome: IntakeOutcome,
) -> Result<(StatusCode, Json<InvoiceAnswer>), ConsoleError> {
    let (status, word, case_closed) = match outcome {
        IntakeOutcome::Created => (StatusCode::CREATED, "created", None),
        IntakeOutcome::Duplicate => (StatusCode::OK, "duplicate", None),
        IntakeOutcome::PaymentRecorded { case_closed } => {
            (StatusCode::OK, "payment_recorded", Some(case_closed))
        }
        IntakeOutcome::PaymentDuplicate => (StatusCode::OK, "payment_duplicate", None),
        IntakeOutcome::CaseCancelled => (StatusCode::OK, "cancelled", None),
        IntakeOutcome::AlreadyClosed => {
            return Err(ConsoleError::Refused(super::refusal::Refusal::ClosedAlready))
        }
        IntakeOutcome::UnknownInvoice => return Err(ConsoleError::NotFound),
        IntakeOutcome::CurrencyMismatch { expected } => {
            return Err(ConsoleError::field("currency", format!("the invoice is in {expected}")))
        }
        other => return Err(ConsoleError::Internal(format!("unexpected outcome {other:?}"))),
    };
    let case_id = state.store.case_by_invoice(tenant, &number).await?.map(|case| case.case_id);
    Ok((status, Json(InvoiceAnswer { invoice_number: number, outcome: word.into(), case_id, case_closed })))
}

/// Hand over an overdue invoice.
#[utoipa::path(
    post, path = "/api/v1/invoices", tag = "invoices",
    request_body(content = Object, content_type = "application/json",
        description = "A mahnwerk.invoice.v1 message (docs/intake.md); `schema` and `tenant` may be left out"),
    responses(
        (status = 201, description = "Stored; the case is open", body = InvoiceAnswer),
        (status = 200, description = "Known already; nothing changed", body = InvoiceAnswer),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A field is wrong; it is named", body = ErrorBody)
    )
)]
pub async fn create(
    State(state): State<ApiState>,
    Writer(access): Writer,
    body: Bytes,
) -> Result<(StatusCode, Json<InvoiceAnswer>), ConsoleError> {
    let body = with_identity(&body, access.tenant.as_str(), None, false)?;
    let (number, outcome) = apply(&state, OVERDUE, &body).await?;
    answer(&state, access.tenant.as_str(), number, outcome).await
}

/// Record a payment of an invoice (`invoice.paid`).
#[utoipa::path(
    post, path = "/api/v1/invoices/{number}/paid", tag = "invoices",
    params(("number" = String, Path, description = "The invoice number")),
    request_body(content = Object, content_type = "application/json",
        description = "`paid_at` (RFC 3339), optional `amount_paid`, `currency`, `payment_reference`"),
    responses(
        (status = 200, body = InvoiceAnswer),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such invoice of your tenant", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn paid(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<InvoiceAnswer>), ConsoleError> {
    let body = with_identity(&body, access.tenant.as_str(), Some(&number), true)?;
    let (number, outcome) = apply(&state, PAID, &body).await?;
    answer(&state, access.tenant.as_str(), number, outcome).await
}

/// Cancel an invoice (`invoice.cancelled`): its case closes.
#[utoipa::path(
    post, path = "/api/v1/invoices/{number}/cancelled", tag = "invoices",
    params(("number" = String, Path, description = "The invoice number")),
    request_body(content = Object, content_type = "application/json", description = "Optional `cancelled_at`"),
    responses(
        (status = 200, body = InvoiceAnswer),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)
    )
)]
pub async fn cancelled(
    State(state): State<ApiState>,
    Writer(access): Writer,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<InvoiceAnswer>), ConsoleError> {
    let body = with_identity(&body, access.tenant.as_str(), Some(&number), true)?;
    let (number, outcome) = apply(&state, CANCELLED, &body).await?;
    answer(&state, access.tenant.as_str(), number, outcome).await
}
