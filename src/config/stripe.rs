//! `[stripe]`: card, wallet and SEPA Direct Debit payments on the pay-page through Stripe
//! Checkout, and the webhook that reports them. Without this section the pay-page offers no card
//! payment and `POST /webhooks/stripe` answers 404.

use anyhow::bail;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// `[stripe]`: the account's keys and what its Checkout sessions offer.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeConfig {
    /// The secret API key (`sk_live_…`, `sk_test_…`, or a restricted `rk_…` key that may write
    /// Checkout Sessions).
    pub secret_key: SecretString,
    /// The signing secret of the webhook endpoint (`whsec_…`), shown in Stripe's dashboard.
    pub webhook_secret: SecretString,
    /// Where Stripe's API is; default `https://api.stripe.com` (tests point it at a stand-in).
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The payment methods a session offers, as Stripe names them; default `["card"]`, e.g.
    /// `["card", "sepa_debit", "paypal"]`. Each must be enabled in the Stripe account.
    #[serde(default = "default_payment_method_types")]
    pub payment_method_types: Vec<String>,
    /// How far a webhook's signed timestamp may be from now, in seconds; default 300 (Stripe's
    /// own), 1 to 3600. Older deliveries are refused as possible replays.
    #[serde(default = "default_tolerance")]
    pub webhook_tolerance_secs: u64,
    /// Limit on one call to Stripe's API, in seconds; default 20, 1 to 120.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_api_base() -> String {
    "https://api.stripe.com".to_owned()
}

fn default_payment_method_types() -> Vec<String> {
    vec!["card".to_owned()]
}

fn default_tolerance() -> u64 {
    300
}

fn default_timeout() -> u64 {
    20
}

impl StripeConfig {
    /// The two secrets with every other setting at its default.
    pub fn new(secret_key: SecretString, webhook_secret: SecretString) -> Self {
        Self {
            secret_key,
            webhook_secret,
            api_base: default_api_base(),
            payment_method_types: default_payment_method_types(),
            webhook_tolerance_secs: default_tolerance(),
            timeout_secs: default_timeout(),
        }
    }

    /// Checks every field; errors name it as `stripe.<field>` and never show a secret.
    pub fn validate(&self) -> anyhow::Result<()> {
        let key = self.secret_key.expose_secret();
        if !(key.starts_with("sk_") || key.starts_with("rk_")) || key.len() < 8 {
            bail!("stripe.secret_key must be a secret API key (sk_… or rk_…); a publishable pk_… key cannot create sessions");
        }
        let hook = self.webhook_secret.expose_secret();
        if !hook.starts_with("whsec_") || hook.len() < 10 {
            bail!("stripe.webhook_secret must be the endpoint's signing secret (whsec_…)");
        }
        let base = self.api_base.trim_end_matches('/');
        let host = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://"));
        if host.is_none_or(|h| h.is_empty() || h.contains(['?', '#', ' '])) {
            bail!("stripe.api_base: '{}' is not a base URL like https://api.stripe.com", self.api_base);
        }
        if self.payment_method_types.is_empty() {
            bail!("stripe.payment_method_types must name at least one method, e.g. [\"card\"]");
        }
        for method in &self.payment_method_types {
            if method.is_empty() || !method.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                bail!("stripe.payment_method_types: '{method}' is not a Stripe method name like card or sepa_debit");
            }
        }
        if !(1..=3600).contains(&self.webhook_tolerance_secs) {
            bail!(
                "stripe.webhook_tolerance_secs must be between 1 and 3600, got {}",
                self.webhook_tolerance_secs
            );
        }
        if !(1..=120).contains(&self.timeout_secs) {
            bail!("stripe.timeout_secs must be between 1 and 120, got {}", self.timeout_secs);
        }
        Ok(())
    }

    /// A line for `Config::describe`, without secrets.
    pub fn describe(&self) -> String {
        let mode = if self.secret_key.expose_secret().contains("_live_") { "live" } else { "test" };
        format!("checkout ({mode}, {}, {})", self.api_base, self.payment_method_types.join(" "))
    }
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StripeConfig {{ {}, keys: [redacted] }}", self.describe())
    }
}

