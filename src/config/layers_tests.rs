//! Each variable overrides one key and nothing else; every documented variable still sets its
//! key; a bad value names the key and where it came from.

use super::environment_keys;
use crate::config::Config;
use secrecy::{ExposeSecret, SecretString};

/// A file with every section a variable can reach, each with a key no variable sets.
const FILE: &str = r#"
namespace = "from-file"
[smtp]
host = "mail.file.example"
timeout_secs = 9
[twilio]
account_sid = "AC-file"
auth_token = "token-file"
from = "+15005550006"
status_callback = "https://file.example/twilio"
[whatsapp]
phone_number_id = "wa-file"
access_token = "wa-token-file"
api_version = "v24.0"
[messenger]
page_access_token = "page-token-file"
page_id = "page-file"
api_version = "v23.0"
[pingen]
client_id = "pingen-file"
client_secret = "pingen-secret-file"
organisation_id = "org-file"
delivery_product = "fast"
[meta]
app_secret = "meta-file"
verify_token = "verify-file"
[stripe]
secret_key = "sk_test_file"
webhook_secret = "whsec_file"
[links]
pay_link_days = 30
[learn]
snapshot_every = 10
[pay]
promise_grace_days = 5
"#;

fn layered(file: &str, pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
    Config::layered(Some((file, "test.toml")), |name| {
        pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    })
}

/// The keys of [`FILE`] that no variable sets, as read back from a configuration.
fn file_only_keys(config: &Config) -> Vec<String> {
    vec![
        config.twilio.as_ref().unwrap().status_callback.clone().unwrap_or_default(),
        config.pingen.as_ref().unwrap().delivery_product.clone(),
        config.whatsapp.as_ref().unwrap().api_version.clone(),
        config.messenger.as_ref().unwrap().api_version.clone(),
        config.smtp.as_ref().unwrap().timeout_secs.unwrap_or_default().to_string(),
        config.links.pay_link_days.to_string(),
        config.learn.snapshot_every.to_string(),
        config.pay.promise_grace_days.to_string(),
    ]
}

/// A value the variable can take, and how it reads back.
fn sample(name: &str) -> (&'static str, &'static str) {
    match name {
        "MAHNWERK_SMTP_PORT" => ("2525", "2525"),
        "MAHNWERK_HTTP_LISTEN" => ("0.0.0.0:9099", "0.0.0.0:9099"),
        "MAHNWERK_OBSERVE_LISTEN" => ("127.0.0.1:9464", "127.0.0.1:9464"),
        "MAHNWERK_POLICY" => ("fixed", "fixed"),
        "MAHNWERK_LEARN_SEED" => ("42", "42"),
        "MAHNWERK_STRIPE_PAYMENT_METHOD_TYPES" => ("card, paypal", "card paypal"),
        "MAHNWERK_STRIPE_WEBHOOK_TOLERANCE_SECS" => ("120", "120"),
        "MAHNWERK_STRIPE_TIMEOUT_SECS" => ("11", "11"),
        "MAHNWERK_PAY_INSTALMENT_REMINDER_DAYS" => ("5", "5"),
        "MAHNWERK_INTAKE_MAX_IN_FLIGHT_MIB" => ("16", "16"),
        _ => ("set-by-env", "set-by-env"),
    }
}

