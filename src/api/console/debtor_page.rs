//! The debtor page: `GET /console/debtors/{id}` (the debtor as `GET /api/v1/debtors/{id}` reads
//! it: contact data, the consent in force per channel in words, every case with its state and
//! open amount, the last Mahnstopp, which cases it paused and whether it was lifted, the GDPR
//! export as a JSON download), and its confirmed forms: `POST /console/debtors/{id}/stop` (the
//! Mahnstopp, the JSON route's function), `POST /console/debtors/{id}/lift-stop` (lifting the
//! Mahnstopp in force, as `DELETE /api/v1/debtors/{id}/stop`) and
//! `POST /console/debtors/{id}/contact` (the contact data, as the case page corrects them). Done, the browser is sent back to the page (post/redirect/get);
//! refused, the page says why in its language. The id in the path is the debtor's id as the
//! creditor gave it, percent-encoded ([`debtor_path`]).

use super::audit::audit_entries;
use super::auth::{same_token, session_access, Access};
use super::debtors::debtor_detail;
use super::error::ConsoleError;
use super::i18n::Lang;
use super::marketing_consents::marketing_overview;
use super::pages::{page, to_login, who, ActionForm, CaseView};
use super::refusal::page_refusal;
use super::steering::Fields;
use crate::api::ApiState;
use crate::domain::{ChannelKind, DebtorId};
use crate::schedule::lift_stop::{debtor_entries, LIFT_ACTION, STOP_ACTION};
use crate::store::console::{AuditEntry, AuditFilter};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The debtor page's path for the debtor id `id`, percent-encoded as one path segment (a
/// creditor's ids may hold `/`, `#`, `?` or spaces): every byte but RFC 3986's unreserved
/// characters as `%XX`.
pub fn debtor_path(id: &str) -> String {
    let mut path = String::from("/console/debtors/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path
}

#[derive(Deserialize)]
pub struct DebtorQuery {
    done: Option<String>,
    lang: Option<String>,
}

/// `GET /console/debtors/{id}`.
pub async fn debtor(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<DebtorQuery>,
) -> Result<Response, ConsoleError> {
    let Some((access, csrf_token)) = session_access(&state, &headers).await? else { return Ok(to_login()) };
    let lang = Lang::choose(query.lang.as_deref(), &headers);
    let view = CaseView { lang, remember: query.lang.is_some(), status: StatusCode::OK };
    let notice = match query.done.as_deref() {
        Some("stop") => Some(lang.text("done_stop")),
        Some("lift-stop") => Some(lang.text("done_lift_stop")),
        Some("contact") => Some(lang.text("done_contact")),
        _ => None,
    };
    let debtor = DebtorId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    debtor_page(&state, &access, &csrf_token, &debtor, view, notice, None).await
}

/// The debtor page, with `notice` after an intervention or `error` when one was refused.
async fn debtor_page(
    state: &ApiState,
    access: &Access,
    csrf_token: &str,
    id: &DebtorId,
    view: CaseView,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, ConsoleError> {
    let detail = debtor_detail(state, access, id).await?;
    let marketing = marketing_overview(state, access, id).await?;
    let newest = |action: &str| AuditFilter { limit: 1, ..debtor_entries(action, id) };
    let (stops, _) = audit_entries(state, access, newest(STOP_ACTION)).await?;
    let (lifts, _) = audit_entries(state, access, newest(LIFT_ACTION)).await?;
    // Whether a lift is offered is the stored fact's, not the log's (which may have been pruned).
    let in_force =
        state.store.begin().await?.mahnstopp(&access.tenant, id).await?.is_some_and(|s| s.in_force());
    let lang = view.lang;
    let numbers: BTreeMap<i64, &str> =
        detail.cases.iter().map(|c| (c.case_id, c.invoice_number.as_str())).collect();
    // An entry's list of cases (`paused_cases`, `resumed_cases`), linked by invoice number.
    let listed = |entry: &AuditEntry, name: &str| -> Vec<minijinja::Value> {
        entry.after[name]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .map(|case_id| context! { case_id, number => numbers.get(&case_id).copied() })
            .collect()
    };
    let stop = stops.first().map(|entry| {
        let lift = lifts.first().filter(|lift| lift.id > entry.id);
        let lifted = lift.map(|lift| {
            context! { at => lift.at.format("%Y-%m-%d %H:%M").to_string(),
            by => super::audit_text::actor(lang, &lift.actor), resumed => listed(lift, "resumed_cases") }
        });
        context! { at => entry.at.format("%Y-%m-%d %H:%M").to_string(),
        by => super::audit_text::actor(lang, &entry.actor), paused => listed(entry, "paused_cases"), lifted }
    });
    let cases: Vec<_> = detail
        .cases
        .iter()
        .map(|case| {
            let open = case.open_amount();
            context! { case_id => case.case_id, invoice_number => case.invoice_number, state => case.state,
            amount_due => case.amount_due, open, currency => case.currency, due_on => case.due_on }
        })
        .collect();
    let consents: Vec<_> = ChannelKind::ALL
        .iter()
        .map(|channel| {
            let name = channel.as_str();
            let record = detail.debtor.consents.iter().find(|c| c.channel == name);
            context! { channel => name, permitted => detail.channel_permitted.get(name).copied().unwrap_or(false),
            kind => record.map(|c| c.kind.as_str()), source => record.map(|c| c.source.as_str()),
            at => record.map(|c| c.at.format("%Y-%m-%d").to_string()) }
        })
        .collect();
    let marketing: Vec<_> = marketing
        .channels
        .iter()
        .map(|c| {
            let kind = (c.consent != "none").then_some(c.consent.as_str());
            context! { channel => c.channel, kind, source => c.source, may_advertise => c.may_advertise,
            at => c.since.map(|at| at.format("%Y-%m-%d").to_string()), basis => c.basis }
        })
        .collect();
    let debtor = &detail.debtor;
    let address: Vec<&str> =
        [&debtor.address_line1, &debtor.address_line2].into_iter().flatten().map(String::as_str).collect();
    let town =
        [&debtor.postal_code, &debtor.city].into_iter().flatten().map(String::as_str).collect::<Vec<_>>();
    let export = format!("/api/v1{}/export", debtor_path(id.as_str()).trim_start_matches("/console"));
    let audit_link = format!(
        "/console/audit?{}",
        serde_urlencoded::to_string([("debtor_id", id.as_str())]).unwrap_or_default()
    );
    Ok(page(
        view.status,
        "debtor.html.j2",
        lang,
        view.remember,
        context! { operator => who(access), tenant => access.tenant.as_str(), debtor, cases, consents, stop, in_force, marketing,
        notice, error, csrf_token, can_write => access.scope.can_write(), path => debtor_path(id.as_str()),
        address, town => town.join(" "), export, export_name => format!("debtor-{}.json", id.as_str()),
        audit_link },
    ))
}

/// Checks the session and the form's token, and that the caller may change things.
async fn writer(
    state: &ApiState,
    headers: &HeaderMap,
    form_token: &str,
) -> Result<Option<(Access, String)>, ConsoleError> {
    let Some((access, csrf_token)) = session_access(state, headers).await? else { return Ok(None) };
    if !same_token(form_token, &csrf_token) {
        return Err(ConsoleError::Forbidden("missing or wrong CSRF token"));
    }
    access.require_write()?;
    Ok(Some((access, csrf_token)))
}

/// `POST /console/debtors/{id}/stop`: the Mahnstopp, confirmed.
pub async fn stop(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, ConsoleError> {
    let Some((access, _)) = writer(&state, &headers, &form.csrf_token).await? else { return Ok(to_login()) };
    let debtor = DebtorId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    super::mahnstopp::stop_and_record(&state, &access, &debtor).await?;
    Ok(Redirect::to(&format!("{}?done=stop", debtor_path(&id))).into_response())
}

/// `POST /console/debtors/{id}/lift-stop`: the Mahnstopp lifted, confirmed; refused (none in
/// force, a second click) the page says so.
pub async fn lift_stop(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, ConsoleError> {
    let Some((access, csrf_token)) = writer(&state, &headers, &form.csrf_token).await? else {
        return Ok(to_login());
    };
    let debtor = DebtorId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    match super::mahnstopp::lift_and_record(&state, &access, &debtor).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?done=lift-stop", debtor_path(&id))).into_response()),
        Err(error) => {
            let lang = Lang::choose(None, &headers);
            let (status, why) = page_refusal(lang, &error).ok_or(error)?;
            let view = CaseView { lang, remember: false, status };
            debtor_page(&state, &access, &csrf_token, &debtor, view, None, Some(&why)).await
        }
    }
}

/// `POST /console/debtors/{id}/contact`: the debtor's contact data as the form shows them.
pub async fn contact(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(mut form): Form<BTreeMap<String, String>>,
) -> Result<Response, ConsoleError> {
    let sent_token = form.remove("csrf_token").unwrap_or_default();
    let Some((access, csrf_token)) = writer(&state, &headers, &sent_token).await? else {
        return Ok(to_login());
    };
    let debtor = DebtorId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    let fields: Fields = form.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    let edit = super::page_actions::contact_edit(fields);
    let lang = Lang::choose(None, &headers);
    match super::interventions::correct_contact(&state, &access, &debtor, &edit).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?done=contact", debtor_path(&id))).into_response()),
        Err(error) => {
            let (status, why) = page_refusal(lang, &error).ok_or(error)?;
            let view = CaseView { lang, remember: false, status };
            debtor_page(&state, &access, &csrf_token, &debtor, view, None, Some(&why)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::debtor_path;

    #[test]
    fn a_debtor_id_is_one_path_segment() {
        assert_eq!(debtor_path("C-1001"), "/console/debtors/C-1001");
        assert_eq!(debtor_path("A/B #1?x"), "/console/debtors/A%2FB%20%231%3Fx");
        assert_eq!(debtor_path("Müller"), "/console/debtors/M%C3%BCller");
    }
}
