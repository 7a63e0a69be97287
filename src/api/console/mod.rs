//! The operator console on the `api` role: the creditor's JSON API under `/api/v1/…` (described by
//! an OpenAPI 3.1 document generated from these handlers, served at `/api/v1/openapi.json`) and
//! the operator's login.
//!
//! Every route resolves its caller to one tenant ([`auth::Access`]) and passes that tenant to
//! every store step, which filters by it in SQL: another tenant's case, debtor or invoice is
//! not found (404), never forbidden. Handlers are thin: they parse, call the rule of the stage
//! the change belongs to (intake for invoices and contact data, `schedule::pause` for pauses and
//! the Mahnstopp), record the intervention in the audit log in the same transaction, and answer.
//!
//! # Layout
//! - `auth`: API keys, sessions, CSRF, password hashing; the [`auth::Access`] extractor.
//! - `login`: `POST /console/login`, `POST /console/logout`; `login_check`: the one check of
//!   every login (throttling, a decoy hash for unknown accounts, the password verified off the
//!   async threads), an operator's and the super-admin's.
//! - `invoices`: `POST /api/v1/invoices` and `/api/v1/invoices/{number}/paid|cancelled`, through
//!   the intake's own parser and `apply_commands`.
//! - `cases`: the case list (filters, keyset pages) and one case with its timeline.
//! - `interventions`: pause, resume, reschedule, cancel a case; contact data of a debtor.
//! - `mahnstopp`: a debtor's Mahnstopp, made and lifted.
//! - `steering`: escalate a case now, resend its current stage on a chosen channel, switch its
//!   plan (the rules in `schedule::escalate`, `schedule::resend`, `schedule::switch_plan`).
//! - `disputes`: mark a case disputed and resolve the dispute (`pay::dispute`'s rule).
//! - `credits`: credit or write off part or all of a case's claim.
//! - `debtors`: one debtor with consents and cases.
//! - `privacy`: a debtor's GDPR rights: everything stored as JSON (Art. 15), erasure (Art. 17).
//! - `marketing`: a debtor's explicit marketing consent or objection, per channel, recorded;
//!   `marketing_consents`: the one in force per channel, read.
//! - `audit`: `GET /api/v1/audit`, and how an intervention is written to it.
//! - `exports`: the bookings of a period as CSV or DATEV, for the creditor's bookkeeping.
//! - `plans`: the tenant's dunning plans, `GET /api/v1/plans` and `/api/v1/plans/{name}`.
//! - `template_preview`: a template checked (`POST /api/v1/templates/validate`) and a plan's
//!   stage rendered as `mahnwerk preview` renders it (`POST /api/v1/templates/preview`).
//! - `plans_page`: `GET /console/plans`, the plans as tables with a preview per stage.
//! - `stats`: the tenant's figures (amounts, DSO, paid shares, channel cost, learner version).
//! - `summary`: the facts those figures are computed from, per tenant, kept in memory and read
//!   anew in the background.
//! - `accounts`: operators and API keys made from the command line.
//! - `tenant_accounts`: a tenant's operators and API keys over HTTP (the super-admin, or the
//!   tenant's own admin); `account_removal`: removing an operator, revoking a key.
//! - `super_admin`: the installation's super-admin: its login and the tenant it acts for.
//! - `openapi`: the document's frame (security schemes, tags).
//! - `overview`: `GET /console`, the tenant's figures and charts (drawn by `charts`).
//! - `i18n`: the pages' two languages (English, German) and how one is chosen.
//! - `money_text`: amounts as every page writes them (German `129,90 €`, English `129.90 EUR`).
//! - `words`: the pages' words for the API's identifiers (states, channels, statuses, payment
//!   sources, timeline kinds, audit actions) in both languages.
//! - `page_actions`: the case page's confirmed intervention forms.
//! - `debtor_page`: the debtor page with the Mahnstopp and the contact form.
//! - `audit_page`: the audit log as a page; `audit_text` says its entries in words.
//! - `refusal`: why an intervention was refused, for the API and in a page's language.
//! - `timeline_text`: a timeline entry as one line in the page's language.
//! - `pages`: the server-rendered pages: login, case list, case page with a confirmed button per
//!   intervention.
//! - `error`: how a refused call is answered.

mod account_removal;
pub mod accounts;
mod audit;
mod audit_page;
mod audit_text;
pub mod auth;
mod cases;
mod charts;
mod credits;
mod debtor_page;
mod debtors;
mod disputes;
mod error;
mod exports;
mod i18n;
mod interventions;
mod invoices;
pub mod login;
mod login_check;
mod mahnstopp;
mod marketing;
mod marketing_consents;
mod money_text;
mod openapi;
mod overview;
mod page_actions;
mod pages;
mod plans;
mod plans_page;
pub mod privacy;
mod refusal;
mod stats;
mod steering;
pub mod summary;
mod super_admin;
mod template_preview;
mod tenant_accounts;
mod timeline_text;
mod words;

pub use error::{ConsoleError, ErrorBody};

