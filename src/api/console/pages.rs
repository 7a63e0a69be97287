//! The console's server-rendered pages (minijinja, no JavaScript): `GET /console` (the login
//! form), `GET /console/cases` (search and state filter), `GET /console/cases/{id}` (the case, its
//! timeline in the page's words (`timeline_text`), and every intervention as a button: pause or
//! resume at once, the others behind a confirmation, see `page_actions`), `POST
//! /console/cases/{id}/pause|resume` (a form with the session's CSRF token; post/redirect/get).
//! The pages read and act through the same store steps and rules as the JSON API; a page
//! without a live session redirects to the login form.
//!
//! Answers carry a strict Content-Security-Policy (no scripts; the one stylesheet allowed by its
//! hash), no framing, no caching and no referrer.

use super::auth::{same_token, session_access, Access};
use super::cases::timeline;
use super::error::ConsoleError;
use super::i18n::{Lang, LANG_COOKIE};
use super::interventions::{pause_or_resume, Hold};
use super::timeline_text::entry_text;
use crate::api::ApiState;
use crate::domain::CaseState;
use crate::store::console::CaseFilter;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine as _;
use minijinja::{context, AutoEscape, Environment};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const STYLE: &str = include_str!("templates/console.css");

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        for (name, source) in [
            ("layout.html.j2", include_str!("templates/layout.html.j2")),
            ("login.html.j2", include_str!("templates/login.html.j2")),
            ("cases.html.j2", include_str!("templates/cases.html.j2")),
            ("case.html.j2", include_str!("templates/case.html.j2")),
            ("overview.html.j2", include_str!("templates/overview.html.j2")),
            ("debtor.html.j2", include_str!("templates/debtor.html.j2")),
            ("audit.html.j2", include_str!("templates/audit.html.j2")),
            ("plans.html.j2", include_str!("templates/plans.html.j2")),
            ("tenants.html.j2", include_str!("templates/tenants.html.j2")),
        ] {
            env.add_template(name, source).expect("the console's templates parse");
        }
        env.add_filter("debtor_path", |id: String| super::debtor_page::debtor_path(&id));
        env.add_filter("money", super::money_text::money_filter);
        env
    })
}

/// An HTML answer in `lang` with the console's security headers; `remember`: the language was
/// chosen with `?lang=` and is kept in a cookie for the pages that follow.
pub(super) fn page(
    status: StatusCode,
    name: &str,
    lang: Lang,
    remember: bool,
    ctx: minijinja::Value,
) -> Response {
    let html = match environment().get_template(name).and_then(|t| {
        t.render(
            context! { style => STYLE, t => lang.texts(), w => lang.words(), lang => lang.code(), ..ctx },
        )
    }) {
        Ok(html) => html,
        Err(error) => return ConsoleError::Internal(format!("rendering {name}: {error}")).into_response(),
    };
    let style_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    let csp = format!(
        "default-src 'none'; style-src 'sha256-{style_hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut response = (status, axum::response::Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("an ASCII policy"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    if remember {
        let cookie = format!("{LANG_COOKIE}={}; Path=/console; SameSite=Lax; Max-Age=31536000", lang.code());
        headers.insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("an ASCII cookie"));
    }
    response
}

/// The login form in `lang`, with `error` when a login was refused.
pub fn login_page(
    status: StatusCode,
    error: Option<&str>,
    tenant: Option<&str>,
    lang: Lang,
    remember: bool,
) -> Response {
    page(status, "login.html.j2", lang, remember, context! { error, tenant })
}

pub(super) fn to_login() -> Response {
    Redirect::to("/console").into_response()
}

/// `?lang=`, which every page takes.
#[derive(Deserialize)]
pub struct LangQuery {
    pub(super) lang: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    state: Option<String>,
    cursor: Option<i64>,
    lang: Option<String>,
}

pub(super) fn who(access: &Access) -> String {
    match access.actor.strip_prefix(super::auth::SUPER_ADMIN_ACTOR) {
        Some(email) => format!("{email} (super-admin)"),
        None => access.actor.trim_start_matches("operator:").to_owned(),
    }
}

/// `GET /console/cases`.
pub async fn cases(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let Some((access, _)) = session_access(&state, &headers).await? else { return Ok(to_login()) };
    let lang = Lang::choose(query.lang.as_deref(), &headers);
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let filter = CaseFilter {
        state: query.state.as_deref().and_then(CaseState::parse),
        text: q.map(str::to_owned),
        after_id: query.cursor,
        limit: 51,
        ..CaseFilter::default()
    };
    let mut tx = super::short_reads(&state).await?;
    let mut cases = tx.tenant_cases(&access.tenant, &filter).await?;
    drop(tx);
    let next_link = (cases.len() > 50).then(|| {
        cases.truncate(50);
        let cursor = cases.last().map_or(0, |c| c.case_id);
        let params = serde_urlencoded::to_string([
            ("q", q.unwrap_or_default()),
            ("state", filter.state.map_or("", |s| s.as_str())),
            ("cursor", &cursor.to_string()),
        ])
        .unwrap_or_default();
        format!("/console/cases?{params}")
    });
    let states: Vec<&str> = CaseState::ALL.iter().map(|s| s.as_str()).collect();
    Ok(page(
        StatusCode::OK,
        "cases.html.j2",
        lang,
        query.lang.is_some(),
        context! { operator => who(&access), tenant => access.tenant.as_str(), cases, q, states,
        state => filter.state.map(|s| s.as_str()), next_link },
    ))
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
    lang: Option<String>,
}

