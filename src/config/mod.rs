//! Configuration in three layers: built-in defaults (the embedded mode: SQLite under
//! `./mahnwerk-data/`, in-process queue, sandbox transports writing to `./outbox/`), then a TOML
//! file (`--config`), then `MAHNWERK_*` environment variables. Secrets are `SecretString` and
//! never printed; [`Config::describe`] shows what is safe to show.
//!
//! The settings of each part live beside it here ([`http`], [`links`], [`creditors`],
//! [`stripe`]), so that
//! the stages import their configuration and the configuration imports no stage.

pub mod bookkeeping;
pub mod console;
pub mod creditors;
pub mod http;
pub mod intake;
pub mod layers;
pub mod links;
pub mod observe;
pub mod pay;
pub mod payments;
pub mod recommend;
pub mod schedule;
pub mod stripe;

use crate::domain::{AttributionWindow, ChannelKind, DebtorKind, DunningPlan, PlanBook, TenantId};
use anyhow::{bail, Context};
use creditors::Creditor;
use http::{HttpConfig, MetaConfig};
use links::LinksConfig;
use mahnwerk_channels::email::{SmtpSecurity, SmtpSettings};
use mahnwerk_channels::letter::{PingenLetters, PingenSettings};
use mahnwerk_channels::messenger::{MessengerSend, MessengerSettings};
use mahnwerk_channels::sms::{TwilioSettings, TwilioSms};
use mahnwerk_channels::whatsapp::{WhatsappCloud, WhatsappSettings};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use stripe::StripeConfig;

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `amqp://…`; unset means the in-process queue (one process does everything).
    pub amqp_url: Option<SecretString>,
    /// Prefix of every exchange and queue name.
    pub namespace: String,
    /// Where sandbox transports write what would have been sent.
    pub outbox_dir: PathBuf,
    /// Email transport: "sandbox" (default) or "smtp".
    pub email_transport: EmailTransport,
    pub smtp: Option<SmtpConfig>,
    /// `[email]`: what reminder emails carry, whichever transport sends them.
    pub email: EmailConfig,
    /// SMS through Twilio's Messages API (`[twilio] account_sid, auth_token, from` or
    /// `messaging_service_sid`, optional `status_callback`, `base_url`, `max_segments`,
    /// `timeout`); unset: SMS go to the sandbox.
    pub twilio: Option<TwilioSettings>,
    /// WhatsApp through Meta's Cloud API (`[whatsapp] phone_number_id, access_token`, optional
    /// `base_url`, `api_version`, `timeout`); unset: WhatsApp messages go to the sandbox.
    pub whatsapp: Option<WhatsappSettings>,
    /// Messenger through the Send API (`[messenger] page_access_token`, optional `page_id`,
    /// `base_url`, `api_version`, `timeout`); unset: Messenger messages go to the sandbox.
    pub messenger: Option<MessengerSettings>,
    /// Letters printed and posted by Pingen (`[pingen] client_id, client_secret,
    /// organisation_id`, optional `webhook_secret`, `identity_url`, `api_url`, `scope`,
    /// `delivery_product`, `print_mode`, `print_spectrum`, `timeout`); unset: letters go to the
    /// sandbox.
    pub pingen: Option<PingenSettings>,
    /// Token buckets per channel: `[rate_limits.sms] per_second = 10, burst = 20`; unset: no pacing
    /// beyond the providers' own 429s.
    pub rate_limits: BTreeMap<ChannelKind, mahnwerk_channels::RateLimit>,
    /// Sender address for tenants without a `[creditors.<tenant>]` entry.
    pub default_sender: String,
    /// Pause between scheduler steps when idle, in milliseconds.
    pub poll_interval_ms: u64,
    pub creditors: BTreeMap<String, Creditor>,
    /// Extra dunning plans beside the built-in `standard-b2c` and `standard-b2b`.
    pub plans: Vec<DunningPlan>,
    /// Per-tenant default plans: `[tenant_plans.acme] consumer = "…"`, `business = "…"`.
    pub tenant_plans: BTreeMap<String, BTreeMap<DebtorKind, String>>,
    /// Who picks channel and hour: "adaptive" (default, the learning policy) or "fixed" (the
    /// plan's first allowed channel at 10:00, the baseline).
    pub policy: PolicyKind,
    /// The learning loop: snapshots, reloads, objective.
    pub learn: LearnConfig,
    /// `[links]`: base URL and secret of the signed pay and unsubscribe links.
    pub links: LinksConfig,
    /// `[pay]`: what debtors may do on the pay-page (promise limits, request limits).
    pub pay: pay::PayConfig,
    /// Tenants' own templates, `<dir>/<tenant>/<language>/<name>[.<tone>].j2`, over the shipped
    /// ones; unset: the shipped templates only.
    pub templates_dir: Option<PathBuf>,
    /// Approved WhatsApp template names: `[whatsapp_templates.<tenant>] "<stage name>" = "…"`,
    /// `"*"` for any stage; default `payment_reminder_<tone>`.
    pub whatsapp_templates: BTreeMap<String, BTreeMap<String, String>>,
    /// The HTTP server of the API role (receipt webhooks).
    pub http: HttpConfig,
    /// Meta's webhook secrets (WhatsApp, Messenger); unset: Meta webhooks get 401.
    pub meta: Option<MetaConfig>,
    /// `[stripe]`: card, wallet and SEPA Direct Debit payments through Stripe Checkout, and
    /// Stripe's webhook; unset: the pay-page offers no card payment.
    pub stripe: Option<StripeConfig>,
    /// `[payments]`: the bank statement import (`[payments.csv]`: the CSV export's layout).
    pub payments: payments::PaymentsConfig,
    /// `[schedule]`: catch-up after downtime.
    pub schedule: schedule::ScheduleConfig,
    /// `[intake]`: the bytes of message bodies the intake holds at once.
    pub intake: intake::IntakeConfig,
    /// `[recommend]`: product recommendations after payment (the `recommender` role).
    pub recommend: recommend::RecommendConfig,
    /// `[console]`: the operator console's sessions and login throttling.
    pub console: console::ConsoleConfig,
    /// `[observe]`: the health and metrics listener of the roles without an HTTP server.
    pub observe: observe::ObserveConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    Adaptive,
    Fixed,
}