impl StripeConfig {
    /// Where Stripe's checkout pages are, for the pay-page's `form-action`: Stripe's own host, or
    /// the stand-in's origin when `api_base` points elsewhere (a test double serves both).
    pub fn checkout_origin(&self) -> String {
        if self.api_base == default_api_base() {
            return "https://checkout.stripe.com".to_owned();
        }
        let scheme_end = self.api_base.find("://").map_or(0, |i| i + 3);
        let host_end = self.api_base[scheme_end..].find('/').map_or(self.api_base.len(), |i| scheme_end + i);
        self.api_base[..host_end].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn from_file_with_defaults_and_no_secret_shown() {
        let config: Config =
            toml::from_str("[stripe]\nsecret_key = \"sk_test_sekrit\"\nwebhook_secret = \"whsec_sekrit\"\n")
                .unwrap();
        config.validate().unwrap();
        let stripe = config.stripe.as_ref().unwrap();
        assert_eq!(stripe.api_base, "https://api.stripe.com");
        assert_eq!(stripe.payment_method_types, ["card"]);
        assert_eq!((stripe.webhook_tolerance_secs, stripe.timeout_secs), (300, 20));
        let shown = format!("{config:?} {stripe:?}");
        assert!(shown.contains("stripe: checkout (test, https://api.stripe.com, card)"), "{shown}");
        assert!(!shown.contains("sekrit"), "{shown}");
        assert!(Config::default().stripe.is_none(), "no section: no card payments");
        assert!(toml::from_str::<Config>(
            "[stripe]\nsecret_key = \"sk_test_x\"\nwebhook_secret = \"whsec_x\"\napi_key = \"x\"\n"
        )
        .is_err());
    }

    #[test]
    fn bad_values_name_the_field() {
        for (line, named) in [
            ("secret_key = \"pk_test_1234\"", "stripe.secret_key"),
            ("webhook_secret = \"sekrit-1234\"", "stripe.webhook_secret"),
            ("api_base = \"api.stripe.com\"", "stripe.api_base"),
            ("payment_method_types = []", "stripe.payment_method_types"),
            ("payment_method_types = [\"card\", \"SEPA debit\"]", "stripe.payment_method_types"),
            ("webhook_tolerance_secs = 0", "stripe.webhook_tolerance_secs"),
            ("timeout_secs = 0", "stripe.timeout_secs"),
        ] {
            let mut text = format!("[stripe]\n{line}\n");
            if !line.starts_with("secret_key") {
                text.push_str("secret_key = \"sk_test_sekrit\"\n");
            }
            if !line.starts_with("webhook_secret") {
                text.push_str("webhook_secret = \"whsec_sekrit\"\n");
            }
            let config: Config = toml::from_str(&text).unwrap();
            let error = format!("{:#}", config.validate().unwrap_err());
            assert!(error.contains(named), "{line}: {error}");
            assert!(!error.contains("sekrit") && !error.contains("1234"), "{error}");
        }
    }

    #[test]
    fn from_the_environment() {
        let layered = |file: Option<&str>, pairs: &'static [(&'static str, &'static str)]| {
            Config::layered(file.map(|text| (text, "test.toml")), env(pairs))
        };
        let missing = layered(None, &[("MAHNWERK_STRIPE_SECRET_KEY", "sk_test_1")]).err().unwrap();
        assert!(missing.to_string().contains("MAHNWERK_STRIPE_WEBHOOK_SECRET"), "{missing}");
        let alone = layered(None, &[("MAHNWERK_STRIPE_API_BASE", "http://127.0.0.1:1")]).err().unwrap();
        assert!(alone.to_string().contains("[stripe]"), "{alone}");
        let config = layered(
            None,
            &[
                ("MAHNWERK_STRIPE_SECRET_KEY", "sk_live_sekrit"),
                ("MAHNWERK_STRIPE_WEBHOOK_SECRET", "whsec_sekrit"),
                ("MAHNWERK_STRIPE_API_BASE", "http://127.0.0.1:12111"),
                ("MAHNWERK_STRIPE_PAYMENT_METHOD_TYPES", "card, sepa_debit,paypal"),
                ("MAHNWERK_STRIPE_WEBHOOK_TOLERANCE_SECS", "120"),
            ],
        )
        .unwrap();
        config.validate().unwrap();
        let stripe = config.stripe.as_ref().unwrap();
        assert_eq!(stripe.payment_method_types, ["card", "sepa_debit", "paypal"]);
        assert_eq!(
            (stripe.api_base.as_str(), stripe.webhook_tolerance_secs),
            ("http://127.0.0.1:12111", 120)
        );
        assert!(format!("{config:?}").contains("stripe: checkout (live"));
        let file = "[stripe]\nsecret_key = \"sk_test_a\"\nwebhook_secret = \"whsec_a\"\ntimeout_secs = 7\n";
        let overridden = layered(Some(file), &[("MAHNWERK_STRIPE_SECRET_KEY", "sk_test_b")]).unwrap();
        let stripe = overridden.stripe.unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&stripe.secret_key), "sk_test_b");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&stripe.webhook_secret), "whsec_a");
        assert_eq!(stripe.timeout_secs, 7, "the file's other keys stay");
        let soon =
            layered(Some(file), &[("MAHNWERK_STRIPE_TIMEOUT_SECS", "soon")]).err().unwrap().to_string();
        assert!(
            soon.contains("stripe.timeout_secs") && soon.contains("MAHNWERK_STRIPE_TIMEOUT_SECS"),
            "{soon}"
        );
    }
}