use crate::api::ApiState;
use crate::config::console::ConsoleConfig;
use crate::domain::{AttributionWindow, PlanBook};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the console needs beside the API's shared state.
pub struct ConsoleState {
    /// The plans invoices are resolved against, as intake resolves them.
    pub plans: Arc<PlanBook>,
    /// How long after a reminder a payment still counts as its success (for `paid`).
    pub attribution: AttributionWindow,
    pub config: ConsoleConfig,
    /// The creditors: their bookkeeping accounts and the law their claims are computed under.
    pub creditors: Arc<crate::deliver::Creditors>,
    /// What one message costs per channel (`[learn] costs_eur`), for the statistics.
    pub channel_costs: std::collections::BTreeMap<crate::domain::ChannelKind, f64>,
    /// The scheduler's planner, for a resend on a chosen channel (the same channel rules and
    /// policy as every planned reminder).
    pub planner: Arc<crate::schedule::Planner>,
    /// The reminder templates the channel workers render with, for the template preview.
    pub templates: Arc<crate::deliver::Templates>,
    /// The tenants' summaries the statistics and the overview are computed from.
    pub summaries: Arc<summary::Summaries>,
}

/// A transaction for the console's reads of cases, debtors and the audit log: short statements,
/// planned without parallel workers (see `ConsoleSteps::plan_short_reads`).
pub(super) async fn short_reads(state: &ApiState) -> Result<Box<dyn crate::store::StoreTx>, ConsoleError> {
    let mut tx = state.store.begin().await?;
    tx.plan_short_reads().await?;
    Ok(tx)
}

/// The console's routes and the OpenAPI document describing the `/api/v1` ones.
pub fn routes() -> (Router<ApiState>, utoipa::openapi::OpenApi) {
    let (api, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(invoices::create))
        .routes(routes!(invoices::paid))
        .routes(routes!(invoices::cancelled))
        .routes(routes!(cases::list))
        .routes(routes!(cases::one))
        .routes(routes!(interventions::pause))
        .routes(routes!(interventions::resume))
        .routes(routes!(interventions::cancel))
        .routes(routes!(interventions::reschedule))
        .routes(routes!(steering::escalate))
        .routes(routes!(steering::resend))
        .routes(routes!(steering::switch_plan))
        .routes(routes!(disputes::dispute))
        .routes(routes!(disputes::resolve))
        .routes(routes!(credits::credit))
        .routes(routes!(debtors::one))
        .routes(routes!(marketing::marketing_consent, marketing_consents::read))
        .routes(routes!(mahnstopp::stop, mahnstopp::lift))
        .routes(routes!(interventions::contact))
        .routes(routes!(privacy::export))
        .routes(routes!(privacy::erase))
        .routes(routes!(audit::list))
        .routes(routes!(exports::bookings_export))
        .routes(routes!(stats::stats))
        .routes(routes!(plans::list))
        .routes(routes!(plans::one))
        .routes(routes!(template_preview::validate))
        .routes(routes!(template_preview::preview))
        .routes(routes!(tenant_accounts::operators, tenant_accounts::add_operator))
        .routes(routes!(tenant_accounts::api_keys, tenant_accounts::create_api_key))
        .routes(routes!(account_removal::remove_operator))
        .routes(routes!(account_removal::revoke_api_key))
        .split_for_parts();
    let json: Arc<str> = serde_json::to_string_pretty(&document).expect("the document serialises").into();
    let router = api
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let json = Arc::clone(&json);
                async move {
                    let content_type = HeaderValue::from_static("application/json");
                    ([(header::CONTENT_TYPE, content_type)], json.to_string()).into_response()
                }
            }),
        )
        .route("/console", get(overview::home))
        .route("/console/login", post(login::login))
        .route("/console/logout", post(login::logout))
        .route("/console/cases", get(pages::cases))
        .route("/console/cases/{id}", get(pages::case))
        .route("/console/cases/{id}/pause", post(pages::pause))
        .route("/console/cases/{id}/resume", post(pages::resume))
        .route("/console/cases/{id}/escalate", post(page_actions::escalate))
        .route("/console/cases/{id}/resend", post(page_actions::resend))
        .route("/console/cases/{id}/plan", post(page_actions::switch_plan))
        .route("/console/cases/{id}/dispute", post(page_actions::dispute))
        .route("/console/cases/{id}/resolve-dispute", post(page_actions::resolve_dispute))
        .route("/console/cases/{id}/cancel", post(page_actions::cancel))
        .route("/console/cases/{id}/reschedule", post(page_actions::reschedule))
        .route("/console/cases/{id}/credit", post(page_actions::credit))
        .route("/console/cases/{id}/contact", post(page_actions::contact))
        .route("/console/debtors/{id}", get(debtor_page::debtor))
        .route("/console/debtors/{id}/stop", post(debtor_page::stop))
        .route("/console/debtors/{id}/lift-stop", post(debtor_page::lift_stop))
        .route("/console/debtors/{id}/contact", post(debtor_page::contact))
        .route("/console/audit", get(audit_page::audit))
        .route("/console/tenants", get(super_admin::chooser).post(super_admin::choose))
        .route("/console/plans", get(plans_page::plans))
        .route("/console/plans/preview.html", get(plans_page::email_html))
        .route("/console/plans/preview.pdf", get(plans_page::letter_pdf));
    (router, document)
}

/// The OpenAPI document of the `/api/v1` routes, as served.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    routes().1
}
