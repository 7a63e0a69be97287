//! The case page's confirmed interventions: escalate now, resend on a channel, switch plan, mark
//! disputed, resolve the dispute, cancel, reschedule the next reminder, credit or write off, and
//! correct the debtor's contact data. Each is a form behind a confirmation step that needs no script
//! (the page opens a `<details>` with what will happen and a "Confirm" button), posted with the
//! session's CSRF token to `POST /console/cases/{id}/<action>`. It runs the same function as the
//! JSON route; done, the browser is sent back to the case page (post/redirect/get); refused (the
//! case's state does not allow it, a field is wrong), the case page says why in its language
//! (`refusal`).

use super::auth::{same_token, session_access};
use super::error::ConsoleError;
use super::i18n::Lang;
use super::pages::{case_page, to_login, CaseView};
use super::refusal::page_refusal;
use super::steering::Fields;
use crate::api::ApiState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde_json::Value;
use std::collections::BTreeMap;

/// Which intervention a form asks for; its path segment is also the `done` word of the page.
#[derive(Debug, Clone, Copy)]
enum Intervention {
    Escalate,
    Resend,
    SwitchPlan,
    Dispute,
    ResolveDispute,
    Cancel,
    Reschedule,
    Credit,
    Contact,
}

impl Intervention {
    fn word(self) -> &'static str {
        match self {
            Self::Escalate => "escalate",
            Self::Resend => "resend",
            Self::SwitchPlan => "plan",
            Self::Dispute => "dispute",
            Self::ResolveDispute => "resolve-dispute",
            Self::Cancel => "cancel",
            Self::Reschedule => "reschedule",
            Self::Credit => "credit",
            Self::Contact => "contact",
        }
    }
}

/// Checks the session and its token, runs the intervention with the form's other fields, and
/// answers as the module says.
async fn intervene(
    state: ApiState,
    headers: HeaderMap,
    id: i64,
    mut form: BTreeMap<String, String>,
    intervention: Intervention,
) -> Result<Response, ConsoleError> {
    let Some((access, csrf_token)) = session_access(&state, &headers).await? else { return Ok(to_login()) };
    let sent_token = form.remove("csrf_token").unwrap_or_default();
    if !same_token(&sent_token, &csrf_token) {
        return Err(ConsoleError::Forbidden("missing or wrong CSRF token"));
    }
    access.require_write()?;
    let fields: Fields = form.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    let done = match intervention {
        Intervention::Escalate => super::steering::escalate_now(&state, &access, id).await,
        Intervention::Resend => super::steering::resend_on(&state, &access, id, Ok(fields)).await,
        Intervention::SwitchPlan => super::steering::switch_to(&state, &access, id, Ok(fields)).await,
        Intervention::Dispute => super::disputes::mark_disputed(&state, &access, id, Ok(fields)).await,
        Intervention::ResolveDispute => super::disputes::resolve_open(&state, &access, id, Ok(fields)).await,
        Intervention::Cancel => super::interventions::cancel_case(&state, &access, id).await,
        Intervention::Reschedule => {
            super::interventions::reschedule_to(&state, &access, id, Ok(at_in_utc(fields))).await
        }
        Intervention::Credit => {
            super::credits::credit_with(
                &state,
                &access,
                id,
                Ok(without_empty(fields, &["amount", "reference"])),
            )
            .await
        }
        Intervention::Contact => contact_of_case(&state, &access, id, fields).await,
    };
    let lang = Lang::choose(None, &headers);
    let (status, why) = match done {
        Ok(_) => {
            let to = format!("/console/cases/{id}?done={}", intervention.word());
            return Ok(Redirect::to(&to).into_response());
        }
        Err(error) => page_refusal(lang, &error).ok_or(error)?,
    };
    let view = CaseView { lang, remember: false, status };
    case_page(&state, &access, &csrf_token, id, view, None, Some(&why)).await
}

/// The page's `at` is a `datetime-local` value (`2026-12-08T09:30`, no zone), meant as UTC as
/// every time on the page; it is handed on as RFC 3339. Anything else goes on as typed, so the
/// API's own check names `at` and says why.
fn at_in_utc(mut fields: Fields) -> Fields {
    let local = fields.get("at").and_then(Value::as_str).map(str::trim).and_then(|raw| {
        ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|format| chrono::NaiveDateTime::parse_from_str(raw, format).ok())
    });
    if let Some(local) = local {
        fields.insert("at".into(), Value::String(local.and_utc().to_rfc3339()));
    }
    fields
}

/// The form without the optional fields left empty (the API's default applies, as when a JSON
/// body leaves them out).
fn without_empty(mut fields: Fields, optional: &[&str]) -> Fields {
    fields.retain(|name, value| {
        !(optional.contains(&name.as_str()) && value.as_str().is_some_and(|v| v.trim().is_empty()))
    });
    fields
}

/// Corrects the contact data of the case's debtor. The form shows every field with what is
/// stored, so what it sends is what is to be stored: an emptied field clears it.
async fn contact_of_case(
    state: &ApiState,
    access: &super::auth::Access,
    id: i64,
    fields: Fields,
) -> Result<super::audit::Recorded, ConsoleError> {
    let mut tx = state.store.begin().await?;
    let case = tx.tenant_case(&access.tenant, id).await?.ok_or(ConsoleError::NotFound)?;
    drop(tx);
    let debtor = crate::domain::DebtorId::parse(&case.debtor_id).map_err(|_| ConsoleError::NotFound)?;
    super::interventions::correct_contact(state, access, &debtor, &contact_edit(fields)).await
}

/// The contact form as the contact edit the API takes: an emptied field clears it (the case
/// page's form and the debtor page's).
pub(super) fn contact_edit(fields: Fields) -> Value {
    let edit: Fields = fields
        .into_iter()
        .map(|(name, value)| match value.as_str().map(str::trim) {
            Some("") => (name, Value::Null),
            _ => (name, value),
        })
        .collect();
    Value::Object(edit)
}

macro_rules! form_route {
    ($($name:ident => $intervention:expr),* $(,)?) => {$(
        pub async fn $name(
            State(state): State<ApiState>,
            headers: HeaderMap,
            Path(id): Path<i64>,
            Form(form): Form<BTreeMap<String, String>>,
        ) -> Result<Response, ConsoleError> {
            intervene(state, headers, id, form, $intervention).await
        }
    )*};
}

form_route! {
    escalate => Intervention::Escalate,
    resend => Intervention::Resend,
    switch_plan => Intervention::SwitchPlan,
    dispute => Intervention::Dispute,
    resolve_dispute => Intervention::ResolveDispute,
    cancel => Intervention::Cancel,
    reschedule => Intervention::Reschedule,
    credit => Intervention::Credit,
    contact => Intervention::Contact,
}
