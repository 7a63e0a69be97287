//! The installation's super-admin: an account of no tenant (`mahnwerk operators add
//! --super-admin`) that logs in at `/console/login` with the tenant left empty, then chooses the
//! tenant to act for (`GET /console/tenants`: every tenant with a case or an operator) and works
//! as that tenant's admin, every change audited in that tenant's log as `super_admin:<email>`.
//! Choosing a tenant is itself written to the tenant's log (`tenant.super_admin_entered`), so a
//! tenant sees when the installation's administrator looked in. The session, its throttling and
//! its CSRF token work as an operator's (`login`, `auth`).

use super::audit::record;
use super::auth::{new_secret, same_token, token_hash, Access, SUPER_ADMIN_ACTOR};
use super::error::ConsoleError;
use super::i18n::Lang;
use super::login::{Credentials, LoggedIn, Session};
use super::login_check::{verify_login, Account, Verified};
use super::pages::{page, to_login, LangQuery};
use crate::api::ApiState;
use crate::domain::{KeyScope, OperatorRole, TenantId};
use crate::store::console::LoginScope;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Duration;
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

/// The audit action of a super-admin choosing to act for a tenant.
pub const ENTERED_ACTION: &str = "tenant.super_admin_entered";

/// Checks a super-admin's credentials ([`verify_login`], as an operator's) and opens a session
/// with no tenant chosen yet.
pub(super) async fn log_in(state: &ApiState, credentials: &Credentials) -> Result<Session, ConsoleError> {
    let email = credentials.email.trim().to_lowercase();
    let Verified { account, mut tx, now, config } =
        verify_login(state, LoginScope::Installation, &email, &credentials.password).await?;
    let Account::SuperAdmin(account) = account else {
        return Err(ConsoleError::Internal("the installation's login found an operator".into()));
    };
    let (token, csrf_token) = (new_secret(), new_secret());
    let expires_at = now + Duration::hours(i64::from(config.session_hours));
    tx.insert_super_admin_session(&token_hash(&token), account.id, &csrf_token, now, expires_at).await?;
    tx.commit().await?;
    tracing::info!("console super-admin logged in");
    let answer = LoggedIn {
        tenant: String::new(),
        email: account.email,
        role: OperatorRole::Admin,
        super_admin: true,
        csrf_token,
        expires_at,
    };
    Ok(Session { token, answer })
}

/// `GET /console/tenants`: the tenants a super-admin may act for, each a button; anyone else is
/// sent to the console's start.
pub async fn chooser(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(chosen): Query<LangQuery>,
) -> Result<Response, ConsoleError> {
    let Some((session, _)) = super::auth::super_admin_session(&state, &headers).await? else {
        return Ok(to_login());
    };
    let lang = Lang::choose(chosen.lang.as_deref(), &headers);
    chooser_page(&state, &session, lang, chosen.lang.is_some(), StatusCode::OK, None).await
}

async fn chooser_page(
    state: &ApiState,
    session: &crate::store::super_admins::SuperAdminSession,
    lang: Lang,
    remember: bool,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let mut tx = state.store.begin().await?;
    let tenants: Vec<String> = tx.tenants_in_use().await?.iter().map(|t| t.as_str().to_owned()).collect();
    drop(tx);
    let acting = session.acting_tenant.as_ref().map(|t| t.as_str().to_owned());
    Ok(page(
        status,
        "tenants.html.j2",
        lang,
        remember,
        context! { email => session.email, tenants, acting, csrf_token => session.csrf_token, error },
    ))
}

#[derive(Deserialize)]
pub struct TenantForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    tenant: String,
}

/// `POST /console/tenants`: the super-admin acts for the tenant chosen from now on (one of the
/// tenants listed; another is 422 naming `tenant`), recorded in that tenant's audit log.
pub async fn choose(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Form(form): Form<TenantForm>,
) -> Result<Response, ConsoleError> {
    let Some((session, hash)) = super::auth::super_admin_session(&state, &headers).await? else {
        return Err(ConsoleError::Unauthenticated);
    };
    if !same_token(&form.csrf_token, &session.csrf_token) {
        return Err(ConsoleError::Forbidden("missing or wrong CSRF token"));
    }
    let lang = Lang::choose(None, &headers);
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let chosen = TenantId::parse(form.tenant.trim()).ok();
    let known = tx.tenants_in_use().await?;
    let Some(tenant) = chosen.filter(|t| known.contains(t)) else {
        drop(tx);
        let why = format!("{}: {}", lang.text("tenant"), lang.text("no_such_tenant"));
        return chooser_page(&state, &session, lang, false, StatusCode::UNPROCESSABLE_ENTITY, Some(why))
            .await;
    };
    tx.set_acting_tenant(&hash, &tenant).await?;
    let access = Access {
        tenant: tenant.clone(),
        actor: format!("{SUPER_ADMIN_ACTOR}{}", session.email),
        scope: KeyScope::Write,
        role: Some(OperatorRole::Admin),
        super_admin: true,
    };
    let before = json!({"tenant": session.acting_tenant.as_ref().map(TenantId::as_str)});
    let after = json!({"tenant": tenant.as_str()});
    record(tx.as_mut(), &access, ENTERED_ACTION, None, None, before, after, now).await?;
    tx.commit().await?;
    Ok(Redirect::to("/console").into_response())
}
