//! `GET /console/plans`: the tenant's dunning plans as tables in the page's language (stages,
//! waiting days, channels, tone and fee in words, escalation), and under every stage a form
//! (channel, debtor's language) that shows that stage's reminder rendered for the sample case by
//! the renderer of `mahnwerk preview` (`template_preview::preview_for`). An email's HTML part is
//! shown in a sandboxed frame loaded from `GET /console/plans/preview.html` (no scripts, no
//! same origin, its own inline styles only); a letter links to its PDF,
//! `GET /console/plans/preview.pdf`. Everything works without JavaScript.

use super::auth::session_access;
use super::error::ConsoleError;
use super::i18n::Lang;
use super::pages::{page, to_login, who};
use super::plans::{plans_of, PlanView};
use super::template_preview::preview_for;
use super::words::Vocabulary;
use crate::api::ApiState;
use crate::deliver::preview::{Preview, PreviewRequest, SampleInvoice};
use crate::domain::{ChannelKind, TenantId};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mahnwerk_channels::OutgoingMessage;
use minijinja::context;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The languages mahnwerk ships reminder templates in, by their own names.
const LANGUAGES: [(&str, &str); 8] = [
    ("de", "Deutsch"),
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("tr", "Türkçe"),
];

/// `?lang=` for the page, and the stage to preview: `plan`, `stage` (from 1), `channel` and the
/// debtor's `language`.
#[derive(Debug, Default, Deserialize)]
pub struct PlansQuery {
    lang: Option<String>,
    plan: Option<String>,
    stage: Option<u32>,
    channel: Option<String>,
    language: Option<String>,
}

/// One stage's row, in words.
#[derive(Serialize)]
struct StageRow {
    number: u32,
    name: String,
    wait: String,
    channels: String,
    fallback: String,
    tone: &'static str,
    fee: String,
    /// Every channel the stage may reach the debtor on, for the preview form: (id, word).
    choices: Vec<(String, String)>,
}

/// A plan in words.
#[derive(Serialize)]
struct PlanTable {
    anchor: String,
    name: String,
    own: bool,
    defaults: String,
    escalation: String,
    stages: Vec<StageRow>,
}

/// The rendered reminder under the stage it belongs to.
#[derive(Serialize)]
struct Shown {
    anchor: String,
    channel: &'static str,
    language: String,
    subject: Option<String>,
    body: String,
    /// The frame's address when the email has an HTML part.
    html_link: Option<String>,
    /// The PDF's address for a letter.
    pdf_link: Option<String>,
}

/// `n` with `{n}` in a text of the page's language.
fn with_n(lang: Lang, key: &'static str, n: impl std::fmt::Display) -> String {
    lang.text(key).replace("{n}", &n.to_string())
}

/// A fee as the page's language writes a number (`2,50` in German), or "no fee".
fn fee_in_words(lang: Lang, fee: Decimal) -> String {
    if fee.is_zero() {
        return lang.text("no_fee").to_owned();
    }
    let amount = format!("{fee:.2}");
    let amount = if lang == Lang::De { amount.replace('.', ",") } else { amount };
    with_n(lang, "fee_of", amount)
}

fn channel_words(lang: Lang, channels: &[String]) -> String {
    let words: Vec<&str> = channels.iter().map(|c| lang.word(Vocabulary::Channel, c)).collect();
    if words.is_empty() {
        "–".to_owned()
    } else {
        words.join(", ")
    }
}

fn tone_word(lang: Lang, tone: &str) -> &'static str {
    match tone {
        "friendly" => lang.text("tone_friendly"),
        "neutral" => lang.text("tone_neutral"),
        _ => lang.text("tone_firm"),
    }
}

fn table(lang: Lang, index: usize, plan: PlanView) -> PlanTable {
    let defaults: Vec<&str> =
        plan.default_for
            .iter()
            .map(|kind| {
                if kind == "business" {
                    lang.text("default_business")
                } else {
                    lang.text("default_consumer")
                }
            })
            .collect();
    let stages = plan
        .stages
        .into_iter()
        .map(|stage| {
            let wait_key = if stage.number == 1 { "wait_first" } else { "wait_next" };
            let choices = (stage.channels.iter().chain(&stage.fallback))
                .map(|channel| (channel.clone(), lang.word(Vocabulary::Channel, channel).to_owned()))
                .collect();
            StageRow {
                number: stage.number,
                wait: with_n(lang, wait_key, stage.wait_days),
                channels: channel_words(lang, &stage.channels),
                fallback: channel_words(lang, &stage.fallback),
                tone: tone_word(lang, &stage.tone),
                fee: fee_in_words(lang, stage.fee),
                name: stage.name,
                choices,
            }
        })
        .collect();
    PlanTable {
        anchor: format!("plan-{index}"),
        own: plan.own,
        defaults: defaults.join(", "),
        escalation: with_n(lang, "escalation_after", plan.escalate_after_days),
        name: plan.name,
        stages,
    }
}

/// The preview the query asks for, for `tenant`.
fn request_of(query: &PlansQuery, tenant: &TenantId) -> Result<Option<PreviewRequest>, ConsoleError> {
    let (Some(plan), Some(stage)) = (&query.plan, query.stage) else { return Ok(None) };
    let channel = query.channel.as_deref().unwrap_or("email");
    let channel: ChannelKind = channel.parse().map_err(|e| ConsoleError::field("channel", e))?;
    Ok(Some(PreviewRequest {
        tenant: tenant.clone(),
        plan: Some(plan.clone()),
        stage,
        channel,
        language: query.language.clone(),
        tone: None,
        sample: SampleInvoice::default(),
    }))
}

