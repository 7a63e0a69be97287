//! `mahnwerk preview`: one reminder for a sample case, rendered with the configured templates,
//! creditor, plan and links exactly as the channel worker renders it, and written by the same
//! sandbox writer the embedded mode uses: the `.eml` file for email, the outbox JSON line for
//! SMS, WhatsApp and Messenger (`{"idempotency_key", "at", "kind", "message"}`), the PDF for a
//! letter. Where Twilio, the WhatsApp Cloud API or the Messenger Send API is configured, the
//! preview is instead the request that provider would receive (`{"method", "url",
//! "content_type", "headers", "body"}`, without credentials). How a creditor checks its templates
//! before going live.
//!
//! [`render_preview`] is the one renderer behind it: the console's template preview
//! (`POST /api/v1/templates/preview`, the plans page) calls it too, with the tenant's plans and
//! templates and, optionally, sample values of the creditor's own.

use super::links::Links;
use super::render::{Creditors, RenderError};
use super::templates::Templates;
use crate::config::Config;
use crate::domain::{
    CaseState, ChannelKind, CountryCode, Currency, Debtor, DebtorId, DebtorKind, Email, InvoiceNumber,
    Language, Money, PhoneE164, PlanBook, PlanName, PostalAddress, TenantId, Timezone, Tone,
};
use crate::store::{DeliveryJob, ReminderStatus};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use mahnwerk_channels::sandbox::SandboxChannel;
use mahnwerk_channels::{Channel, OutgoingMessage};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;

/// What to preview. `stage` counts from 1; unset values come from the plan and configuration.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    pub channel: ChannelKind,
    pub stage: u32,
    /// The debtor's language tag; default `de`.
    pub language: Option<String>,
    /// Overrides the stage's tone.
    pub tone: Option<Tone>,
    /// Default: the first configured creditor, else `acme`.
    pub tenant: Option<String>,
    /// Default: the tenant's plan for consumers.
    pub plan: Option<String>,
    pub out: PathBuf,
}

/// One preview for a known tenant: which stage of which plan, on which channel, in which
/// language, with which sample values.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    pub tenant: TenantId,
    /// Default: the tenant's plan for consumers. Only a plan the tenant may use.
    pub plan: Option<String>,
    /// From 1.
    pub stage: u32,
    pub channel: ChannelKind,
    /// The debtor's language tag; default `de`.
    pub language: Option<String>,
    /// Overrides the stage's tone.
    pub tone: Option<Tone>,
    pub sample: SampleInvoice,
}

/// The sample case's values a creditor may set, as text the way the intake message writes
/// them; each unset one keeps the sample's (Erika Mustermann, RE-2026-0042, 1234.56 EUR, due
/// three weeks before today).
#[derive(Debug, Clone, Default)]
pub struct SampleInvoice {
    pub debtor_name: Option<String>,
    pub invoice_number: Option<String>,
    /// A decimal, e.g. `129.90`.
    pub amount_due: Option<String>,
    /// ISO 4217, e.g. `EUR`.
    pub currency: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
}

/// Why a preview cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// A value of the request is wrong; `field` names it (`stage`, `sample.amount_due`).
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The templates cannot render the sample (a tenant's template that loads always can).
    #[error("rendering the preview: {0}")]
    Render(#[from] RenderError),
}

impl PreviewError {
    fn invalid(field: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Invalid { field, reason: reason.to_string() }
    }
}

/// What a reminder is rendered with: the same parts a channel worker renders with.
pub struct PreviewParts<'a> {
    pub plans: &'a PlanBook,
    pub templates: &'a Templates,
    pub creditors: &'a Creditors,
    pub links: &'a Links,
}

/// A rendered preview: the plan it follows, the sample case as a channel worker loads it, and
/// the message it sends.
#[derive(Debug, Clone)]
pub struct Preview {
    pub plan: PlanName,
    pub job: DeliveryJob,
    pub message: OutgoingMessage,
}

