//! The pay-page routes: `GET /pay/{token}` shows what is owed and the ways to settle it;
//! `POST /pay/{token}/promise`, `/instalments`, `/dispute` and `/contact` take the debtor's answers and redirect
//! back to the page (post/redirect/get) with a confirmation; `GET /pay/{token}/thanks` is where
//! the PSP sends the debtor after paying.
//!
//! A tampered, expired or unknown link gets one and the same page and status (404), in the
//! browser's language, naming the creditor when the signature holds, and changes nothing. Every
//! form carries a token bound to the link (CSRF). Every answer has a strict Content-Security-Policy
//! (no scripts at all; the one inline style allowed by its hash), `Referrer-Policy: no-referrer`
//! (the link's token is in the URL), no framing and no caching. Requests are limited per client
//! address and per link.

use super::rate_limit::RateLimiter;
use super::ApiState;
use crate::deliver::LinkPurpose;
use crate::pay::contact::request_contact;
use crate::pay::dispute::{open_dispute, DisputeOutcome};
use crate::pay::instalments::{choose_instalments, InstalmentChoice, InstalmentOutcome};
use crate::pay::page::forms::{ContactForm, DisputeForm, FieldErrors, InstalmentForm, PromiseForm};
use crate::pay::page::{words, FormState, Notice, PageLinks, PayPages, Refusal, Rendered};
use crate::pay::promise::{promise_to_pay, PromiseOutcome};
use crate::pay::{checkout, CheckoutError, CheckoutStart};
use crate::store::PayCase;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The pay-page's share of the API state.
pub struct PayRoutes {
    pub pages: PayPages,
    per_ip: RateLimiter,
    per_link: RateLimiter,
    /// Extra `form-action` sources: where the card form redirects to (the PSP's checkout).
    form_targets: String,
}

impl PayRoutes {
    pub fn new(pages: PayPages, config: &crate::config::pay::PayConfig, form_targets: &[String]) -> Self {
        Self {
            pages,
            per_ip: RateLimiter::new(config.requests_per_minute_per_ip),
            per_link: RateLimiter::new(config.requests_per_minute_per_link),
            form_targets: form_targets.join(" "),
        }
    }

    /// The shipped templates, no creditor configured, the default rules and limits: for an API
    /// whose pay-page nobody configured (tests of other routes).
    pub fn with_defaults() -> Self {
        let config = crate::config::pay::PayConfig::default();
        let creditors =
            crate::deliver::Creditors { by_tenant: Default::default(), default_email: String::new() };
        let templates = crate::pay::page::PayTemplates::load(None).expect("the shipped templates load");
        let pages =
            PayPages::new(templates, creditors, &config, false).expect("the shipped templates render");
        Self::new(pages, &config, &[])
    }
}

