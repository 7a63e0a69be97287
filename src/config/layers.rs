//! The configuration's layers merged key by key through `figment`: the built-in defaults (the
//! structs' `Default`), the TOML file, then the `MAHNWERK_*` variables. Each variable sets exactly
//! one key (listed in [`ENVIRONMENT`]), so setting `MAHNWERK_TWILIO_ACCOUNT_SID` changes
//! `twilio.account_sid` and keeps every other key the file's `[twilio]` has.
//!
//! The names are a table rather than figment's `Env::split("_")`, because the documented names
//! do not split into keys (`MAHNWERK_TWILIO_ACCOUNT_SID` is `twilio.account_sid`, not
//! `twilio.account.sid`). Errors name the key and the layer it came from.

use figment::error::Kind;
use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::DeserializeOwned;

/// How a variable's text becomes the key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The text as it is (numbers and booleans are read from it where the key wants one).
    Text,
    /// Comma-separated items, blanks dropped: `card, sepa_debit`.
    List,
}

/// Every environment variable the configuration reads, the key it sets, and its shape.
const ENVIRONMENT: &[(&str, &str, Shape)] = &[
    ("MAHNWERK_DATABASE_URL", "database_url", Shape::Text),
    ("MAHNWERK_AMQP_URL", "amqp_url", Shape::Text),
    ("MAHNWERK_NAMESPACE", "namespace", Shape::Text),
    ("MAHNWERK_OUTBOX_DIR", "outbox_dir", Shape::Text),
    ("MAHNWERK_DEFAULT_SENDER", "default_sender", Shape::Text),
    ("MAHNWERK_POLICY", "policy", Shape::Text),
    ("MAHNWERK_TEMPLATES_DIR", "templates_dir", Shape::Text),
    ("MAHNWERK_SMTP_HOST", "smtp.host", Shape::Text),
    ("MAHNWERK_SMTP_PORT", "smtp.port", Shape::Text),
    ("MAHNWERK_SMTP_SECURITY", "smtp.security", Shape::Text),
    ("MAHNWERK_SMTP_USERNAME", "smtp.username", Shape::Text),
    ("MAHNWERK_SMTP_PASSWORD", "smtp.password", Shape::Text),
    ("MAHNWERK_TWILIO_ACCOUNT_SID", "twilio.account_sid", Shape::Text),
    ("MAHNWERK_TWILIO_AUTH_TOKEN", "twilio.auth_token", Shape::Text),
    ("MAHNWERK_TWILIO_FROM", "twilio.from", Shape::Text),
    ("MAHNWERK_TWILIO_MESSAGING_SERVICE_SID", "twilio.messaging_service_sid", Shape::Text),
    ("MAHNWERK_WHATSAPP_PHONE_NUMBER_ID", "whatsapp.phone_number_id", Shape::Text),
    ("MAHNWERK_WHATSAPP_ACCESS_TOKEN", "whatsapp.access_token", Shape::Text),
    ("MAHNWERK_MESSENGER_PAGE_ACCESS_TOKEN", "messenger.page_access_token", Shape::Text),
    ("MAHNWERK_MESSENGER_PAGE_ID", "messenger.page_id", Shape::Text),
    ("MAHNWERK_PINGEN_CLIENT_ID", "pingen.client_id", Shape::Text),
    ("MAHNWERK_PINGEN_CLIENT_SECRET", "pingen.client_secret", Shape::Text),
    ("MAHNWERK_PINGEN_ORGANISATION_ID", "pingen.organisation_id", Shape::Text),
    ("MAHNWERK_PINGEN_WEBHOOK_SECRET", "pingen.webhook_secret", Shape::Text),
    ("MAHNWERK_HTTP_LISTEN", "http.listen", Shape::Text),
    ("MAHNWERK_HTTP_PUBLIC_URL", "http.public_url", Shape::Text),
    ("MAHNWERK_OBSERVE_LISTEN", "observe.listen", Shape::Text),
    ("MAHNWERK_INTAKE_MAX_IN_FLIGHT_MIB", "intake.max_in_flight_mib", Shape::Text),
    ("MAHNWERK_META_APP_SECRET", "meta.app_secret", Shape::Text),
    ("MAHNWERK_META_VERIFY_TOKEN", "meta.verify_token", Shape::Text),
    ("MAHNWERK_LINKS_SECRET", "links.secret", Shape::Text),
    ("MAHNWERK_LINKS_BASE_URL", "links.base_url", Shape::Text),
    ("MAHNWERK_LEARN_SEED", "learn.seed", Shape::Text),
    ("MAHNWERK_STRIPE_SECRET_KEY", "stripe.secret_key", Shape::Text),
    ("MAHNWERK_STRIPE_WEBHOOK_SECRET", "stripe.webhook_secret", Shape::Text),
    ("MAHNWERK_STRIPE_API_BASE", "stripe.api_base", Shape::Text),
    ("MAHNWERK_STRIPE_PAYMENT_METHOD_TYPES", "stripe.payment_method_types", Shape::List),
    ("MAHNWERK_STRIPE_WEBHOOK_TOLERANCE_SECS", "stripe.webhook_tolerance_secs", Shape::Text),
    ("MAHNWERK_STRIPE_TIMEOUT_SECS", "stripe.timeout_secs", Shape::Text),
    ("MAHNWERK_PAY_INSTALMENT_REMINDER_DAYS", "pay.instalment_reminder_days", Shape::Text),
];

