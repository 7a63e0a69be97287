//! `mahnwerk preview`: one reminder for a sample case, rendered with the configured templates,
//! creditor, plan and links exactly as the channel worker renders it, and written by the same
//! sandbox writer the embedded mode uses: the `.eml` file for email, the outbox JSON line for
//! SMS, WhatsApp and Messenger (`{"idempotency_key", "at", "kind", "message"}`), the PDF for a
//! letter. Where Twilio, the WhatsApp Cloud API or the Messenger Send API is configured, the
//! preview is instead the request that provider would receive (`{"method", "url",
//! "content_type", "headers", "body"}`, without credentials). How a creditor checks its templates
//! before going live.

use super::links::Links;
use crate::config::Config;
use crate::domain::{
    CaseState, ChannelKind, CountryCode, Debtor, DebtorId, DebtorKind, Email, InvoiceNumber, Language, Money,
    PhoneE164, PostalAddress, TenantId, Timezone, Tone,
};
use crate::store::{DeliveryJob, ReminderStatus};
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use mahnwerk_channels::sandbox::SandboxChannel;
use mahnwerk_channels::Channel;
use rust_decimal::Decimal;
use std::path::PathBuf;

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

/// The reminder id of every preview: links carry it, and it is no real reminder's.
const PREVIEW_REMINDER_ID: i64 = 0;

/// Renders the preview and writes it to `options.out`; returns a one-line summary.
pub async fn preview(
    config: &Config,
    options: &PreviewOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let job = sample_job(config, options, now)?;
    let templates = super::Templates::from_config(config)?;
    let creditor = crate::deliver::Creditors {
        by_tenant: config.creditors.clone(),
        default_email: config.default_sender.clone(),
    }
    .get(job.tenant.as_str());
    let links = Links::new(&config.links);
    let message = templates.render_job(&job, &creditor, &links, now).context("rendering the preview")?;
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

fn parse<T>(what: &str, result: Result<T, crate::domain::Invalid>) -> anyhow::Result<T> {
    result.map_err(|e| anyhow::anyhow!("the sample {what}: {e}"))
}

/// The sample case as a channel worker would load it: Erika Mustermann in Berlin, reachable on
/// every channel, owing 1,234.56 EUR on invoice RE-2026-0042, due three weeks before `now`.
pub fn sample_job(
    config: &Config,
    options: &PreviewOptions,
    now: DateTime<Utc>,
) -> anyhow::Result<DeliveryJob> {
    let tenant = match &options.tenant {
        Some(tenant) => tenant.clone(),
        None => config.creditors.keys().next().cloned().unwrap_or_else(|| "acme".to_owned()),
    };
    let tenant = TenantId::parse(&tenant).map_err(|e| anyhow::anyhow!("--tenant: {e}"))?;
    let language = options.language.as_deref().unwrap_or("de");
    let language = Language::parse(language).map_err(|e| anyhow::anyhow!("--language: {e}"))?;
    let book = config.plan_book()?;
    let plan = book
        .resolve(&tenant, DebtorKind::Consumer, options.plan.as_deref())
        .map_err(|e| anyhow::anyhow!("--plan: {e}"))?;
    let Some(stage) = options.stage.checked_sub(1).and_then(|index| plan.stage(index as usize)) else {
        bail!("--stage: plan {} has stages 1 to {}, not {}", plan.name, plan.stages.len(), options.stage);
    };
    let eur = parse("currency", crate::domain::Currency::parse("EUR"))?;
    let due_on = now.date_naive() - chrono::Days::new(21);
    // The plan's earlier stages, sent by email a week apart from three days after the due date,
    // so the preview shows the fees and interest they add up to.
    let sent = (0..options.stage - 1)
        .filter_map(|index| {
            let earlier = plan.stage(index as usize)?;
            let sent_on = due_on.checked_add_days(chrono::Days::new(3 + 7 * u64::from(index)))?;
            Some(crate::domain::legal::SentReminder {
                stage: index,
                channel: crate::domain::ChannelKind::Email,
                sent_on: sent_on.min(now.date_naive()),
                fee: earlier.fee,
            })
        })
        .collect();
    Ok(DeliveryJob {
        reminder_id: PREVIEW_REMINDER_ID,
        idempotency_key: format!("preview-{}", options.channel),
        status: ReminderStatus::Queued,
        attempts: 0,
        send_at: now,
        queued_at: Some(now),
        channel: options.channel,
        stage: options.stage - 1,
        stage_name: stage.name.clone(),
        tone: options.tone.unwrap_or(stage.tone),
        fee: stage.fee,
        case_state: CaseState::Reminding,
        case_id: 0,
        tenant,
        invoice_number: parse("invoice number", InvoiceNumber::parse("RE-2026-0042"))?,
        issued_on: due_on - chrono::Days::new(14),
        due_on,
        terms: crate::domain::PaymentTerms::default(),
        default_on: None,
        amount_due: Money::new(Decimal::new(123_456, 2), eur),
        amount_paid: Decimal::ZERO,
        sent,
        payments: Vec::new(),
        debtor: Debtor {
            id: parse("debtor id", DebtorId::parse("C-1001"))?,
            kind: DebtorKind::Consumer,
            name: "Erika Mustermann".into(),
            language,
            timezone: parse("timezone", Timezone::parse("Europe/Berlin"))?,
            email: Some(parse("email", Email::parse("erika@example.org"))?),
            phone: Some(parse("phone", PhoneE164::parse("+4915112345678"))?),
            whatsapp: Some(parse("phone", PhoneE164::parse("+4915112345678"))?),
            whatsapp_opt_in: true,
            messenger_psid: Some("7000000000000001".into()),
            contact_person: None,
            address: Some(PostalAddress {
                line1: "Musterstraße 1".into(),
                line2: None,
                postal_code: "10115".into(),
                city: "Berlin".into(),
                country: parse("country", CountryCode::parse("DE"))?,
            }),
            unreachable: Default::default(),
        },
        consents: Default::default(),
        // Inside the 24-hour window, as a chat reminder must be.
        last_inbound_at: Some(now - chrono::Duration::hours(1)),
        instalment: 0,
        // The last stage names its deadline, as the planner would have stored it.
        escalates_after_days: plan
            .stage(options.stage as usize)
            .is_none()
            .then_some(plan.escalate_after_days),
        plan: None,
    })
}
