//! Facebook Messenger through Meta's Send API: `POST {base}/{version}/{page_id}/messages` with the
//! page access token as a bearer token (the documented `access_token` query parameter works too,
//! but would put the token into every URL a proxy or log records).
//!
//! # Only inside the 24-hour window
//! A page may write to a person freely for 24 hours after that person's last message. Outside the
//! window only message tags are allowed, and none permits a payment reminder:
//! - `ACCOUNT_UPDATE` lists "recurring content (e.g., statement is ready, bill is due …)" as
//!   disallowed; a dunning reminder is exactly that.
//! - `POST_PURCHASE_UPDATE` allows invoices and receipts for a *recent purchase* and order updates
//!   that need action; stretching it to overdue debts risks the page's ability to send at all.
//! - `CONFIRMED_EVENT_UPDATE` is for registered events, `CUSTOMER_FEEDBACK` for a survey template.
//! - `HUMAN_AGENT` (7 days) is for a person answering an inquiry; it forbids automated messages.
//! - Meta's Send API reference announces that from 27 April 2026 requests carrying
//!   `CONFIRMED_EVENT_UPDATE`, `ACCOUNT_UPDATE` or `POST_PURCHASE_UPDATE` fail with error 100.
//!
//! So this channel sends only inside the window (`messaging_type: UPDATE`, a message the page
//! starts rather than a reply) and refuses with a permanent error outside it, before any request.
//! Meta would refuse too (code 10, subcode 2018278), which is mapped the same way.
//! Sources: developers.facebook.com/docs/messenger-platform/reference/send-api (message tag usages)
//! and …/messenger-platform/policy/.
//!
//! Idempotency: the Send API has none. The reminder's key travels as `message.metadata`, which Meta
//! echoes in the `message_echoes` webhook.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use crate::capabilities::MESSENGER_MAX_CHARS;
use crate::error::check_idempotency_key;
pub use crate::graph::GraphSettingsError;
use crate::graph::{self, MessagesEndpoint, Verdict};
use crate::message::{within_service_window, WindowClock};
use crate::{
    http, Channel, ChannelKind, MessengerMessage, OutgoingMessage, ProviderRequest, SendError, SendReceipt,
};

/// How to reach the Send API. Deserialises from config with `page_id` `me` (the page the token
/// belongs to), `base_url` `https://graph.facebook.com`, `api_version` `v25.0` and `timeout` 30
/// seconds unless given.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessengerSettings {
    /// A page access token with `pages_messaging`.
    pub page_access_token: SecretString,
    #[serde(default = "default_page_id")]
    pub page_id: String,
    #[serde(default = "graph::default_base_url")]
    pub base_url: String,
    #[serde(default = "graph::default_api_version")]
    pub api_version: String,
    /// Limit on the whole request, in seconds in config.
    #[serde(default = "http::default_timeout", deserialize_with = "http::seconds")]
    pub timeout: Duration,
}

fn default_page_id() -> String {
    "me".to_owned()
}

impl MessengerSettings {
    /// Settings with the config defaults for everything but the token.
    pub fn new(page_access_token: SecretString) -> Self {
        MessengerSettings {
            page_access_token,
            page_id: default_page_id(),
            base_url: graph::default_base_url(),
            api_version: graph::default_api_version(),
            timeout: http::DEFAULT_TIMEOUT,
        }
    }
}

// Written by hand so the page token can never reach a log line.
impl fmt::Debug for MessengerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessengerSettings")
            .field("page_access_token", &"[redacted]")
            .field("page_id", &self.page_id)
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Sends Messenger messages through the Send API.
#[derive(Clone)]
pub struct MessengerSend {
    endpoint: MessagesEndpoint,
    clock: WindowClock,
}

impl fmt::Debug for MessengerSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessengerSend").field("endpoint", &self.endpoint.url()).finish_non_exhaustive()
    }
}

impl MessengerSend {
    pub fn new(settings: &MessengerSettings) -> Result<Self, GraphSettingsError> {
        let endpoint = MessagesEndpoint::new(
            "messenger.page_id",
            &settings.page_id,
            &settings.base_url,
            &settings.api_version,
            settings.timeout,
            &settings.page_access_token,
        )?;
        Ok(MessengerSend { endpoint, clock: WindowClock::system() })
    }

    /// Checks the 24-hour window against `clock` instead of the wall clock.
    pub fn with_clock(mut self, clock: WindowClock) -> Self {
        self.clock = clock;
        self
    }

    /// The request [`send`](Channel::send) would make for `message`, or why it would refuse it.
    pub fn request(
        &self,
        idempotency_key: &str,
        message: &OutgoingMessage,
    ) -> Result<ProviderRequest, SendError> {
        let OutgoingMessage::Messenger(messenger) = message else {
            return Err(SendError::wrong_medium(ChannelKind::Messenger, message.kind()));
        };
        check_idempotency_key(idempotency_key)?;
        check(messenger, self.clock.now())?;
        Ok(ProviderRequest::post_json(self.endpoint.url(), payload(idempotency_key, messenger)))
    }
}