/// `GET /console/cases/{id}`.
pub async fn case(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(notice): Query<Notice>,
) -> Result<Response, ConsoleError> {
    let Some((access, csrf_token)) = session_access(&state, &headers).await? else { return Ok(to_login()) };
    let lang = Lang::choose(notice.lang.as_deref(), &headers);
    let view = CaseView { lang, remember: notice.lang.is_some(), status: StatusCode::OK };
    let done = notice.done.as_deref().and_then(done_notice).map(|key| lang.text(key));
    case_page(&state, &access, &csrf_token, id, view, done, None).await
}

/// How the case page is answered: in which language, remembered or not, with which status.
#[derive(Debug, Clone, Copy)]
pub(super) struct CaseView {
    pub lang: Lang,
    pub remember: bool,
    pub status: StatusCode,
}

/// The text key of what the page says after an intervention went through (post/redirect/get).
fn done_notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "pause" => "done_pause",
        "resume" => "done_resume",
        "escalate" => "done_escalate",
        "resend" => "done_resend",
        "plan" => "done_plan",
        "dispute" => "done_dispute",
        "resolve-dispute" => "done_resolve",
        "cancel" => "done_cancel",
        "reschedule" => "done_reschedule",
        "credit" => "done_credit",
        "contact" => "done_contact",
        _ => return None,
    })
}

/// The case page, with `notice` after an intervention or `error` when one was refused.
pub(super) async fn case_page(
    state: &ApiState,
    access: &Access,
    csrf_token: &str,
    id: i64,
    view: CaseView,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Response, ConsoleError> {
    let mut tx = super::short_reads(state).await?;
    let Some(case) = tx.tenant_case(&access.tenant, id).await? else {
        return Err(ConsoleError::NotFound);
    };
    let history = tx.case_history(&access.tenant, id).await?;
    // The contact form shows what is stored; only those who may change it see it.
    let debtor = match (access.scope.can_write(), crate::domain::DebtorId::parse(&case.debtor_id)) {
        (true, Ok(debtor)) => tx.tenant_debtor(&access.tenant, &debtor).await?,
        _ => None,
    };
    drop(tx);
    let timeline: Vec<_> = timeline(&case, history)
        .into_iter()
        .map(|entry| {
            let (kind, summary) = entry_text(view.lang, &entry.kind, &entry.details);
            context! { at => entry.at.format("%Y-%m-%d %H:%M").to_string(), kind, summary }
        })
        .collect();
    let plans: Vec<&str> = match &state.console {
        Some(console) => console
            .plans
            .of_tenant(&access.tenant)
            .map(|p| p.name.as_str())
            .filter(|p| *p != case.plan)
            .collect(),
        None => Vec::new(),
    };
    let channels: Vec<&str> = crate::domain::ChannelKind::ALL.iter().map(|c| c.as_str()).collect();
    let reasons: Vec<&str> = crate::domain::DisputeReason::ALL.iter().map(|r| r.as_str()).collect();
    let now = state.clock.now();
    // A reference made when the form was drawn: the same form sent twice credits once.
    let credit_reference = format!("console-{}", now.timestamp_micros());
    let reschedule_from = (now + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
    let contact = debtor.map(|d| {
        context! { email => d.email, phone => d.phone, whatsapp => d.whatsapp,
        messenger_psid => d.messenger_psid }
    });
    Ok(page(
        view.status,
        "case.html.j2",
        view.lang,
        view.remember,
        context! { operator => who(access), tenant => access.tenant.as_str(), case, timeline, notice, error,
        csrf_token, can_write => access.scope.can_write(), plans, channels, reasons, credit_reference,
        reschedule_from, contact },
    ))
}

#[derive(Deserialize)]
pub struct ActionForm {
    pub(super) csrf_token: String,
}

/// `POST /console/cases/{id}/pause` and `/resume`: the form's token must be the session's.
async fn act(
    state: ApiState,
    headers: HeaderMap,
    id: i64,
    form: ActionForm,
    hold: Hold,
) -> Result<Response, ConsoleError> {
    let Some((access, csrf_token)) = session_access(&state, &headers).await? else { return Ok(to_login()) };
    if !same_token(&form.csrf_token, &csrf_token) {
        return Err(ConsoleError::Forbidden("missing or wrong CSRF token"));
    }
    access.require_write()?;
    let word = match hold {
        Hold::Pause => "pause",
        Hold::Resume => "resume",
    };
    match pause_or_resume(&state, &access, id, hold).await {
        Ok(_) | Err(ConsoleError::Refused(_)) => {
            Ok(Redirect::to(&format!("/console/cases/{id}?done={word}")).into_response())
        }
        Err(other) => Err(other),
    }
}

pub async fn pause(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response, ConsoleError> {
    act(state, headers, id, form, Hold::Pause).await
}

pub async fn resume(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Result<Response, ConsoleError> {
    act(state, headers, id, form, Hold::Resume).await
}