impl PolicyKind {
    /// The name in the configuration, the demo's folders and its report.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Adaptive => "adaptive",
            PolicyKind::Fixed => "fixed",
        }
    }
}

impl std::str::FromStr for PolicyKind {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "adaptive" => Ok(PolicyKind::Adaptive),
            "fixed" => Ok(PolicyKind::Fixed),
            other => bail!("policy: '{other}' is not one of adaptive, fixed"),
        }
    }
}

/// `[learn]`: how the learner role writes snapshots and how schedulers pick them up.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LearnConfig {
    /// The learner writes a snapshot after this many outcomes… Default 1000, 1 to 65535 (it is
    /// also the learner's prefetch: outcomes are acked once a snapshot holds them).
    pub snapshot_every: u32,
    /// …or this many seconds after the first outcome not yet in a snapshot. Default 60.
    pub snapshot_secs: u64,
    /// How often a scheduler checks for a newer snapshot, in seconds. Default 30.
    pub reload_secs: u64,
    /// Seed of the scheduler's sampling; unset draws one per process.
    pub seed: Option<u64>,
    /// Weight of channel cost in the adaptive policy's objective, the expected amount collected
    /// minus what the reminder costs: `P(pay) x open amount x stake - lambda x cost in EUR`, with
    /// `P(pay)` the chance that this reminder gets the invoice paid within the attribution
    /// window and `stake` 1 at the plan's last stage, `earlier_stage_share` before it. 0
    /// maximises payments whatever they cost. Default 3: a euro spent counts three times a euro
    /// of expected collection, because not all of what the model credits to a reminder is its
    /// doing (some debtors pay on their own, or after escalation). Chosen on the demo at seed 3
    /// against 1 and 10 (with 1 the last stage still sent letters to debtors who pay nothing,
    /// with 10 it sent email where a letter pays; README, *How well it learns*).
    pub lambda: f64,
    /// What a payment before the plan's last stage is worth, as a share of the open amount.
    /// Default 0.05, range `(0, 1]`. A reminder that is not paid is followed by the plan's next
    /// stage, which reaches the same debtor again (the built-in plans end with a letter), so
    /// what an earlier reminder's payment earns over a cheaper reminder is mostly time; counted
    /// at the whole amount, a letter at 1.20 EUR looked worth it on a consumer invoice wherever
    /// it raised the chance of payment by 1.5 points, and the demo's adaptive policy sent 65 to
    /// 85 % more letters than the fixed schedule for about the same share of cases paid. At the
    /// last stage nothing follows but escalation, so the whole amount is at stake there.
    pub earlier_stage_share: f64,
    /// Share of the adaptive policy's decisions taken uniformly at random among the allowed
    /// (channel, hour) arms, so that every allowed arm keeps a logged propensity of at least
    /// `epsilon / arms`. Default 0.02, range `[0, 1]` (1 is the uniform random policy, 0 keeps
    /// no floor). The decisions are the log analysts evaluate candidate models on
    /// (`mahnwerk-train evaluate`), which needs outcomes of the arms a candidate would choose:
    /// at 0.002 (the models crate's default) a demo log held too few of them and `evaluate`
    /// refused to score a greedy candidate. Each 0.01 costs about 0.1 points of payment rate
    /// on `mahnwerk-train bench-policies`; lower it when nobody evaluates on this log.
    pub epsilon: f64,
    /// How many logits (log-odds of payment) the plan's default arm, the fixed schedule's
    /// choice (the stage's first allowed channel at 10:00 local time), leads every other
    /// (channel, hour) arm before the adaptive policy has data on that arm; the lead fades as
    /// the arm's own outcomes come in (a tenth of it after about 50). 0 starts every arm alike.
    /// Range `[0, 10]`.
    pub default_arm_lead: f64,
    /// The adaptive policy chooses among every `hour_step`-th allowed hour only, counted from
    /// the fixed schedule's 10:00 (2: 08, 10, 12, …, 20): fewer (channel, hour) arms to learn
    /// from the same outcomes. Default 1 (every allowed hour), range 1 to 12.
    pub hour_step: u8,
    /// Cost of one message per channel in EUR, for the objective.
    pub costs_eur: BTreeMap<ChannelKind, f64>,
    /// A snapshot file (e.g. from `mahnwerk-train fit`) the learner starts from when the database
    /// holds none yet: the warm start for a new installation or tenant.
    pub initial_model: Option<PathBuf>,
    /// How long after a reminder a payment still counts as its success (the learner's reward),
    /// in hours. Default 72, 1 to 8760.
    pub attribution_hours: u32,
}

