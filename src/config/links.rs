//! `[links]`: where the pay-page lives and how pay and unsubscribe links are signed.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The secret used when none is configured, in the embedded mode only: links signed with it are
/// forgeable by anyone who read this file, which is fine for a sandbox and nothing else.
/// [`LinksConfig::validate`] refuses it with PostgreSQL or RabbitMQ.
pub(crate) const DEV_SECRET: &str = "mahnwerk-embedded-dev-secret-do-not-use-in-production";

/// `[links]`: where the pay-page lives and how links are signed.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinksConfig {
    /// Scheme, host and optional path prefix of the pay-page, e.g. `https://pay.acme.example`.
    /// Default `http://localhost:8080`.
    pub base_url: String,
    /// The HMAC key. Required with PostgreSQL or RabbitMQ; the embedded mode falls back to a fixed
    /// development secret.
    pub secret: Option<SecretString>,
    /// Days after the send until a pay-link expires. Default 60, at least 1.
    pub pay_link_days: u32,
    /// Days after the send until an unsubscribe link expires. Default 730: an old email must
    /// still let its reader opt out.
    pub unsubscribe_link_days: u32,
}

impl Default for LinksConfig {
    fn default() -> Self {
        Self {
            base_url: "http://localhost:8080".to_owned(),
            secret: None,
            pay_link_days: 60,
            unsubscribe_link_days: 730,
        }
    }
}

impl LinksConfig {
    /// Checks the settings; `production` is true when the service talks to PostgreSQL or RabbitMQ,
    /// where a missing secret would make every link forgeable.
    pub fn validate(&self, production: bool) -> anyhow::Result<()> {
        let base = self.base_url.trim_end_matches('/');
        let host = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://"));
        if host.is_none_or(|h| h.is_empty() || h.contains(char::is_whitespace)) {
            anyhow::bail!("links.base_url: '{}' is not a URL like https://pay.example.org", self.base_url);
        }
        if self.pay_link_days == 0 {
            anyhow::bail!("links.pay_link_days must be at least 1");
        }
        if self.unsubscribe_link_days == 0 {
            anyhow::bail!("links.unsubscribe_link_days must be at least 1");
        }
        match &self.secret {
            Some(secret) if secret.expose_secret().len() < 16 => {
                anyhow::bail!("links.secret must be at least 16 characters")
            }
            None if production => anyhow::bail!(
                "links.secret (MAHNWERK_LINKS_SECRET) must be set with PostgreSQL or RabbitMQ: it signs every \
                 pay and unsubscribe link"
            ),
            _ => Ok(()),
        }
    }
}
