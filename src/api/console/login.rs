//! `POST /console/login` and `POST /console/logout`: an operator's session.
//!
//! A login names the tenant, the email and the password (JSON, or a form from the console's
//! page). It answers with the session cookie (`HttpOnly`, `SameSite=Strict`, `Secure` unless
//! `[console] secure_cookie = false`) and the CSRF token writes must echo. After
//! `[console] login_failures` failed attempts on one account within `login_window_minutes`,
//! further attempts get 429 without the password being looked at, until the window has passed;
//! the count is kept in the database, so it holds across `api` processes. A wrong password and
//! an unknown account answer alike (401), and take as long (a decoy hash is verified). A login
//! with no tenant is the installation's super-admin's (`super_admin`).

use super::auth::{new_secret, session_token, token_hash, SESSION_COOKIE};
use super::error::ConsoleError;
use super::login_check::{verify_login, Account, Verified};
use crate::api::ApiState;
use crate::config::console::ConsoleConfig;
use crate::domain::{OperatorRole, TenantId};
use crate::store::console::LoginScope;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Credentials {
    /// Empty (or left out) for the installation's super-admin, who has no tenant.
    #[serde(default)]
    pub tenant: String,
    pub email: String,
    pub password: String,
}

/// What a successful login answers (beside the cookie).
#[derive(Serialize)]
pub struct LoggedIn {
    /// The operator's tenant; empty for a super-admin until a tenant is chosen.
    pub tenant: String,
    pub email: String,
    pub role: OperatorRole,
    /// A super-admin's session: it chooses the tenant to act for (`/console/tenants`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub super_admin: bool,
    /// Echo it in `X-CSRF-Token` on every write made with the session cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Whether an account with `failures` recent failed logins may try again.
pub fn throttled(failures: u32, config: &ConsoleConfig) -> bool {
    failures >= config.login_failures
}

/// A logged-in operator's session, made: its cookie token and what the answer says.
pub struct Session {
    pub token: String,
    pub answer: LoggedIn,
}

/// Checks `credentials` ([`verify_login`], the one check of every login) and opens a session.
pub async fn log_in(state: &ApiState, credentials: &Credentials) -> Result<Session, ConsoleError> {
    if credentials.tenant.trim().is_empty() {
        return super::super_admin::log_in(state, credentials).await;
    }
    let email = credentials.email.trim().to_lowercase();
    let tenant = TenantId::parse(credentials.tenant.trim()).map_err(|_| ConsoleError::Unauthenticated)?;
    let scope = LoginScope::Tenant(&tenant);
    let Verified { account, mut tx, now, config } =
        verify_login(state, scope, &email, &credentials.password).await?;
    let Account::Operator(operator) = account else {
        return Err(ConsoleError::Internal("a tenant's login found a super-admin".into()));
    };
    let (token, csrf_token) = (new_secret(), new_secret());
    let expires_at = now + Duration::hours(i64::from(config.session_hours));
    tx.insert_session(&token_hash(&token), operator.id, &csrf_token, now, expires_at).await?;
    tx.commit().await?;
    let answer = LoggedIn {
        tenant: tenant.to_string(),
        email: operator.email,
        role: operator.role,
        super_admin: false,
        csrf_token,
        expires_at,
    };
    Ok(Session { token, answer })
}

/// The `Set-Cookie` value of a session (an empty token with `Max-Age=0` ends it).
pub fn cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .expect("a cookie of base64url characters")
}

/// Whether the request is a form post (the console's pages) rather than JSON.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The credentials of a JSON or form body.
pub fn credentials(headers: &HeaderMap, body: &[u8]) -> Result<Credentials, ConsoleError> {
    if is_form(headers) {
        serde_urlencoded::from_bytes(body).map_err(|e| ConsoleError::field("$", e))
    } else {
        serde_json::from_slice(body).map_err(|e| ConsoleError::field("$", e))
    }
}

/// `POST /console/login`: JSON answers JSON; the login page's form is sent on to the case list
/// (303), or gets the form again with the reason.
pub async fn login(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let credentials = credentials(&headers, &body)?;
    let form = is_form(&headers);
    let session = match log_in(&state, &credentials).await {
        Ok(session) => session,
        Err(ConsoleError::Unauthenticated) if form => {
            let lang = super::i18n::Lang::choose(None, &headers);
            let again = lang.text("wrong_login");
            let tenant = Some(credentials.tenant.as_str());
            return Ok(super::pages::login_page(StatusCode::UNAUTHORIZED, Some(again), tenant, lang, false));
        }
        Err(ConsoleError::Throttled { .. }) if form => {
            let lang = super::i18n::Lang::choose(None, &headers);
            let wait = lang.text("too_many_logins");
            let tenant = Some(credentials.tenant.as_str());
            return Ok(super::pages::login_page(
                StatusCode::TOO_MANY_REQUESTS,
                Some(wait),
                tenant,
                lang,
                false,
            ));
        }
        Err(other) => return Err(other),
    };
    let secure = state.console.as_ref().is_none_or(|c| c.config.secure_cookie);
    let max_age = (session.answer.expires_at - state.clock.now()).num_seconds();
    let mut response = if form && session.answer.super_admin {
        axum::response::Redirect::to("/console/tenants").into_response()
    } else if form {
        axum::response::Redirect::to("/console/cases").into_response()
    } else {
        (StatusCode::OK, Json(session.answer)).into_response()
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie(&session.token, max_age, secure));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /console/logout`: ends the session of the cookie, if any, and clears the cookie.
pub async fn logout(State(state): State<ApiState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    if let Some(token) = session_token(&headers) {
        let mut tx = state.store.begin().await?;
        tx.delete_session(&token_hash(&token)).await?;
        tx.delete_super_admin_session(&token_hash(&token)).await?;
        tx.commit().await?;
    }
    let secure = state.console.as_ref().is_none_or(|c| c.config.secure_cookie);
    let mut response = if is_form(&headers) {
        axum::response::Redirect::to("/console").into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie("", 0, secure));
    Ok(response)
}