/// `MAHNWERK_SMTP_HOST` also turns email over to SMTP, as the README has always promised: an
/// SMTP host nobody sends through would be a surprise.
const SMTP_HOST_SETS_TRANSPORT: (&str, &str, &str) = ("MAHNWERK_SMTP_HOST", "email_transport", "smtp");

/// The environment variables the configuration reads and the keys they set, for the docs and
/// the tests.
pub fn environment_keys() -> impl Iterator<Item = (&'static str, &'static str)> {
    ENVIRONMENT.iter().map(|(name, key, _)| (*name, *key))
}

/// The variables of [`ENVIRONMENT`] that are set, read through `var` (so tests need not touch
/// the process environment), as one figment layer.
struct EnvironmentLayer {
    set: Vec<(&'static str, &'static str, Value)>,
}

impl EnvironmentLayer {
    fn read(var: impl Fn(&str) -> Option<String>) -> Self {
        let mut set = Vec::new();
        for (name, key, shape) in ENVIRONMENT {
            let Some(text) = var(name) else { continue };
            let value = match shape {
                Shape::Text => Value::from(text),
                Shape::List => Value::from(
                    text.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>(),
                ),
            };
            set.push((*name, *key, value));
            let (trigger, implied_key, implied) = SMTP_HOST_SETS_TRANSPORT;
            if *name == trigger {
                set.push((trigger, implied_key, Value::from(implied)));
            }
        }
        Self { set }
    }

    /// The variable that set `key`, if any.
    fn variable_of(&self, key: &str) -> Option<&'static str> {
        self.set.iter().find(|(_, set, _)| *set == key).map(|(name, _, _)| *name)
    }

    /// A variable that set a key in the table `section`, if any.
    fn variable_in(&self, section: &str) -> Option<&'static str> {
        let under = |key: &str| key.strip_prefix(section).is_some_and(|rest| rest.starts_with('.'));
        self.set.iter().find(|(_, key, _)| under(key)).map(|(name, _, _)| *name)
    }
}

impl Provider for EnvironmentLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment")
    }

    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        let mut root = Dict::new();
        for (_, key, value) in &self.set {
            insert(&mut root, key, value.clone());
        }
        Ok(Map::from([(Profile::Default, root)]))
    }
}

/// Puts `value` at the dotted `key`, making the tables on the way.
fn insert(dict: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            dict.insert(key.to_owned(), value);
        }
        Some((table, rest)) => {
            let entry = dict.entry(table.to_owned()).or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// The file's text (named `origin` in errors), then the environment, merged key by key and read
/// into `T`, whose own `Default` supplies whatever neither layer sets.
pub fn merge<T: DeserializeOwned>(
    file: Option<(&str, &str)>,
    var: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<T> {
    let environment = EnvironmentLayer::read(var);
    let mut figment = Figment::new();
    if let Some((text, _)) = file {
        figment = figment.merge(Toml::string(text));
    }
    let origin = file.map_or("the defaults", |(_, origin)| origin);
    // Lossy: a variable is text, and `MAHNWERK_SMTP_PORT=2525` must fill a number.
    figment.merge(&environment).extract_lossy().map_err(|error| explain(error, &environment, origin))
}

/// figment's errors, each said with the key first and where its value came from: the variable
/// that set it, or the file.
fn explain(error: figment::Error, environment: &EnvironmentLayer, origin: &str) -> anyhow::Error {
    let lines: Vec<String> =
        error.into_iter().map(|error| explain_one(&error, environment, origin)).collect();
    anyhow::anyhow!(lines.join("\n"))
}

fn explain_one(error: &figment::Error, environment: &EnvironmentLayer, origin: &str) -> String {
    let section = error.path.join(".");
    if let Kind::MissingField(field) = &error.kind {
        let key = if section.is_empty() { field.to_string() } else { format!("{section}.{field}") };
        let variable = ENVIRONMENT.iter().find(|(_, k, _)| *k == key).map(|(name, _, _)| *name);
        let table = if section.is_empty() { String::new() } else { format!("the file's [{section}]") };
        let place = match (table.is_empty(), variable) {
            (false, Some(name)) => format!("{table} or {name}"),
            (false, None) => table,
            (true, Some(name)) => format!("the file or {name}"),
            (true, None) => "the file".to_owned(),
        };
        let why =
            environment.variable_in(&section).map(|name| format!(" ({name} is set)")).unwrap_or_default();
        return format!("{key} is missing{why}: set it in {place}");
    }
    let from = match environment.variable_of(&section) {
        Some(name) if !section.is_empty() => format!(" (from {name})"),
        _ => format!(" (in {origin})"),
    };
    if section.is_empty() {
        format!("{}{from}", error.kind)
    } else {
        format!("{section}: {}{from}", error.kind)
    }
}

#[cfg(test)]
#[path = "layers_tests.rs"]
mod tests;
