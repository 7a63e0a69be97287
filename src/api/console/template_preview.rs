//! `POST /api/v1/templates/validate` and `POST /api/v1/templates/preview`: a creditor checks a
//! reminder template before putting it in place (`deliver::templates::check_source`, the checks
//! loading runs; nothing is stored), and sees a stage of one of its plans rendered for a channel
//! and language with its own templates (`deliver::preview::render_preview`, the renderer of
//! `mahnwerk preview`). Both only read: any role may call them.

use super::auth::Access;
use super::error::{ConsoleError, ErrorBody};
use super::steering::{object, Fields};
use crate::api::ApiState;
use crate::deliver::preview::{
    render_preview, Preview, PreviewError, PreviewParts, PreviewRequest, SampleInvoice,
};
use crate::deliver::templates::{check_source, NAMES};
use crate::domain::{ChannelKind, Language, Tone};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mahnwerk_channels::OutgoingMessage;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A template to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "sms", "language": "de",
    "source": "{{ creditor_name }}: Rechnung {{ invoice_number }} über {{ amount }} ist offen. {{ pay_link }}"}))]
pub struct ValidateBody {
    /// Which template: `email_subject`, `email_text`, `email_html`, `sms`, `chat` (WhatsApp and
    /// Messenger), `letter_subject`, `letter_body`, `instalment_subject`, `instalment`,
    /// `instalment_sms`.
    pub name: String,
    /// The language it is written in (`de`, `de-AT`): amounts and dates of the samples it is
    /// rendered against are written that way.
    pub language: String,
    /// The minijinja source.
    pub source: String,
}

/// A template that would load.
#[derive(Debug, Serialize, ToSchema)]
pub struct Validated {
    pub ok: bool,
    pub name: String,
    /// The channels whose reminders use it.
    pub channels: Vec<String>,
}

/// A template that would not load: the error as minijinja reports it, and where (from 1).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "syntax error: unexpected end of input, expected end of variable block (in de/sms.j2:1)",
    "field": "source", "line": 1, "column": 24}))]
pub struct SourceRefused {
    pub error: String,
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

/// Checks a template source as loading it from `templates_dir` would: syntax, every variable it
/// reads, one render per tone against the samples. Nothing is stored.
#[utoipa::path(
    post, path = "/api/v1/templates/validate", tag = "plans",
    request_body = ValidateBody,
    responses(
        (status = 200, description = "The template would load", body = Validated),
        (status = 401, body = ErrorBody),
        (status = 422, description = "A field is wrong, or the source would not load: the error with its line and column", body = SourceRefused)
    )
)]
pub async fn validate(_access: Access, body: Bytes) -> Result<Response, ConsoleError> {
    let fields = object(&body)?;
    expect_strings(&fields, &["name", "language", "source"], &[])?;
    let body: ValidateBody = parsed(fields)?;
    let language = Language::parse(body.language.trim()).map_err(|e| ConsoleError::field("language", e))?;
    if !NAMES.contains(&body.name.as_str()) {
        return Err(ConsoleError::field("name", format!("is one of {}", NAMES.join(", "))));
    }
    match check_source(&body.name, &language, &body.source) {
        Ok(()) => {
            let channels = channels_using(&body.name).iter().map(|c| c.as_str().to_owned()).collect();
            Ok(Json(Validated { ok: true, name: body.name, channels }).into_response())
        }
        Err(refused) => {
            let answer = SourceRefused {
                error: refused.reason,
                field: "source".into(),
                line: refused.line,
                column: refused.column,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(answer)).into_response())
        }
    }
}

/// The channels whose reminders read the template `name`.
fn channels_using(name: &str) -> &'static [ChannelKind] {
    use ChannelKind::*;
    match name {
        "email_subject" | "email_text" | "email_html" => &[Email],
        "sms" | "instalment_sms" => &[Sms],
        "chat" => &[Whatsapp, Messenger],
        "letter_subject" | "letter_body" => &[Letter],
        "instalment_subject" => &[Email, Letter],
        _ => &[Email, Whatsapp, Messenger, Letter],
    }
}

/// Which reminder to render.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plan": "standard-b2c", "stage": 2, "channel": "email", "language": "de",
    "sample": {"debtor_name": "Max Muster", "amount_due": "89.00", "currency": "EUR", "due_on": "2026-11-02"}}))]
pub struct PreviewBody {
    /// One of the tenant's plans; default: its plan for consumers.
    pub plan: Option<String>,
    /// The stage, from 1.
    pub stage: u32,
    /// `email`, `sms`, `whatsapp`, `messenger` or `letter`.
    pub channel: String,
    /// The debtor's language tag; default `de`.
    pub language: Option<String>,
    /// Instead of the stage's tone: `friendly`, `neutral` or `firm`.
    pub tone: Option<String>,
    pub sample: Option<SampleBody>,
}

/// The sample invoice's values; each one left out keeps the sample's (Erika Mustermann,
/// RE-2026-0042, 1234.56 EUR, due three weeks ago).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleBody {
    pub debtor_name: Option<String>,
    pub invoice_number: Option<String>,
    /// A decimal with at most two places, e.g. `129.90`.
    pub amount_due: Option<String>,
    /// ISO 4217, e.g. `EUR`.
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
}

/// The reminder as the channel worker would send it for the sample case.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"plan": "standard-b2c", "stage": 2, "stage_name": "1. Mahnung", "channel": "sms",
    "language": "de", "tone": "neutral",
    "body": "Stadtwerke Musterstadt GmbH: Rechnung RE-2026-0042 über 1.239,56 € (fällig 16.11.2026) ist noch offen. Hier bezahlen: https://pay.example/pay/… Fragen? +49 30 1234567"}))]