/// Renders `request` exactly as the channel worker renders a reminder (`Templates::render_job`).
pub fn render_preview(
    parts: &PreviewParts<'_>,
    request: &PreviewRequest,
    now: DateTime<Utc>,
) -> Result<Preview, PreviewError> {
    let (job, plan) = sample_case(parts.plans, request, now)?;
    let creditor = parts.creditors.get(job.tenant.as_str());
    let message = parts.templates.render_job(&job, &creditor, parts.links, now)?;
    Ok(Preview { plan, job, message })
}

/// The reminder id of every preview: links carry it, and it is no real reminder's.
const PREVIEW_REMINDER_ID: i64 = 0;

/// Renders the preview and writes it to `options.out`; returns a one-line summary.
pub async fn preview(
    config: &Config,
    options: &PreviewOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let plans = config.plan_book()?;
    let templates = Templates::from_config(config)?;
    let creditors =
        Creditors { by_tenant: config.creditors.clone(), default_email: config.default_sender.clone() };
    let links = Links::new(&config.links);
    let parts = PreviewParts { plans: &plans, templates: &templates, creditors: &creditors, links: &links };
    let request = request_of(config, options)?;
    let Preview { job, message, .. } = render_preview(&parts, &request, now).map_err(cli_error)?;
    let scratch = tempfile::tempdir().context("creating a scratch outbox")?;
    let key = job.idempotency_key.as_str();
    let written = match options.channel {
        ChannelKind::Email => {
            let sandbox = mahnwerk_channels::email::SandboxEmail::new(scratch.path());
            sandbox.send(key, &message).await.map_err(|e| anyhow::anyhow!("writing the email: {e}"))?;
            sandbox.email_dir().join(format!("{key}.eml"))
        }
        ChannelKind::Letter => {
            let sandbox = SandboxChannel::new(ChannelKind::Letter, scratch.path());
            sandbox.send(key, &message).await.map_err(|e| anyhow::anyhow!("printing the letter: {e}"))?;
            sandbox.letter_path(key).context("a letter sandbox prints PDFs")?
        }
        kind => match provider_request(config, kind, key, &message)? {
            Some(request) => {
                let json = serde_json::to_string_pretty(&request).context("writing the request")?;
                let path = scratch.path().join("request.json");
                std::fs::write(&path, json + "\n").context("writing the request")?;
                path
            }
            None => {
                let sandbox = SandboxChannel::new(kind, scratch.path());
                sandbox
                    .send(key, &message)
                    .await
                    .map_err(|e| anyhow::anyhow!("writing the {kind} message: {e}"))?;
                sandbox.path().to_owned()
            }
        },
    };
    std::fs::copy(&written, &options.out).with_context(|| format!("writing {}", options.out.display()))?;
    Ok(format!(
        "{} preview of stage {} ({}, {}, tenant {}) written to {}",
        options.channel,
        options.stage,
        job.debtor.language,
        job.tone.as_str(),
        job.tenant,
        options.out.display()
    ))
}

/// The request the configured provider of `kind` (Twilio, WhatsApp Cloud API, Messenger Send
/// API) would receive for `message`; `None` when the channel goes to the sandbox.
fn provider_request(
    config: &Config,
    kind: ChannelKind,
    key: &str,
    message: &mahnwerk_channels::OutgoingMessage,
) -> anyhow::Result<Option<mahnwerk_channels::ProviderRequest>> {
    use mahnwerk_channels::{messenger::MessengerSend, sms::TwilioSms, whatsapp::WhatsappCloud};
    let request = match kind {
        ChannelKind::Sms => match &config.twilio {
            Some(settings) => TwilioSms::new(settings).context("in [twilio]")?.request(key, message),
            None => return Ok(None),
        },
        ChannelKind::Whatsapp => match &config.whatsapp {
            Some(settings) => WhatsappCloud::new(settings).context("in [whatsapp]")?.request(key, message),
            None => return Ok(None),
        },
        ChannelKind::Messenger => match &config.messenger {
            Some(settings) => MessengerSend::new(settings).context("in [messenger]")?.request(key, message),
            None => return Ok(None),
        },
        ChannelKind::Email | ChannelKind::Letter => return Ok(None),
    };
    request
        .map(Some)
        .map_err(|e| anyhow::anyhow!("the {kind} provider would refuse this reminder: {}", e.reason()))
}

