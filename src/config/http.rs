//! The configuration of the `api` role's HTTP server (`[http]`) and of Meta's webhooks (`[meta]`).

use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;

/// `[http]`: where the API listens, and the URL providers call it by.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// The address to bind; default `127.0.0.1:8080` (port 0 picks a free one).
    pub listen: SocketAddr,
    /// The public base URL providers call, e.g. `https://dunning.example.org`, when a proxy sits
    /// in front: Twilio signs the full URL it called. Unset: `http://` and the request's `Host`.
    pub public_url: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { listen: SocketAddr::from(([127, 0, 0, 1], 8080)), public_url: None }
    }
}

impl HttpConfig {
    /// Listening on a free port of 127.0.0.1, as tests and side-by-side processes want.
    pub fn any_port() -> Self {
        Self { listen: SocketAddr::from(([127, 0, 0, 1], 0)), public_url: None }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.public_url {
            let ok = (url.starts_with("https://") || url.starts_with("http://")) && !url.contains('?');
            anyhow::ensure!(
                ok,
                "http.public_url: '{url}' is not a base URL like https://dunning.example.org"
            );
        }
        Ok(())
    }
}

/// `[meta]`: the Meta app's webhook secrets, for WhatsApp Cloud API and Messenger webhooks.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    /// The app secret Meta signs webhook bodies with (`X-Hub-Signature-256`).
    pub app_secret: SecretString,
    /// The token configured in the app's webhook settings, echoed in the subscription handshake.
    pub verify_token: SecretString,
}

impl std::fmt::Debug for MetaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetaConfig { app_secret: [redacted], verify_token: [redacted] }")
    }
}