pub struct PreviewAnswer {
    pub plan: String,
    pub stage: u32,
    pub stage_name: String,
    pub channel: String,
    /// The sample debtor's language.
    pub language: String,
    pub tone: String,
    /// The email's or letter's subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The text: the email's plain-text part, the SMS, the chat message, the letter's body.
    pub body: String,
    /// The email's HTML part, when its templates have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The approved WhatsApp template the message is sent as, outside the service window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp_template: Option<String>,
}

impl PreviewAnswer {
    fn of(preview: &Preview) -> Self {
        let job = &preview.job;
        let (subject, body, html, whatsapp_template) = match &preview.message {
            OutgoingMessage::Email(m) => {
                (Some(m.subject.clone()), m.text_body.clone(), m.html_body.clone(), None)
            }
            OutgoingMessage::Sms(m) => (None, m.body.clone(), None, None),
            OutgoingMessage::Whatsapp(m) => {
                (None, m.body.clone(), None, m.template.as_ref().map(|t| t.name.clone()))
            }
            OutgoingMessage::Messenger(m) => (None, m.text.clone(), None, None),
            OutgoingMessage::Letter(m) => (Some(m.subject.clone()), m.body.clone(), None, None),
        };
        Self {
            plan: preview.plan.to_string(),
            stage: job.stage + 1,
            stage_name: job.stage_name.clone(),
            channel: job.channel.as_str().to_owned(),
            language: job.debtor.language.to_string(),
            tone: job.tone.as_str().to_owned(),
            subject,
            body,
            html,
            whatsapp_template,
        }
    }
}

/// Renders a stage of one of the tenant's plans for a channel and language, with the tenant's
/// templates and creditor, exactly as `mahnwerk preview` does. Nothing is stored or sent.
#[utoipa::path(
    post, path = "/api/v1/templates/preview", tag = "plans",
    request_body = PreviewBody,
    responses(
        (status = 200, description = "The rendered reminder", body = PreviewAnswer),
        (status = 401, body = ErrorBody),
        (status = 422, description = "A field is wrong (a plan the tenant does not have, a stage it lacks); it is named", body = ErrorBody)
    )
)]
pub async fn preview(
    State(state): State<ApiState>,
    access: Access,
    body: Bytes,
) -> Result<Json<PreviewAnswer>, ConsoleError> {
    let fields = object(&body)?;
    expect_strings(&fields, &["channel"], &["plan", "language", "tone"])?;
    match fields.get("stage") {
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=u64::from(u32::MAX)).contains(&n)) => {}
        Some(_) => return Err(ConsoleError::field("stage", "must be a whole number from 1")),
        None => return Err(ConsoleError::field("stage", "is required: the stage, from 1")),
    }
    if let Some(sample) = fields.get("sample") {
        let Value::Object(sample) = sample else {
            return Err(ConsoleError::field("sample", "must be an object"));
        };
        let names = ["debtor_name", "invoice_number", "amount_due", "currency", "due_on"];
        if let Some((name, _)) =
            sample.iter().find(|(name, value)| names.contains(&name.as_str()) && !value.is_string())
        {
            return Err(ConsoleError::field(format!("sample.{name}"), "must be a string"));
        }
    }
    let body: PreviewBody = parsed(fields)?;
    let channel: ChannelKind = body.channel.trim().parse().map_err(|e| ConsoleError::field("channel", e))?;
    let tone = match body.tone.as_deref() {
        Some(raw) => Some(Tone::parse(raw.trim()).map_err(|e| ConsoleError::field("tone", e))?),
        None => None,
    };
    let sample = body.sample.unwrap_or_default();
    let request = PreviewRequest {
        tenant: access.tenant.clone(),
        plan: body.plan,
        stage: body.stage,
        channel,
        language: body.language,
        tone,
        sample: SampleInvoice {
            debtor_name: sample.debtor_name,
            invoice_number: sample.invoice_number,
            amount_due: sample.amount_due,
            currency: sample.currency,
            due_on: sample.due_on,
        },
    };
    let preview = preview_for(&state, &request)?;
    Ok(Json(PreviewAnswer::of(&preview)))
}

/// `request` rendered with the console's plans, templates, creditors and links (the API's and
/// the plans page's).
pub(super) fn preview_for(state: &ApiState, request: &PreviewRequest) -> Result<Preview, ConsoleError> {
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let parts = PreviewParts {
        plans: &console.plans,
        templates: &console.templates,
        creditors: &console.creditors,
        links: &state.links,
    };
    render_preview(&parts, request, state.clock.now()).map_err(|error| match error {
        PreviewError::Invalid { field, reason } => ConsoleError::field(field, reason),
        PreviewError::Render(e) => ConsoleError::Internal(format!("rendering a preview: {e}")),
    })
}

/// 422 naming the first of `required` that is missing or not a string, or of `optional` that
/// is there but not a string (`null` is absent).
fn expect_strings(fields: &Fields, required: &[&str], optional: &[&str]) -> Result<(), ConsoleError> {
    for name in required {
        match fields.get(*name) {
            Some(Value::String(_)) => {}
            Some(_) => return Err(ConsoleError::field(*name, "must be a string")),
            None => return Err(ConsoleError::field(*name, "is required")),
        }
    }
    for name in optional {
        if let Some(value) = fields.get(*name) {
            if !value.is_string() && !value.is_null() {
                return Err(ConsoleError::field(*name, "must be a string"));
            }
        }
    }
    Ok(())
}

/// The body as `T`, once its fields' types are checked: what is left to refuse is a field `T`
/// does not know, which serde names.
fn parsed<T: serde::de::DeserializeOwned>(fields: Fields) -> Result<T, ConsoleError> {
    serde_json::from_value(Value::Object(fields)).map_err(|e| ConsoleError::field("$", e))
}