/// The client's address, where the server knows it (`into_make_service_with_connect_info`).
pub(super) struct ClientAddr(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())))
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /pay/{token}`.
pub(super) async fn page(
    State(state): State<ApiState>,
    Path(token): Path<String>,
    Query(query): Query<PageQuery>,
    client: ClientAddr,
    headers: HeaderMap,
) -> Response {
    let case = match open(&state, &token, &client, &headers).await {
        Ok(case) => case,
        Err(refused) => return refused,
    };
    let language = language(&case, &headers);
    if !PayPages::asks_for_money(&case) {
        let shown = super::recommend::shown(&state, &case, language).await;
        return answer(&state, StatusCode::OK, state.pay.pages.done_page(&case, language, false, &shown));
    }
    let notice = match query.done.as_deref() {
        Some("promise") => case.promised_on.map(Notice::Promised),
        Some("instalments") => case
            .instalments
            .as_ref()
            .and_then(|plan| plan.instalments.first())
            .map(|first| Notice::Instalments(Some((first.due_on, first.amount)))),
        Some("instalment-request") => Some(Notice::Instalments(None)),
        Some("dispute") => Some(Notice::Disputed),
        Some("contact") => Some(Notice::ContactRequested),
        _ => None,
    };
    case_page(&state, &case, &token, language, StatusCode::OK, notice, None)
}

/// `GET /pay/{token}/thanks`: back from the PSP. The webhook may not have arrived yet: the page
/// says the payment is being processed until it has.
pub(super) async fn thanks(
    State(state): State<ApiState>,
    Path(token): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
) -> Response {
    match open(&state, &token, &client, &headers).await {
        Ok(case) => {
            let language = language(&case, &headers);
            let shown = super::recommend::shown(&state, &case, language).await;
            answer(&state, StatusCode::OK, state.pay.pages.done_page(&case, language, true, &shown))
        }
        Err(refused) => refused,
    }
}

/// `POST /pay/{token}/promise`.
pub(super) async fn promise(
    State(state): State<ApiState>,
    Path(token): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PromiseForm>,
) -> Result<Response, Response> {
    let posted = Posted::open(&state, &token, &client, &headers).await?;
    let rules = state.pay.pages.promise_rules();
    let date = posted.checked(&state, &token, &form.form_token, "promised_on", &form.values(), || {
        form.check(posted.today, rules)
    })?;
    let case = &posted.case;
    match promise_to_pay(state.store.as_ref(), case.case_id, date, posted.today, rules, posted.now).await {
        Ok(PromiseOutcome::Made { .. }) => {
            tracing::info!(case_id = case.case_id, %date, "promise to pay");
            Ok(see_page(&token, "promise"))
        }
        // The day turned between the check and the rule: the form again, checked against today.
        Ok(PromiseOutcome::Refused(_)) => {
            let errors = form.check(posted.today, rules).err().unwrap_or_default();
            Err(posted.form_errors(&state, &token, errors, &form.values()))
        }
        Ok(PromiseOutcome::NotOpen(_) | PromiseOutcome::UnknownCase) => Ok(see_page(&token, "")),
        Err(error) => Err(posted.unavailable(&state, &error)),
    }
}

/// `POST /pay/{token}/instalments`.
pub(super) async fn instalments(
    State(state): State<ApiState>,
    Path(token): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<InstalmentForm>,
) -> Result<Response, Response> {
    let posted = Posted::open(&state, &token, &client, &headers).await?;
    let months =
        posted.checked(&state, &token, &form.form_token, "months", &form.values(), || form.check())?;
    let pages = &state.pay.pages;
    let total = state.pay.pages.total_owed(&posted.case, posted.today);
    let choice = InstalmentChoice { total, months, today: posted.today };
    let rules = (pages.instalment_rules(), pages.promise_rules());
    match choose_instalments(state.store.as_ref(), posted.case.case_id, choice, rules.0, rules.1, posted.now)
        .await
    {
        Ok(InstalmentOutcome::Agreed { .. }) => {
            tracing::info!(case_id = posted.case.case_id, months, "instalments agreed");
            Ok(see_page(&token, "instalments"))
        }
        Ok(InstalmentOutcome::Requested(_)) => Ok(see_page(&token, "instalment-request")),
        Ok(InstalmentOutcome::NotOpen(_) | InstalmentOutcome::UnknownCase) => Ok(see_page(&token, "")),
        Err(error) => Err(posted.unavailable(&state, &error)),
    }
}

/// `POST /pay/{token}/card`: a checkout at the PSP for what the page showed as owed, and a 303
/// to it. Without a PSP, or when the case owes nothing any more, back to the page.
pub(super) async fn card(
    State(state): State<ApiState>,
    Path(token): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CardForm>,
) -> Response {
    let posted = match Posted::open(&state, &token, &client, &headers).await {
        Ok(posted) => posted,
        Err(refused) => return refused,
    };
    let (case, language) = (&posted.case, posted.language);
    let Some(psp) = state.psp.as_ref() else { return see_page(&token, "") };
    if !state.links.form_token_matches(&token, &form.form_token) || !PayPages::asks_for_money(case) {
        return see_page(&token, "");
    }
    let page = format!("{}/pay/{token}", state.links.base_url());
    let start = CheckoutStart {
        tenant: case.tenant.clone(),
        reminder_id: case.reminder_id,
        amount: crate::domain::Money::new(
            state.pay.pages.total_owed(case, posted.today),
            case.amount_due.currency(),
        ),
        description: None,
        locale: Some(language.to_owned()),
        success_url: format!("{page}/thanks"),
        cancel_url: page,
    };
    match checkout(state.store.as_ref(), psp.as_ref(), &start).await {
        Ok(session) => {
            tracing::info!(case_id = case.case_id, session = %session.id, "checkout started");
            let mut response = StatusCode::SEE_OTHER.into_response();
            match HeaderValue::from_str(&session.url) {
                Ok(location) => {
                    response.headers_mut().insert(header::LOCATION, location);
                    secure(&mut response, "'none'", "");
                    response
                }
                Err(_) => see_page(&token, ""),
            }
        }
        Err(CheckoutError::NothingToPay(_) | CheckoutError::UnknownReminder(_)) => see_page(&token, ""),
        Err(error) => {
            tracing::warn!(%error, case_id = case.case_id, "checkout not started");
            let page = state.pay.pages.refused_page(Some(&case.tenant), language, Refusal::Unavailable);
            answer(&state, StatusCode::SERVICE_UNAVAILABLE, page)
        }
    }
}

/// The card form: its token only.
#[derive(Debug, Default, Deserialize)]
pub(super) struct CardForm {
    #[serde(default)]
    form_token: String,
}

/// `POST /pay/{token}/dispute`.
pub(super) async fn dispute(
    State(state): State<ApiState>,
    Path(token): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<DisputeForm>,
) -> Result<Response, Response> {
    let posted = Posted::open(&state, &token, &client, &headers).await?;
    let (reason, details) =
        posted.checked(&state, &token, &form.form_token, "reason", &form.values(), || form.check())?;
    match open_dispute(state.store.as_ref(), posted.case.case_id, reason, &details, posted.now).await {
        Ok(DisputeOutcome::Done | DisputeOutcome::Unchanged) => {
            tracing::info!(case_id = posted.case.case_id, reason = reason.as_str(), "case disputed");
            Ok(see_page(&token, "dispute"))
        }
        Ok(DisputeOutcome::Closed(_) | DisputeOutcome::Unknown) => Ok(see_page(&token, "")),
        Err(error) => Err(posted.unavailable(&state, &error)),
    }
}

/// `POST /pay/{token}/contact`.
pub(super) async fn contact(
    State(state): State<ApiState>,
    Path(token): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ContactForm>,
) -> Result<Response, Response> {
    let posted = Posted::open(&state, &token, &client, &headers).await?;
    let request =
        posted.checked(&state, &token, &form.form_token, "phone", &form.values(), || form.check())?;
    match request_contact(state.store.as_ref(), posted.case.case_id, request, posted.now).await {
        Ok(_) => Ok(see_page(&token, "contact")),
        Err(error) => Err(posted.unavailable(&state, &error)),
    }
}

/// A form posted to a case's page: the case, the language to answer in, and the debtor's today.
struct Posted {
    case: PayCase,
    language: &'static str,
    now: DateTime<Utc>,
    today: NaiveDate,
}

impl Posted {
    /// The case behind the link the form was posted to, or the answer that refuses it.
    async fn open(
        state: &ApiState,
        token: &str,
        client: &ClientAddr,
        headers: &HeaderMap,
    ) -> Result<Self, Response> {
        let case = open(state, token, client, headers).await?;
        let language = language(&case, headers);
        let now = state.clock.now();
        let today = now.with_timezone(&case.timezone).date_naive();
        Ok(Self { case, language, now, today })
    }

    /// What `check` makes of the form when its token is the link's (else "the form expired",
    /// shown at `first_field`); a refused form comes back as the page with its errors (422).
    // The error is the answer to send, built once on the way out of the handler.
    #[allow(clippy::result_large_err)]
    fn checked<T>(
        &self,
        state: &ApiState,
        token: &str,
        form_token: &str,
        first_field: &'static str,
        values: &[(&'static str, &str)],
        check: impl FnOnce() -> Result<T, FieldErrors>,
    ) -> Result<T, Response> {
        let checked = if state.links.form_token_matches(token, form_token) {
            check()
        } else {
            let mut expired = FieldErrors::default();
            expired.0.insert(first_field, ("error_form", None));
            Err(expired)
        };
        checked.map_err(|errors| self.form_errors(state, token, errors, values))
    }

    fn form_errors(
        &self,
        state: &ApiState,
        token: &str,
        errors: FieldErrors,
        values: &[(&'static str, &str)],
    ) -> Response {
        let form = FormState { errors, values: values.to_vec() };
        case_page(
            state,
            &self.case,
            token,
            self.language,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(&form),
        )
    }

    fn unavailable(&self, state: &ApiState, error: &crate::store::StoreError) -> Response {
        tracing::warn!(%error, case_id = self.case.case_id, "pay-page: the answer was not recorded");
        let page = state.pay.pages.refused_page(Some(&self.case.tenant), self.language, Refusal::Unavailable);
        answer(state, StatusCode::SERVICE_UNAVAILABLE, page)
    }
}

/// The case behind a pay-link, or the answer that refuses it: over a rate limit, a link that
/// does not verify or names no reminder of its tenant, or a store that is away.
async fn open(
    state: &ApiState,
    token: &str,
    client: &ClientAddr,
    headers: &HeaderMap,
) -> Result<PayCase, Response> {
    let browser_language = words::choose(None, accept_language(headers));
    let routes = &state.pay;
    let over_limit =
        client.0.is_some_and(|ip| !routes.per_ip.allow(&ip.to_string())) || !routes.per_link.allow(token);
    if over_limit {
        let page = routes.pages.refused_page(None, browser_language, Refusal::Busy);
        let mut response = answer(state, StatusCode::TOO_MANY_REQUESTS, page);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return Err(response);
    }
    let refused = || {
        let tenant = state.links.signed_tenant(token);
        answer(
            state,
            StatusCode::NOT_FOUND,
            routes.pages.refused_page(tenant.as_ref(), browser_language, Refusal::Link),
        )
    };
    let claims = match state.links.verify(token, state.clock.now()) {
        Ok(claims) if claims.purpose == LinkPurpose::Pay => claims,
        _ => return Err(refused()),
    };
    match state.store.pay_case(&claims.tenant, claims.reminder_id).await {
        Ok(Some(case)) => {
            crate::observe::name_the_case(&case.tenant, case.case_id, &case.invoice_number, case.reminder_id);
            Ok(case)
        }
        Ok(None) => Err(refused()),
        Err(error) => {
            tracing::warn!(%error, "pay-page: the store did not answer");
            let page =
                routes.pages.refused_page(Some(&claims.tenant), browser_language, Refusal::Unavailable);
            Err(answer(state, StatusCode::SERVICE_UNAVAILABLE, page))
        }
    }
}

fn language(case: &PayCase, headers: &HeaderMap) -> &'static str {
    words::choose(Some(&case.language), accept_language(headers))
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

fn case_page(
    state: &ApiState,
    case: &PayCase,
    token: &str,
    language: &'static str,
    status: StatusCode,
    notice: Option<Notice>,
    form: Option<&FormState<'_>>,
) -> Response {
    let action = format!("/pay/{token}");
    let form_token = state.links.form_token(token);
    let links = PageLinks { action: &action, form_token: &form_token };
    let today = state.clock.now().with_timezone(&case.timezone).date_naive();
    answer(state, status, state.pay.pages.case_page(case, language, links, today, notice, form))
}

/// 303 back to the page, with what was done for its confirmation.
fn see_page(token: &str, done: &str) -> Response {
    let location =
        if done.is_empty() { format!("/pay/{token}") } else { format!("/pay/{token}?done={done}") };
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    secure(&mut response, "'none'", "");
    response
}

/// The rendered page with its status and the security headers; a template that fails to render
/// (it was checked at start, so only for data nobody foresaw) is logged and answered 500.
fn answer(state: &ApiState, status: StatusCode, rendered: Result<Rendered, minijinja::Error>) -> Response {
    match rendered {
        Ok(page) => {
            let mut response = (status, page.html).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            secure(&mut response, &page.style_source, &state.pay.form_targets);
            response
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "pay-page: a template failed to render");
            let mut response = (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response();
            secure(&mut response, "'none'", "");
            response
        }
    }
}

fn secure(response: &mut Response, style_source: &str, form_targets: &str) {
    let csp = format!(
        "default-src 'none'; style-src {style_source}; img-src 'self' data: https:; \
         form-action 'self' {form_targets}; frame-ancestors 'none'; base-uri 'none'"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(csp.trim_end()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The routes' state as shared by the API.
pub type SharedPayRoutes = Arc<PayRoutes>;