impl Default for LearnConfig {
    fn default() -> Self {
        Self {
            snapshot_every: 1000,
            snapshot_secs: 60,
            reload_secs: 30,
            seed: None,
            lambda: 3.0,
            earlier_stage_share: 0.05,
            epsilon: 0.02,
            default_arm_lead: 0.0,
            hour_step: 1,
            costs_eur: default_costs_eur(),
            initial_model: None,
            attribution_hours: AttributionWindow::DEFAULT_HOURS,
        }
    }
}

/// What one message costs by default: the channel capabilities' list prices (an email next to
/// nothing, an SMS segment and a WhatsApp template a few cents, Messenger free, a letter 1.20 EUR).
pub fn default_costs_eur() -> BTreeMap<ChannelKind, f64> {
    ChannelKind::ALL
        .into_iter()
        .map(|kind| {
            (kind, mahnwerk_channels::KindCapabilities::capabilities(kind).cost_eur.try_into().unwrap_or(0.0))
        })
        .collect()
}

impl LearnConfig {
    /// The attribution window this configuration sets.
    pub fn attribution(&self) -> AttributionWindow {
        AttributionWindow::hours(self.attribution_hours)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(1..=u32::from(u16::MAX)).contains(&self.snapshot_every) {
            bail!("learn.snapshot_every must be between 1 and 65535, got {}", self.snapshot_every);
        }
        if self.snapshot_secs == 0 {
            bail!("learn.snapshot_secs must be at least 1");
        }
        if self.reload_secs == 0 {
            bail!("learn.reload_secs must be at least 1");
        }
        if !(1..=8760).contains(&self.attribution_hours) {
            bail!("learn.attribution_hours must be between 1 and 8760, got {}", self.attribution_hours);
        }
        if !(0.0..=1e6).contains(&self.lambda) {
            bail!("learn.lambda must be between 0 and 1000000, got {}", self.lambda);
        }
        let share = self.earlier_stage_share;
        if share.is_nan() || share <= 0.0 || share > 1.0 {
            bail!("learn.earlier_stage_share must be above 0 and at most 1, got {share}");
        }
        // Written so that NaN fails too.
        if !(0.0..=1.0).contains(&self.epsilon) {
            bail!("learn.epsilon must be between 0 and 1, got {}", self.epsilon);
        }
        if !(1..=12).contains(&self.hour_step) {
            bail!("learn.hour_step must be between 1 and 12, got {}", self.hour_step);
        }
        if !(0.0..=10.0).contains(&self.default_arm_lead) {
            bail!("learn.default_arm_lead must be between 0 and 10, got {}", self.default_arm_lead);
        }
        for (channel, cost) in &self.costs_eur {
            if !(cost.is_finite() && *cost >= 0.0) {
                bail!("learn.costs_eur.{channel} must be a finite number >= 0, got {cost}");
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTransport {
    Sandbox,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    /// "none", "starttls" (default) or "tls".
    pub security: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub timeout_secs: Option<u64>,
    /// `[smtp.dkim]`: sign outgoing email.
    #[serde(default)]
    pub dkim: Option<SmtpDkimConfig>,
}

/// `[email]`: what reminder emails carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// Attach to every reminder email the DIN 5008 letter (PDF with amounts, bank details and
    /// QR codes) the letter channel would print for the same reminder, named like
    /// `Mahnung-RE-2026-0042.pdf`. Default false. One switch for all stages: plans choose the
    /// channel per stage, and a stage that should be a formal letter can offer the letter channel.
    pub attach_letter: bool,
}

/// `[smtp.dkim]`: the key as `private_key` (inline, a secret) or `private_key_file` (a path).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpDkimConfig {
    pub domain: String,
    pub selector: String,
    /// "rsa" (default; PKCS#1 PEM) or "ed25519" (base64 of the 32-byte key).
    pub algorithm: Option<String>,
    pub private_key: Option<SecretString>,
    pub private_key_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://mahnwerk-data/mahnwerk.sqlite".to_owned(),
            amqp_url: None,
            namespace: "mahnwerk".to_owned(),
            outbox_dir: PathBuf::from("outbox"),
            email_transport: EmailTransport::Sandbox,
            smtp: None,
            email: EmailConfig::default(),
            twilio: None,
            whatsapp: None,
            messenger: None,
            pingen: None,
            rate_limits: BTreeMap::new(),
            default_sender: "billing@example.org".to_owned(),
            poll_interval_ms: 1000,
            creditors: BTreeMap::new(),
            plans: Vec::new(),
            tenant_plans: BTreeMap::new(),
            policy: PolicyKind::Adaptive,
            learn: LearnConfig::default(),
            links: LinksConfig::default(),
            pay: pay::PayConfig::default(),
            templates_dir: None,
            whatsapp_templates: BTreeMap::new(),
            http: HttpConfig::default(),
            meta: None,
            stripe: None,
            payments: payments::PaymentsConfig::default(),
            schedule: schedule::ScheduleConfig::default(),
            intake: intake::IntakeConfig::default(),
            recommend: recommend::RecommendConfig::default(),
            console: console::ConsoleConfig::default(),
            observe: observe::ObserveConfig::default(),
        }
    }
}