/// The value of `key` in `config`, as text.
fn read_key(config: &Config, key: &str) -> String {
    let secret = |s: &SecretString| s.expose_secret().to_owned();
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let smtp = || config.smtp.as_ref().unwrap();
    let twilio = || config.twilio.as_ref().unwrap();
    let whatsapp = || config.whatsapp.as_ref().unwrap();
    let messenger = || config.messenger.as_ref().unwrap();
    let pingen = || config.pingen.as_ref().unwrap();
    let meta = || config.meta.as_ref().unwrap();
    let stripe = || config.stripe.as_ref().unwrap();
    match key {
        "database_url" => config.database_url.clone(),
        "amqp_url" => config.amqp_url.as_ref().map(secret).unwrap_or_default(),
        "namespace" => config.namespace.clone(),
        "outbox_dir" => config.outbox_dir.display().to_string(),
        "default_sender" => config.default_sender.clone(),
        "policy" => config.policy.as_str().to_owned(),
        "templates_dir" => config.templates_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default(),
        "smtp.host" => smtp().host.clone(),
        "smtp.port" => smtp().port.map(|p| p.to_string()).unwrap_or_default(),
        "smtp.security" => text(&smtp().security),
        "smtp.username" => text(&smtp().username),
        "smtp.password" => smtp().password.as_ref().map(secret).unwrap_or_default(),
        "twilio.account_sid" => twilio().account_sid.clone(),
        "twilio.auth_token" => secret(&twilio().auth_token),
        "twilio.from" => text(&twilio().from),
        "twilio.messaging_service_sid" => text(&twilio().messaging_service_sid),
        "whatsapp.phone_number_id" => whatsapp().phone_number_id.clone(),
        "whatsapp.access_token" => secret(&whatsapp().access_token),
        "messenger.page_access_token" => secret(&messenger().page_access_token),
        "messenger.page_id" => messenger().page_id.clone(),
        "pingen.client_id" => pingen().client_id.clone(),
        "pingen.client_secret" => secret(&pingen().client_secret),
        "pingen.organisation_id" => pingen().organisation_id.clone(),
        "pingen.webhook_secret" => pingen().webhook_secret.as_ref().map(secret).unwrap_or_default(),
        "http.listen" => config.http.listen.to_string(),
        "http.public_url" => text(&config.http.public_url),
        "observe.listen" => config.observe.listen.map(|a| a.to_string()).unwrap_or_default(),
        "intake.max_in_flight_mib" => config.intake.max_in_flight_mib.to_string(),
        "meta.app_secret" => secret(&meta().app_secret),
        "meta.verify_token" => secret(&meta().verify_token),
        "links.secret" => config.links.secret.as_ref().map(secret).unwrap_or_default(),
        "links.base_url" => config.links.base_url.clone(),
        "learn.seed" => config.learn.seed.map(|s| s.to_string()).unwrap_or_default(),
        "stripe.secret_key" => secret(&stripe().secret_key),
        "stripe.webhook_secret" => secret(&stripe().webhook_secret),
        "stripe.api_base" => stripe().api_base.clone(),
        "stripe.payment_method_types" => stripe().payment_method_types.join(" "),
        "stripe.webhook_tolerance_secs" => stripe().webhook_tolerance_secs.to_string(),
        "stripe.timeout_secs" => stripe().timeout_secs.to_string(),
        "pay.instalment_reminder_days" => config.pay.instalment_reminder_days.to_string(),
        other => panic!("no reader for {other}: add one with the variable"),
    }
}

#[test]
fn every_variable_sets_its_key_and_nothing_else() {
    let from_file = layered(FILE, &[]).unwrap();
    let kept = file_only_keys(&from_file);
    let mut count = 0;
    for (name, key) in environment_keys() {
        let (value, reads_as) = sample(name);
        let config = layered(FILE, &[(name, value)]).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(read_key(&config, key), reads_as, "{name} sets {key}");
        assert_ne!(read_key(&from_file, key), reads_as, "{name}: the file already had the value");
        assert_eq!(file_only_keys(&config), kept, "{name} changed a key it does not name");
        for (other_name, other) in environment_keys().filter(|(n, _)| *n != name) {
            assert_eq!(
                read_key(&config, other),
                read_key(&from_file, other),
                "{name} changed {other_name}'s key"
            );
        }
        count += 1;
    }
    assert!(count >= 37, "{count} variables");
}