/// The Send API body for `message` (already checked).
fn payload(idempotency_key: &str, message: &MessengerMessage) -> serde_json::Value {
    json!({
        "recipient": {"id": message.psid},
        "messaging_type": "UPDATE",
        "message": {"text": message.text, "metadata": idempotency_key},
    })
}

/// Refuses before any request what Meta would refuse.
fn check(message: &MessengerMessage, now: DateTime<Utc>) -> Result<(), SendError> {
    if message.psid.is_empty() || !message.psid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SendError::permanent("invalid psid: expected the page-scoped id, digits only"));
    }
    let chars = message.text.chars().count();
    if message.text.trim().is_empty() || chars > MESSENGER_MAX_CHARS {
        return Err(SendError::permanent(format!(
            "invalid text: {chars} characters, Messenger takes 1 to {MESSENGER_MAX_CHARS}"
        )));
    }
    if !within_service_window(message.last_inbound_at, now) {
        return Err(SendError::permanent(
            "outside the messaging window: the debtor has not written to the page within 24 hours, and no \
             Messenger message tag permits a payment reminder",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct Sent {
    message_id: String,
}

#[async_trait]
impl Channel for MessengerSend {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Messenger
    }

    /// The receipt's `provider_id` is Messenger's message id (`m_…`).
    #[tracing::instrument(skip_all, fields(channel = "messenger", transport = "send_api"))]
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let OutgoingMessage::Messenger(messenger) = message else {
            return Err(SendError::wrong_medium(ChannelKind::Messenger, message.kind()));
        };
        check_idempotency_key(idempotency_key)?;
        check(messenger, self.clock.now())?;
        let body = payload(idempotency_key, messenger);

        let (status, reply) = self.endpoint.post("messenger", &body, messenger_codes).await?;
        Ok(match serde_json::from_slice::<Sent>(&reply) {
            Ok(Sent { message_id }) => {
                tracing::debug!(provider_id = %message_id, "messenger message accepted");
                SendReceipt { provider_id: message_id }
            }
            // Accepted without a readable id: a retry would deliver twice, so do not fail.
            Err(e) => {
                tracing::warn!(%status, error = %e, "messenger accepted a message without a readable id");
                SendReceipt { provider_id: format!("messenger-unknown-{idempotency_key}") }
            }
        })
    }
}

/// The Send API's own codes (developers.facebook.com/docs/messenger-platform/error-codes).
fn messenger_codes(code: i64, subcode: Option<i64>) -> Option<(Verdict, &'static str)> {
    Some(match (code, subcode) {
        (10, Some(2018278)) => (Verdict::GiveUp, "outside the 24-hour messaging window"),
        (551, _) | (200, Some(1545041)) => {
            (Verdict::Unreachable, "the person is not available: blocked the page or turned messages off")
        }
        (100, Some(2018001)) => (Verdict::Unreachable, "no such person for this page: check the psid"),
        (100, _) => (Verdict::GiveUp, "invalid parameter"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(minutes_ago: Option<i64>) -> MessengerMessage {
        MessengerMessage {
            psid: "6254897654".into(),
            text: "Hallo".into(),
            last_inbound_at: minutes_ago.map(|m| Utc::now() - chrono::TimeDelta::minutes(m)),
        }
    }

    #[test]
    fn inside_the_window_passes_and_outside_or_unknown_is_refused() {
        assert!(check(&message(Some(60)), Utc::now()).is_ok());
        for outside in [Some(24 * 60 + 1), None] {
            let err = check(&message(outside), Utc::now()).unwrap_err();
            assert!(!err.is_retryable());
            assert!(err.reason().starts_with("outside the messaging window"), "{err}");
        }
    }

    #[test]
    fn bad_psids_and_texts_are_named() {
        let mut bad = message(Some(1));
        bad.psid = "6254/../me".into();
        assert!(check(&bad, Utc::now()).unwrap_err().reason().starts_with("invalid psid"));
        let mut long = message(Some(1));
        long.text = "ä".repeat(MESSENGER_MAX_CHARS + 1);
        assert!(check(&long, Utc::now()).unwrap_err().reason().starts_with("invalid text: 2000 characters"));
    }

    #[test]
    fn the_token_is_never_printed_and_page_defaults_to_me() {
        let settings: MessengerSettings = toml::from_str("page_access_token = \"EAAB-secret\"").unwrap();
        let printed = format!("{settings:?} {:?}", MessengerSend::new(&settings).unwrap());
        assert!(!printed.contains("EAAB-secret"), "{printed}");
        assert!(printed.contains("https://graph.facebook.com/v25.0/me/messages"), "{printed}");
    }
}