impl Config {
    /// The law `tenant`'s claims are computed under (`[creditors.<tenant>.legal]`, else the
    /// statute's defaults).
    pub fn law_of(&self, tenant: &crate::domain::TenantId) -> crate::domain::legal::Germany {
        self.creditors.get(tenant.as_str()).map(Creditor::law).unwrap_or_default()
    }

    /// [`Config::law_of`] for every tenant, to hand to the roles.
    pub fn laws(&self) -> std::sync::Arc<crate::domain::legal::TenantLaw> {
        let creditors = self.creditors.clone();
        std::sync::Arc::new(move |tenant: &crate::domain::TenantId| {
            creditors.get(tenant.as_str()).map(Creditor::law).unwrap_or_default()
        })
    }

    /// What an operator must add to the base-rate tables on `today`: one line per table (the
    /// statute's default for tenants without `[creditors.<tenant>.legal]`, then each creditor's)
    /// that lacks a half-year already begun. Until it is added, interest from that day carries
    /// the last rate and every breakdown says so; the line names where the value goes.
    pub fn base_rate_notices(&self, today: chrono::NaiveDate) -> Vec<String> {
        let tables =
            std::iter::once(("tenants without [creditors.<tenant>.legal]".to_owned(), Default::default()))
                .chain(
                    self.creditors.iter().map(|(tenant, c)| (format!("creditors.{tenant}.legal"), c.law())),
                );
        tables
            .filter_map(|(whose, law): (String, crate::domain::legal::Germany)| {
                let table = law.base_rates();
                let missing = table.missing_on(today)?;
                let last = table.entries().last().map(|&(_, rate)| rate)?;
                Some(format!(
                    "{whose}: the base-rate table (§ 247 BGB) has no rate from {missing}; interest from that day \
                     is computed at the last known rate, {last}, and each breakdown says so. Add the Bundesbank's \
                     value as extra_base_rates = [[\"{missing}\", \"<rate>\"]] under [creditors.<tenant>.legal]"
                ))
            })
            .collect()
    }

    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let config = Self::read(file)?;
        config.validate()?;
        Ok(config)
    }

    /// The configuration for commands that only touch the database (`stats`, `migrate`): checked
    /// like [`Config::load`], except that nothing here signs a link, so `links.secret` may be
    /// missing even with PostgreSQL.
    pub fn load_for_database_only(file: Option<&Path>) -> anyhow::Result<Self> {
        let config = Self::read(file)?;
        config.validate_with(false)?;
        Ok(config)
    }

    /// The file (or the built-in defaults) with the environment's overrides, unchecked.
    fn read(file: Option<&Path>) -> anyhow::Result<Self> {
        let text = match file {
            Some(path) => {
                Some(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)
            }
            None => None,
        };
        let origin = file.map(|path| path.display().to_string());
        Self::layered(text.as_deref().zip(origin.as_deref()), |name| std::env::var(name).ok())
    }

    /// The built-in defaults, then `file` (its TOML text and the name errors call it by), then
    /// the `MAHNWERK_*` variables read through `var` (so tests need not touch the process
    /// environment), merged key by key; unchecked. A variable sets exactly one key: the file's
    /// other keys of the same section stay.
    pub fn layered(file: Option<(&str, &str)>, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        layers::merge(file, var)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.validate_with(true)
    }

    /// Checks everything; `signs_links` is false for commands that sign no link, which then need
    /// no `links.secret`.
    fn validate_with(&self, signs_links: bool) -> anyhow::Result<()> {
        if self.email_transport == EmailTransport::Smtp && self.smtp.is_none() {
            bail!("email_transport = \"smtp\" needs an [smtp] section or MAHNWERK_SMTP_HOST");
        }
        if let Some(smtp) = &self.smtp {
            self.smtp_settings_of(smtp)?;
        }
        self.plan_book()?;
        self.learn.validate()?;
        self.links.validate(signs_links && self.is_distributed())?;
        self.http.validate()?;
        self.pay.validate()?;
        self.schedule.validate()?;
        self.intake.validate()?;
        self.console.validate()?;
        self.recommend.validate()?;
        for (tenant, creditor) in &self.creditors {
            creditor.validate(tenant).map_err(anyhow::Error::msg)?;
        }
        if let Some(twilio) = &self.twilio {
            TwilioSms::new(twilio).context("in [twilio]")?;
        }
        if let Some(whatsapp) = &self.whatsapp {
            WhatsappCloud::new(whatsapp).context("in [whatsapp]")?;
        }
        if let Some(messenger) = &self.messenger {
            MessengerSend::new(messenger).context("in [messenger]")?;
        }
        if let Some(pingen) = &self.pingen {
            PingenLetters::new(pingen).context("in [pingen]")?;
        }
        for (kind, limit) in &self.rate_limits {
            limit.check().map_err(|e| anyhow::anyhow!("rate_limits.{kind}.{e}"))?;
        }
        if let Some(stripe) = &self.stripe {
            stripe.validate()?;
        }
        Ok(())
    }

    /// Whether this configuration leaves the embedded mode (PostgreSQL or RabbitMQ), where
    /// development defaults such as the links' secret are refused.
    pub fn is_distributed(&self) -> bool {
        self.amqp_url.is_some() || self.database_url.starts_with("postgres")
    }

    /// The plan book: built-in plans, the configured ones, and tenant defaults.
    pub fn plan_book(&self) -> anyhow::Result<PlanBook> {
        let mut book = PlanBook::default();
        for plan in &self.plans {
            plan.validate().context("in [[plans]]")?;
            book.insert(plan.clone());
        }
        for (tenant, defaults) in &self.tenant_plans {
            let tenant_id = TenantId::parse(tenant).with_context(|| format!("tenant_plans.{tenant}"))?;
            for (kind, plan) in defaults {
                book.set_tenant_default(tenant_id.clone(), *kind, plan)
                    .with_context(|| format!("tenant_plans.{tenant}.{}", kind.as_str()))?;
            }
        }
        Ok(book)
    }

    /// SMTP settings for the email transport, when it is SMTP.
    pub fn smtp_settings(&self) -> anyhow::Result<Option<SmtpSettings>> {
        match (&self.email_transport, &self.smtp) {
            (EmailTransport::Smtp, Some(smtp)) => self.smtp_settings_of(smtp).map(Some),
            _ => Ok(None),
        }
    }

    /// `[smtp.dkim]` when the email transport is the sandbox: the `.eml` files are signed as
    /// SMTP would sign them, to check a DKIM setup before going live.
    pub fn sandbox_dkim(&self) -> anyhow::Result<Option<mahnwerk_channels::email::DkimSettings>> {
        match (&self.email_transport, self.smtp.as_ref().and_then(|s| s.dkim.as_ref())) {
            (EmailTransport::Sandbox, Some(dkim)) => dkim_settings_of(dkim).map(Some),
            _ => Ok(None),
        }
    }

    fn smtp_settings_of(&self, smtp: &SmtpConfig) -> anyhow::Result<SmtpSettings> {
        let mut settings = SmtpSettings::new(smtp.host.clone());
        settings.security = match smtp.security.as_deref().unwrap_or("starttls") {
            "none" => SmtpSecurity::None,
            "starttls" => SmtpSecurity::StartTls,
            "tls" => SmtpSecurity::Tls,
            other => bail!("smtp.security: '{other}' is not one of none, starttls, tls"),
        };
        if let Some(port) = smtp.port {
            settings.port = port;
        }
        settings.username = smtp.username.clone();
        settings.password = smtp.password.clone();
        if let Some(secs) = smtp.timeout_secs {
            settings.timeout = Duration::from_secs(secs);
        }
        if let Some(dkim) = &smtp.dkim {
            settings.dkim = Some(dkim_settings_of(dkim)?);
        }
        Ok(settings)
    }

    /// A human-readable summary without secrets (passwords and the AMQP URL's credentials).
    pub fn describe(&self) -> String {
        format!(
            "database: {}\nqueue: {}\nnamespace: {}\nemail: {}\nsms: {}\nwhatsapp: {}\nmessenger: {}\n\
             letter: {}\noutbox: {}\npolicy: {:?}\nhttp: {}\nstripe: {}",
            redact_url(&self.database_url),
            match &self.amqp_url {
                Some(url) => redact_url(secrecy::ExposeSecret::expose_secret(url)),
                None => "in-process".to_owned(),
            },
            self.namespace,
            match &self.smtp {
                Some(s) if self.email_transport == EmailTransport::Smtp =>
                    format!("smtp {}:{}", s.host, s.port.unwrap_or(587)),
                _ => "sandbox".to_owned(),
            },
            match &self.twilio {
                Some(t) => format!("twilio {} ({})", t.account_sid, t.base_url),
                None => "sandbox".to_owned(),
            },
            match &self.whatsapp {
                Some(w) => format!("cloud api, phone number id {} ({})", w.phone_number_id, w.base_url),
                None => "sandbox".to_owned(),
            },
            match &self.messenger {
                Some(m) => format!("send api, page {} ({})", m.page_id, m.base_url),
                None => "sandbox".to_owned(),
            },
            match &self.pingen {
                Some(p) => format!(
                    "pingen, organisation {} ({}, {} {} {}, webhooks {})",
                    p.organisation_id,
                    p.api_url,
                    p.delivery_product,
                    p.print_mode,
                    p.print_spectrum,
                    if p.webhook_secret.is_some() { "signed" } else { "refused" }
                ),
                None => "sandbox".to_owned(),
            },
            self.outbox_dir.display(),
            self.policy,
            self.http.listen,
            self.stripe.as_ref().map_or_else(|| "off".to_owned(), StripeConfig::describe)
        )
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `scheme://user:password@host/…` without the password.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Reads the key (inline or from its file) and checks that it signs, so a bad key is a startup
/// error naming the key rather than a failure on the first email.
fn dkim_settings_of(dkim: &SmtpDkimConfig) -> anyhow::Result<mahnwerk_channels::email::DkimSettings> {
    use mahnwerk_channels::email::{DkimAlgorithm, DkimSettings, DkimSigner};
    let algorithm = match dkim.algorithm.as_deref().unwrap_or("rsa") {
        "rsa" => DkimAlgorithm::Rsa,
        "ed25519" => DkimAlgorithm::Ed25519,
        other => bail!("smtp.dkim.algorithm: '{other}' is not one of rsa, ed25519"),
    };
    let private_key = match (&dkim.private_key, &dkim.private_key_file) {
        (Some(key), None) => key.clone(),
        (None, Some(path)) => SecretString::from(
            std::fs::read_to_string(path)
                .with_context(|| format!("smtp.dkim.private_key_file: reading {}", path.display()))?,
        ),
        _ => bail!("smtp.dkim: give exactly one of private_key and private_key_file"),
    };
    let settings =
        DkimSettings { domain: dkim.domain.clone(), selector: dkim.selector.clone(), algorithm, private_key };
    DkimSigner::new(&settings).map_err(|e| anyhow::anyhow!("smtp.{e}"))?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variables in `pairs`, as `Config::layered` reads them.
    fn env<'a>(pairs: &'a [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    /// `file` (TOML text) under the variables in `pairs`.
    fn layered(file: &str, pairs: &[(&'static str, &'static str)]) -> anyhow::Result<Config> {
        Config::layered(Some((file, "test.toml")), env(pairs))
    }

    #[test]
    fn smtp_dkim_reads_a_key_and_names_what_is_wrong() {
        let section = |extra: &str| {
            format!(
                "email_transport = \"smtp\"\n[smtp]\nhost = \"smtp.example\"\n[smtp.dkim]\n\
                 domain = \"acme.example\"\nselector = \"s1\"\n{extra}"
            )
        };
        let key = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
        let inline = section(&format!("algorithm = \"ed25519\"\nprivate_key = \"{key}\"\n"));
        let config: Config = toml::from_str(&inline).unwrap();
        let settings = config.smtp_settings().unwrap().unwrap();
        assert_eq!(settings.dkim.unwrap().selector, "s1");

        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), key).unwrap();
        let from_file =
            section(&format!("algorithm = \"ed25519\"\nprivate_key_file = \"{}\"\n", file.path().display()));
        let config: Config = toml::from_str(&from_file).unwrap();
        assert!(config.smtp_settings().unwrap().unwrap().dkim.is_some());

        for (extra, named) in [
            ("private_key = \"not a key\"\n", "smtp.dkim private_key"),
            ("algorithm = \"dsa\"\nprivate_key = \"k\"\n", "smtp.dkim.algorithm"),
            ("", "private_key_file"),
        ] {
            let config: Config = toml::from_str(&section(extra)).unwrap();
            let err = format!("{:#}", config.validate().unwrap_err());
            assert!(err.contains(named), "{err}");
            assert!(!err.contains("not a key"), "{err}");
        }
    }

    #[test]
    fn defaults_are_the_embedded_mode() {
        let config = Config::default();
        assert!(config.database_url.starts_with("sqlite://"));
        assert!(config.amqp_url.is_none());
        assert_eq!(config.email_transport, EmailTransport::Sandbox);
        config.validate().unwrap();
    }

    #[test]
    fn file_then_environment() {
        let config = layered(
            "database_url = \"sqlite://x.sqlite\"\nnamespace = \"acme\"\n[smtp]\nhost = \"mail.example.org\"\npassword = \"hunter2\"\n",
            &[("MAHNWERK_DATABASE_URL", "postgres://u:pw@db/x"), ("MAHNWERK_SMTP_PORT", "2525")],
        )
        .unwrap();
        assert_eq!(config.database_url, "postgres://u:pw@db/x");
        assert_eq!(config.namespace, "acme");
        assert_eq!(config.smtp.as_ref().unwrap().port, Some(2525));
        let shown = config.describe() + &format!("{config:?}");
        assert!(!shown.contains("hunter2") && !shown.contains(":pw@"), "{shown}");
    }

    #[test]
    fn urls_lose_only_their_password() {
        assert_eq!(redact_url("amqp://guest:guest@host:5672/%2f"), "amqp://guest:***@host:5672/%2f");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
        assert_eq!(redact_url("sqlite://data/m.sqlite"), "sqlite://data/m.sqlite");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<Config>("databse_url = \"x\"").is_err());
        let mut config = Config::default();
        config.tenant_plans.insert("acme".into(), [(DebtorKind::Consumer, "nope".to_owned())].into());
        assert!(config.validate().is_err());
    }

    #[test]
    fn twilio_from_the_environment() {
        let missing_token = layered("", &[("MAHNWERK_TWILIO_ACCOUNT_SID", "AC1")]).err().unwrap();
        assert!(missing_token.to_string().contains("MAHNWERK_TWILIO_AUTH_TOKEN"), "{missing_token}");
        let config = layered(
            "",
            &[
                ("MAHNWERK_TWILIO_ACCOUNT_SID", "AC1"),
                ("MAHNWERK_TWILIO_AUTH_TOKEN", "sekrit"),
                ("MAHNWERK_TWILIO_FROM", "+15005550006"),
            ],
        )
        .unwrap();
        config.validate().unwrap();
        let shown = format!("{config:?}");
        assert!(shown.contains("twilio AC1") && !shown.contains("sekrit"), "{shown}");
        let no_sender =
            layered("", &[("MAHNWERK_TWILIO_ACCOUNT_SID", "AC1"), ("MAHNWERK_TWILIO_AUTH_TOKEN", "t")])
                .unwrap();
        assert!(format!("{:#}", no_sender.validate().unwrap_err()).contains("[twilio]"));
    }

    #[test]
    fn whatsapp_and_messenger_from_file_and_environment() {
        let config: Config = toml::from_str(
            "[whatsapp]\nphone_number_id = \"1065\"\naccess_token = \"wa-sekrit\"\n\
             [messenger]\npage_access_token = \"page-sekrit\"\npage_id = \"42\"\n",
        )
        .unwrap();
        config.validate().unwrap();
        let shown = format!("{config:?}");
        assert!(shown.contains("phone number id 1065") && shown.contains("page 42"), "{shown}");
        assert!(!shown.contains("sekrit"), "{shown}");
        let missing = layered("", &[("MAHNWERK_WHATSAPP_PHONE_NUMBER_ID", "1")]).err().unwrap();
        assert!(missing.to_string().contains("MAHNWERK_WHATSAPP_ACCESS_TOKEN"), "{missing}");
        let bad: Config = toml::from_str(
            "[whatsapp]\nphone_number_id = \"1\"\naccess_token = \"t\"\napi_version = \"25\"\n",
        )
        .unwrap();
        assert!(format!("{:#}", bad.validate().unwrap_err()).contains("[whatsapp]"));
        assert!(toml::from_str::<Config>("[messenger]\npage_token = \"x\"\n").is_err(), "unknown keys fail");
    }

    #[test]
    fn pingen_from_file_and_environment() {
        let config: Config = toml::from_str(
            "[pingen]\nclient_id = \"cid\"\nclient_secret = \"pingen-sekrit\"\norganisation_id = \"org-9\"\n\
             webhook_secret = \"hook-sekrit\"\ndelivery_product = \"fast\"\n",
        )
        .unwrap();
        config.validate().unwrap();
        let shown = format!("{config:?}");
        assert!(
            shown.contains("letter: pingen, organisation org-9 (https://api.pingen.com, fast"),
            "{shown}"
        );
        assert!(!shown.contains("sekrit"), "{shown}");
        assert!(format!("{:?}", Config::default()).contains("letter: sandbox"));

        let missing = layered("", &[("MAHNWERK_PINGEN_CLIENT_ID", "cid")]).err().unwrap();
        assert!(missing.to_string().contains("MAHNWERK_PINGEN_CLIENT_SECRET"), "{missing}");
        let missing =
            layered("", &[("MAHNWERK_PINGEN_CLIENT_ID", "cid"), ("MAHNWERK_PINGEN_CLIENT_SECRET", "s")])
                .err()
                .unwrap();
        assert!(missing.to_string().contains("MAHNWERK_PINGEN_ORGANISATION_ID"), "{missing}");
        let alone = layered("", &[("MAHNWERK_PINGEN_WEBHOOK_SECRET", "w")]).err().unwrap();
        assert!(alone.to_string().contains("[pingen]"), "{alone}");
        let config = layered(
            "",
            &[
                ("MAHNWERK_PINGEN_CLIENT_ID", "cid"),
                ("MAHNWERK_PINGEN_CLIENT_SECRET", "pingen-sekrit"),
                ("MAHNWERK_PINGEN_ORGANISATION_ID", "org-7"),
                ("MAHNWERK_PINGEN_WEBHOOK_SECRET", "hook-sekrit"),
            ],
        )
        .unwrap();
        config.validate().unwrap();
        let pingen = config.pingen.as_ref().unwrap();
        assert_eq!((pingen.organisation_id.as_str(), pingen.scope.as_str()), ("org-7", "letter"));
        assert!(pingen.webhook_secret.is_some());
        assert!(!format!("{config:?}").contains("sekrit"));

        for (line, named) in [
            ("print_spectrum = \"colour\"", "pingen.print_spectrum"),
            ("organisation_id = \" \"", "pingen.organisation_id"),
            ("api_url = \"api.pingen.com\"", "pingen.api_url"),
        ] {
            let mut text = format!("[pingen]\nclient_id = \"c\"\nclient_secret = \"s\"\n{line}\n");
            if !line.starts_with("organisation_id") {
                text.push_str("organisation_id = \"o\"\n");
            }
            let bad: Config = toml::from_str(&text).unwrap();
            let error = format!("{:#}", bad.validate().unwrap_err());
            assert!(error.contains("[pingen]") && error.contains(named), "{error}");
        }
        assert!(toml::from_str::<Config>(
            "[pingen]\nclient_id = \"c\"\nclient_secret = \"s\"\norganisation_id = \"o\"\nsecret = \"x\"\n"
        )
        .is_err());
    }

    #[test]
    fn distributed_mode_needs_a_links_secret() {
        for distributed in
            [("MAHNWERK_DATABASE_URL", "postgres://db/x"), ("MAHNWERK_AMQP_URL", "amqp://rabbit")]
        {
            let config = layered("", &[distributed]).unwrap();
            let error = format!("{:#}", config.validate().unwrap_err());
            assert!(error.contains("links.secret"), "{error}");
            let config =
                layered("", &[distributed, ("MAHNWERK_LINKS_SECRET", "sixteen characters+")]).unwrap();
            config.validate().unwrap();
            assert!(!format!("{config:?}").contains("sixteen characters+"));
        }
    }

    #[test]
    fn rate_limits_per_channel_are_checked_and_named() {
        let config: Config = toml::from_str("[rate_limits.sms]\nper_second = 5.0\nburst = 10\n").unwrap();
        config.validate().unwrap();
        assert_eq!(config.rate_limits[&ChannelKind::Sms].burst, 10);
        let bad: Config = toml::from_str("[rate_limits.email]\nper_second = 0.0\nburst = 1\n").unwrap();
        let error = bad.validate().unwrap_err().to_string();
        assert!(error.contains("rate_limits.email.per_second"), "{error}");
        assert!(toml::from_str::<Config>("[rate_limits.pigeon]\nper_second = 1.0\nburst = 1\n").is_err());
    }

    #[test]
    fn http_and_meta_settings() {
        let config: Config = toml::from_str(
            "[http]\nlisten = \"0.0.0.0:9090\"\npublic_url = \"https://dunning.example.org\"\n\
             [meta]\napp_secret = \"s3cret\"\nverify_token = \"tok3n\"\n",
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.http.listen.port(), 9090);
        let shown = format!("{config:?} {:?}", config.meta);
        assert!(!shown.contains("s3cret") && !shown.contains("tok3n"), "{shown}");
        assert_eq!(Config::default().http.listen.to_string(), "127.0.0.1:8080");
        let bad: Config = toml::from_str("[http]\npublic_url = \"dunning.example.org\"").unwrap();
        assert!(bad.validate().unwrap_err().to_string().contains("http.public_url"));
        let missing = layered("", &[("MAHNWERK_META_APP_SECRET", "x")]).err().unwrap();
        assert!(missing.to_string().contains("MAHNWERK_META_VERIFY_TOKEN"), "{missing}");
    }

    #[test]
    fn learning_settings_are_checked_and_named() {
        let config: Config = toml::from_str(
            "policy = \"fixed\"\n[learn]\nsnapshot_every = 10\nepsilon = 0.01\ncosts_eur = { letter = 0.95 }\n",
        )
        .unwrap();
        assert_eq!(config.policy, PolicyKind::Fixed);
        assert_eq!(config.learn.snapshot_every, 10);
        assert_eq!(config.learn.epsilon, 0.01);
        assert_eq!(config.learn.costs_eur[&ChannelKind::Letter], 0.95);
        config.validate().unwrap();
        assert!(toml::from_str::<Config>("policy = \"clever\"").is_err());
        assert!(toml::from_str::<Config>("[learn]\ncosts_eur = { pigeon = 1.0 }").is_err());
        for lambda in [-1.0, f64::NAN, 2e6] {
            let bad = Config { learn: LearnConfig { lambda, ..LearnConfig::default() }, ..Config::default() };
            assert!(bad.validate().unwrap_err().to_string().contains("learn.lambda"), "{lambda}");
        }
        for share in [0.0, -0.1, 1.5, f64::NAN] {
            let learn = LearnConfig { earlier_stage_share: share, ..LearnConfig::default() };
            let bad = Config { learn, ..Config::default() };
            assert!(bad.validate().unwrap_err().to_string().contains("learn.earlier_stage_share"), "{share}");
        }
        for epsilon in [-0.1, f64::NAN, 1.5] {
            let bad =
                Config { learn: LearnConfig { epsilon, ..LearnConfig::default() }, ..Config::default() };
            assert!(bad.validate().unwrap_err().to_string().contains("learn.epsilon"), "{epsilon}");
        }
        for lead in [-1.0, f64::NAN, 11.0] {
            let learn = LearnConfig { default_arm_lead: lead, ..LearnConfig::default() };
            let bad = Config { learn, ..Config::default() };
            assert!(bad.validate().unwrap_err().to_string().contains("learn.default_arm_lead"), "{lead}");
        }
        for hour_step in [0, 13] {
            let learn = LearnConfig { hour_step, ..LearnConfig::default() };
            let bad = Config { learn, ..Config::default() };
            assert!(bad.validate().unwrap_err().to_string().contains("learn.hour_step"), "{hour_step}");
        }
        assert_eq!(layered("", &[("MAHNWERK_POLICY", "fixed")]).unwrap().policy, PolicyKind::Fixed);
        let bad = layered("", &[("MAHNWERK_POLICY", "x")]).err().unwrap().to_string();
        assert!(bad.contains("policy") && bad.contains("MAHNWERK_POLICY"), "{bad}");
    }
}
