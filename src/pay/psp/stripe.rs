//! Stripe Checkout: one Checkout Session per attempt to pay (`POST /v1/checkout/sessions`,
//! form-encoded, authenticated with the secret key as a bearer token), the debtor redirected to
//! the session's hosted page. The session carries the tenant, invoice and reminder in its
//! `metadata` (and the reminder as `client_reference_id`), which the webhook reads back
//! ([`super::stripe_events`]); the `Idempotency-Key` header makes a retried call of the same
//! attempt return the same session instead of a second one.
//!
//! Amounts go to Stripe in the currency's minor units, computed exactly ([`super::minor_units`]).

use super::{minor_units, Checkout, CheckoutRequest, Psp, PspError};
use crate::config::stripe::StripeConfig;
use async_trait::async_trait;
use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

const PROVIDER: &str = "stripe";

/// Opening the connection takes at most this long; a Stripe that does not answer the handshake
/// in this time is treated as down, not slow.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The locales Stripe Checkout shows its page in (its `locale` parameter); any other language
/// gets `auto`, the debtor's browser language.
const CHECKOUT_LOCALES: &[&str] = &[
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fil", "fr", "hr", "hu", "id", "it", "ja", "ko",
    "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh",
];

/// Stripe Checkout Sessions as a [`Psp`].
pub struct StripeCheckout {
    http: reqwest::Client,
    sessions_url: String,
    secret_key: SecretString,
    payment_method_types: Vec<String>,
}

impl StripeCheckout {
    pub fn new(config: &StripeConfig) -> anyhow::Result<Self> {
        config.validate()?;
        let timeout = Duration::from_secs(config.timeout_secs);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .user_agent(concat!("mahnwerk/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            sessions_url: format!("{}/v1/checkout/sessions", config.api_base.trim_end_matches('/')),
            secret_key: config.secret_key.clone(),
            payment_method_types: config.payment_method_types.clone(),
        })
    }

    /// The session's parameters, as Stripe's form encoding names them.
    fn form(&self, request: &CheckoutRequest) -> Result<Vec<(String, String)>, PspError> {
        let amount = minor_units(request.amount.amount(), request.amount.currency())?;
        for (name, url) in [("success_url", &request.success_url), ("cancel_url", &request.cancel_url)] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(PspError::Invalid(format!("{name}: '{url}' is not an absolute http(s) URL")));
            }
        }
        let mut form: Vec<(String, String)> = [
            ("mode", "payment".to_owned()),
            ("line_items[0][price_data][currency]", request.amount.currency().code().to_ascii_lowercase()),
            ("line_items[0][price_data][unit_amount]", amount.to_string()),
            ("line_items[0][price_data][product_data][name]", request.description.clone()),
            ("line_items[0][quantity]", "1".to_owned()),
            ("client_reference_id", request.reminder_id.to_string()),
            ("metadata[tenant]", request.tenant.as_str().to_owned()),
            ("metadata[invoice_number]", request.invoice_number.as_str().to_owned()),
            ("metadata[reminder_id]", request.reminder_id.to_string()),
            ("success_url", request.success_url.clone()),
            ("cancel_url", request.cancel_url.clone()),
            ("locale", checkout_locale(&request.locale).to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        for (i, method) in self.payment_method_types.iter().enumerate() {
            form.push((format!("payment_method_types[{i}]"), method.clone()));
        }
        if let Some(email) = &request.customer_email {
            form.push(("customer_email".to_owned(), email.clone()));
        }
        Ok(form)
    }
}

/// The `locale` parameter for a page language such as `de` or `de-AT`.
fn checkout_locale(language: &str) -> &str {
    let primary = language.split(['-', '_']).next().unwrap_or("");
    CHECKOUT_LOCALES.iter().find(|l| **l == primary).copied().unwrap_or("auto")
}

#[derive(Deserialize)]
struct Session {
    id: String,
    url: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeError,
}

#[derive(Deserialize)]
struct StripeError {
    message: Option<String>,
    param: Option<String>,
}

#[async_trait]
impl Psp for StripeCheckout {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn payment_methods(&self) -> &[String] {
        &self.payment_method_types
    }

    #[tracing::instrument(skip_all, fields(tenant = %request.tenant, reminder_id = request.reminder_id))]
    async fn start_checkout(&self, request: &CheckoutRequest) -> Result<Checkout, PspError> {
        let form = self.form(request)?;
        let response = self
            .http
            .post(&self.sessions_url)
            .bearer_auth(self.secret_key.expose_secret())
            .header("Idempotency-Key", &request.idempotency_key)
            .form(&form)
            .send()
            .await
            .map_err(|e| unavailable(if e.is_timeout() { "timed out".to_owned() } else { e.to_string() }))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
            .map(Duration::from_secs);
        let body = response.bytes().await.map_err(|e| unavailable(format!("reading the answer: {e}")))?;
        if status.is_success() {
            let session: Session = serde_json::from_slice(&body)
                .map_err(|e| unavailable(format!("not a Checkout Session: {e}")))?;
            let url = session
                .url
                .ok_or_else(|| unavailable(format!("session {} came back without a url", session.id)))?;
            tracing::info!(session = %session.id, "checkout session created");
            return Ok(Checkout { id: session.id, url });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(PspError::RateLimited { provider: PROVIDER, retry_after });
        }
        let message = serde_json::from_slice::<ErrorBody>(&body)
            .ok()
            .map(|b| match (b.error.message, b.error.param) {
                (Some(message), Some(param)) => format!("{message} (param {param})"),
                (Some(message), None) => message,
                (None, Some(param)) => format!("param {param}"),
                (None, None) => String::new(),
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("HTTP {status} without a Stripe error"));
        if status.is_server_error() {
            return Err(unavailable(format!("{status}: {message}")));
        }
        Err(PspError::Refused { provider: PROVIDER, status: status.as_u16(), message })
    }
}

fn unavailable(reason: String) -> PspError {
    PspError::Unavailable { provider: PROVIDER, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_stripe_knows_or_auto() {
        assert_eq!(checkout_locale("de"), "de");
        assert_eq!(checkout_locale("de-AT"), "de");
        assert_eq!(checkout_locale("tr"), "tr");
        assert_eq!(checkout_locale("xx"), "auto");
        assert_eq!(checkout_locale(""), "auto");
    }
}