/// The CLI's request: the options, the tenant defaulted to the first configured creditor.
fn request_of(config: &Config, options: &PreviewOptions) -> anyhow::Result<PreviewRequest> {
    let tenant = match &options.tenant {
        Some(tenant) => tenant.clone(),
        None => config.creditors.keys().next().cloned().unwrap_or_else(|| "acme".to_owned()),
    };
    Ok(PreviewRequest {
        tenant: TenantId::parse(&tenant).map_err(|e| anyhow::anyhow!("--tenant: {e}"))?,
        plan: options.plan.clone(),
        stage: options.stage,
        channel: options.channel,
        language: options.language.clone(),
        tone: options.tone,
        sample: SampleInvoice::default(),
    })
}

/// A request's error as the command line names its options (`--stage: …`).
fn cli_error(error: PreviewError) -> anyhow::Error {
    match error {
        PreviewError::Invalid { field, reason } => anyhow::anyhow!("--{field}: {reason}"),
        PreviewError::Render(e) => anyhow::Error::new(e).context("rendering the preview"),
    }
}

/// One of the sample's fixed values (which parse; a change that broke one is named).
fn fixed<T>(what: &str, result: Result<T, crate::domain::Invalid>) -> Result<T, PreviewError> {
    result.map_err(|e| PreviewError::invalid("sample", format!("the sample {what}: {e}")))
}

/// An amount as the intake message writes it: a positive decimal with at most two places.
fn parse_amount(raw: &str) -> Result<Decimal, String> {
    let amount = Decimal::from_str(raw).map_err(|_| format!("'{raw}' is not a decimal such as 129.90"))?;
    if amount <= Decimal::ZERO || amount.scale() > 2 {
        return Err(format!("'{raw}' must be positive, with at most two decimal places"));
    }
    Ok(amount)
}

fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| format!("'{raw}' is not a date YYYY-MM-DD"))
}

fn parse_name(raw: &str) -> Result<String, String> {
    match raw.chars().count() {
        1..=200 => Ok(raw.to_owned()),
        _ => Err("must be 1 to 200 characters".to_owned()),
    }
}