#[test]
fn one_variable_keeps_the_rest_of_its_section() {
    let config = layered(FILE, &[("MAHNWERK_TWILIO_ACCOUNT_SID", "AC-env")]).unwrap();
    let twilio = config.twilio.as_ref().unwrap();
    assert_eq!(twilio.account_sid, "AC-env");
    assert_eq!(twilio.status_callback.as_deref(), Some("https://file.example/twilio"));
    assert_eq!(twilio.auth_token.expose_secret(), "token-file");

    let config = layered(FILE, &[("MAHNWERK_PINGEN_CLIENT_ID", "pingen-env")]).unwrap();
    assert_eq!(config.pingen.as_ref().unwrap().delivery_product, "fast");

    let config = layered(
        FILE,
        &[
            ("MAHNWERK_WHATSAPP_PHONE_NUMBER_ID", "wa-env"),
            ("MAHNWERK_MESSENGER_PAGE_ACCESS_TOKEN", "pt-env"),
        ],
    )
    .unwrap();
    let (whatsapp, messenger) = (config.whatsapp.as_ref().unwrap(), config.messenger.as_ref().unwrap());
    assert_eq!((whatsapp.phone_number_id.as_str(), whatsapp.api_version.as_str()), ("wa-env", "v24.0"));
    assert_eq!(whatsapp.access_token.expose_secret(), "wa-token-file");
    assert_eq!((messenger.page_id.as_str(), messenger.api_version.as_str()), ("page-file", "v23.0"));
    assert_eq!(messenger.page_access_token.expose_secret(), "pt-env");
    config.validate().unwrap();

    let config = layered(FILE, &[("MAHNWERK_PAY_INSTALMENT_REMINDER_DAYS", "7")]).unwrap();
    assert_eq!((config.pay.instalment_reminder_days, config.pay.promise_grace_days), (7, 5));
    assert_eq!(config.pay.instalment_rules().reminder_days, 7);
}

#[test]
fn an_smtp_host_from_the_environment_turns_email_over_to_smtp() {
    let config = layered("[smtp]\nhost = \"a\"\nport = 465\n", &[("MAHNWERK_SMTP_HOST", "b")]).unwrap();
    assert_eq!(config.email_transport, crate::config::EmailTransport::Smtp);
    let smtp = config.smtp.as_ref().unwrap();
    assert_eq!((smtp.host.as_str(), smtp.port), ("b", Some(465)));
}

#[test]
fn bad_values_name_the_key_and_where_it_came_from() {
    for (name, value, key) in [
        ("MAHNWERK_SMTP_PORT", "smtp", "smtp.port"),
        ("MAHNWERK_HTTP_LISTEN", "everywhere", "http.listen"),
        ("MAHNWERK_LEARN_SEED", "-1", "learn.seed"),
        ("MAHNWERK_POLICY", "clever", "policy"),
    ] {
        let error = layered(FILE, &[(name, value)]).err().unwrap().to_string();
        assert!(error.contains(key) && error.contains(name), "{name}: {error}");
    }
    let error = layered("[links]\npay_link_days = \"soon\"\n", &[]).err().unwrap().to_string();
    assert!(error.contains("links.pay_link_days") && error.contains("test.toml"), "{error}");
    let error = layered("[smtp]\nport = 25\n", &[("MAHNWERK_SMTP_USERNAME", "u")]).err().unwrap().to_string();
    assert!(error.contains("smtp.host is missing") && error.contains("MAHNWERK_SMTP_HOST"), "{error}");
}

#[test]
fn the_readme_documents_every_variable_and_no_other() {
    let readme = include_str!("../../README.md");
    let section = &readme[readme.find("## Configuration").unwrap()..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |end| end + 3)];
    let known: Vec<&str> = environment_keys().map(|(name, _)| name).collect();
    let mut documented = 0;
    for word in section.split(|c: char| !(c.is_ascii_uppercase() || c == '_')) {
        // The log format is read before any configuration (`observe::init_logs`).
        if word.starts_with("MAHNWERK_") && word != "MAHNWERK_CONFIG" && word != "MAHNWERK_LOG_FORMAT" {
            assert!(known.contains(&word), "the README names {word}, which sets nothing");
            documented += 1;
        }
    }
    assert!(documented > 0);
}