/// The query that asks for the same preview again (for the frame and the PDF).
fn link(path: &str, request: &PreviewRequest) -> String {
    let params = serde_urlencoded::to_string([
        ("plan", request.plan.clone().unwrap_or_default()),
        ("stage", request.stage.to_string()),
        ("channel", request.channel.as_str().to_owned()),
        ("language", request.language.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    format!("{path}?{params}")
}

fn shown(preview: &Preview, request: &PreviewRequest, anchor: String) -> Shown {
    let (subject, body, html, letter) = match &preview.message {
        OutgoingMessage::Email(m) => {
            (Some(m.subject.clone()), m.text_body.clone(), m.html_body.is_some(), false)
        }
        OutgoingMessage::Sms(m) => (None, m.body.clone(), false, false),
        OutgoingMessage::Whatsapp(m) => (None, m.body.clone(), false, false),
        OutgoingMessage::Messenger(m) => (None, m.text.clone(), false, false),
        OutgoingMessage::Letter(m) => (Some(m.subject.clone()), m.body.clone(), false, true),
    };
    Shown {
        anchor,
        channel: preview.job.channel.as_str(),
        language: preview.job.debtor.language.to_string(),
        subject,
        body,
        html_link: html.then(|| link("/console/plans/preview.html", request)),
        pdf_link: letter.then(|| link("/console/plans/preview.pdf", request)),
    }
}

/// `GET /console/plans`.
pub async fn plans(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(query): Query<PlansQuery>,
) -> Result<Response, ConsoleError> {
    let Some((access, _)) = session_access(&state, &headers).await? else { return Ok(to_login()) };
    let console = state.console.as_ref().ok_or(ConsoleError::NotFound)?;
    let lang = Lang::choose(query.lang.as_deref(), &headers);
    let views = plans_of(&console.plans, &access.tenant);
    let anchors: Vec<(String, usize)> = views.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
    let tables: Vec<PlanTable> =
        views.into_iter().enumerate().map(|(i, plan)| table(lang, i, plan)).collect();
    let (mut preview, mut refused) = (None, None);
    match request_of(&query, &access.tenant).and_then(|request| match request {
        Some(request) => preview_for(&state, &request).map(|p| Some((p, request))),
        None => Ok(None),
    }) {
        Ok(Some((rendered, request))) => {
            let index =
                anchors.iter().find(|(name, _)| *name == rendered.plan.as_str()).map_or(0, |(_, i)| *i);
            let anchor = format!("plan-{index}-stage-{}", request.stage);
            preview = Some(shown(&rendered, &request, anchor));
        }
        Ok(None) => {}
        Err(ConsoleError::Field(error)) => refused = Some(error.to_string()),
        Err(other) => return Err(other),
    }
    let languages: Vec<(&str, &str)> = LANGUAGES.to_vec();
    let chosen_language = query.language.clone().unwrap_or_else(|| lang.code().to_owned());
    let mut response = page(
        StatusCode::OK,
        "plans.html.j2",
        lang,
        query.lang.is_some(),
        context! {
            operator => who(&access), tenant => access.tenant.as_str(), plans => tables,
            languages, chosen_language, preview, refused,
        },
    );
    // The one change to the console's policy: this page frames its own email previews.
    if let Some(policy) = response.headers().get(header::CONTENT_SECURITY_POLICY).cloned() {
        let framed = format!("{}; frame-src 'self'", policy.to_str().unwrap_or_default());
        if let Ok(value) = HeaderValue::from_str(&framed) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(response)
}

/// The preview a frame or PDF link asks for, by the session's tenant.
async fn requested(
    state: &ApiState,
    headers: &HeaderMap,
    query: &PlansQuery,
) -> Result<Option<Preview>, ConsoleError> {
    let Some((access, _)) = session_access(state, headers).await? else { return Ok(None) };
    let request = request_of(query, &access.tenant)?
        .ok_or_else(|| ConsoleError::field("plan", "plan and stage are required"))?;
    preview_for(state, &request).map(Some)
}

/// `GET /console/plans/preview.html`: an email preview's HTML part, for the plans page's
/// sandboxed frame only (no scripts, no requests; framed by the console alone).
pub async fn email_html(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(query): Query<PlansQuery>,
) -> Result<Response, ConsoleError> {
    let Some(preview) = requested(&state, &headers, &query).await? else { return Ok(to_login()) };
    let OutgoingMessage::Email(email) = preview.message else {
        return Err(ConsoleError::field("channel", "only an email has an HTML part"));
    };
    let html =
        email.html_body.ok_or_else(|| ConsoleError::field("channel", "this email has no HTML part"))?;
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

/// `GET /console/plans/preview.pdf`: a letter preview as the letter channel prints it.
pub async fn letter_pdf(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(query): Query<PlansQuery>,
) -> Result<Response, ConsoleError> {
    let Some(preview) = requested(&state, &headers, &query).await? else { return Ok(to_login()) };
    let OutgoingMessage::Letter(letter) = preview.message else {
        return Err(ConsoleError::field("channel", "only a letter is printed"));
    };
    let pdf = mahnwerk_channels::letter::render_pdf(&letter)
        .map_err(|e| ConsoleError::Internal(format!("printing a letter preview: {e}")))?;
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline; filename=\"preview.pdf\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