/// The sample case as a channel worker would load it: Erika Mustermann in Berlin, reachable on
/// every channel, owing 1,234.56 EUR on invoice RE-2026-0042, due three weeks before `now`.
pub fn sample_job(
    config: &Config,
    options: &PreviewOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<DeliveryJob> {
    let request = request_of(config, options)?;
    sample_job_for(&config.plan_book()?, &request, now).map_err(cli_error)
}

/// A sample value the caller set, parsed, or the sample's own.
fn sample_value<T, E: std::fmt::Display>(
    field: &'static str,
    given: &Option<String>,
    parse: impl FnOnce(&str) -> Result<T, E>,
    default: impl FnOnce() -> T,
) -> Result<T, PreviewError> {
    match given.as_deref().map(str::trim) {
        Some(raw) => parse(raw).map_err(|e| PreviewError::invalid(field, e)),
        None => Ok(default()),
    }
}

/// The sample case of `request` as a channel worker would load it: the debtor in Berlin,
/// reachable on every channel, with the request's sample values over the defaults.
pub fn sample_job_for(
    plans: &PlanBook,
    request: &PreviewRequest,
    now: DateTime<Utc>,
) -> Result<DeliveryJob, PreviewError> {
    sample_case(plans, request, now).map(|(job, _)| job)
}

/// Where the sample debtor lives.
const SAMPLE_TIMEZONE: &str = "Europe/Berlin";

/// The sample case of `request` and the name of the plan it follows.
fn sample_case(
    plans: &PlanBook,
    request: &PreviewRequest,
    now: DateTime<Utc>,
) -> Result<(DeliveryJob, PlanName), PreviewError> {
    let language = request.language.as_deref().unwrap_or("de");
    let language = Language::parse(language).map_err(|e| PreviewError::invalid("language", e))?;
    let plan = plans
        .resolve(&request.tenant, DebtorKind::Consumer, request.plan.as_deref())
        .map_err(|e| PreviewError::invalid("plan", e))?;
    let Some(stage) = request.stage.checked_sub(1).and_then(|index| plan.stage(index as usize)) else {
        let reason =
            format!("plan {} has stages 1 to {}, not {}", plan.name, plan.stages.len(), request.stage);
        return Err(PreviewError::invalid("stage", reason));
    };
    let sample = &request.sample;
    let currency = sample_value("sample.currency", &sample.currency, Currency::parse, || {
        Currency::parse("EUR").expect("EUR is a currency")
    })?;
    let amount =
        sample_value("sample.amount_due", &sample.amount_due, parse_amount, || Decimal::new(123_456, 2))?;
    // The sample debtor's own date, which the renderer dates the reminder with: the UTC date
    // differs from it around midnight, and the sample's days must not shift against the letter's.
    let timezone = fixed("timezone", Timezone::parse(SAMPLE_TIMEZONE))?;
    let today = now.with_timezone(&timezone.tz()).date_naive();
    let due_on = sample_value("sample.due_on", &sample.due_on, parse_date, || today - chrono::Days::new(21))?;
    let invoice_number =
        sample_value("sample.invoice_number", &sample.invoice_number, InvoiceNumber::parse, || {
            InvoiceNumber::parse("RE-2026-0042").expect("a valid invoice number")
        })?;
    let debtor_name = sample_value("sample.debtor_name", &sample.debtor_name, parse_name, || {
        "Erika Mustermann".to_owned()
    })?;
    // The plan's earlier stages, sent by email a week apart from three days after the due date,
    // so the preview shows the fees and interest they add up to.
    let sent = (0..request.stage - 1)
        .filter_map(|index| {
            let earlier = plan.stage(index as usize)?;
            let sent_on = due_on.checked_add_days(chrono::Days::new(3 + 7 * u64::from(index)))?;
            Some(crate::domain::legal::SentReminder {
                stage: index,
                channel: crate::domain::ChannelKind::Email,
                sent_on: sent_on.min(today),
                fee: earlier.fee,
            })
        })
        .collect();
    let job = DeliveryJob {
        reminder_id: PREVIEW_REMINDER_ID,
        idempotency_key: format!("preview-{}", request.channel),
        status: ReminderStatus::Queued,
        attempts: 0,
        send_at: now,
        queued_at: Some(now),
        channel: request.channel,
        stage: request.stage - 1,
        stage_name: stage.name.clone(),
        tone: request.tone.unwrap_or(stage.tone),
        fee: stage.fee,
        case_state: CaseState::Reminding,
        case_id: 0,
        tenant: request.tenant.clone(),
        invoice_number,
        issued_on: due_on - chrono::Days::new(14),
        due_on,
        terms: crate::domain::PaymentTerms::default(),
        default_on: None,
        amount_due: Money::new(amount, currency),
        amount_paid: Decimal::ZERO,
        sent,
        payments: Vec::new(),
        debtor: Debtor {
            id: fixed("debtor id", DebtorId::parse("C-1001"))?,
            kind: DebtorKind::Consumer,
            name: debtor_name,
            language,
            timezone,
            email: Some(fixed("email", Email::parse("erika@example.org"))?),
            phone: Some(fixed("phone", PhoneE164::parse("+4915112345678"))?),
            whatsapp: Some(fixed("phone", PhoneE164::parse("+4915112345678"))?),
            whatsapp_opt_in: true,
            messenger_psid: Some("7000000000000001".into()),
            contact_person: None,
            address: Some(PostalAddress {
                line1: "Musterstraße 1".into(),
                line2: None,
                postal_code: "10115".into(),
                city: "Berlin".into(),
                country: fixed("country", CountryCode::parse("DE"))?,
            }),
            iban: None,
            unreachable: Default::default(),
        },
        consents: Default::default(),
        // Inside the 24-hour window, as a chat reminder must be.
        last_inbound_at: Some(now - chrono::Duration::hours(1)),
        instalment: 0,
        // The last stage names its deadline, as the planner would have stored it.
        escalates_after_days: plan
            .stage(request.stage as usize)
            .is_none()
            .then_some(plan.escalate_after_days),
        plan: None,
    };
    Ok((job, plan.name.clone()))
}
