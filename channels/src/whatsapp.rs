//! WhatsApp through Meta's Cloud API: `POST {base}/{version}/{phone_number_id}/messages` with the
//! access token as a bearer token.
//!
//! A reminder is a business-initiated message, which WhatsApp delivers only as a template approved
//! beforehand in the WhatsApp Manager (`type: template`, the debtor's language, the body
//! parameters). Free text (`type: text`) is sent only while the 24-hour customer service window is
//! open, i.e. the debtor wrote within the last 24 hours; otherwise the send is refused here, as
//! Meta would refuse it (error 131047).
//!
//! Idempotency: the Cloud API has no idempotency key, so a retry after a lost answer can deliver
//! twice. The reminder's key travels as `biz_opaque_callback_data`, which Meta returns in the
//! status webhooks of the message, so a delivery report can be tied to its reminder.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::check_idempotency_key;
pub use crate::graph::GraphSettingsError;
use crate::graph::{self, MessagesEndpoint, Verdict};
use crate::message::{check_e164, within_service_window, WindowClock};
use crate::{
    http, Channel, ChannelKind, OutgoingMessage, ProviderRequest, SendError, SendReceipt, WhatsappMessage,
};

/// Characters in a free-text message.
const MAX_TEXT_CHARS: usize = 4096;

/// How to reach the Cloud API. Deserialises from config with `base_url`
/// `https://graph.facebook.com`, `api_version` `v25.0` and `timeout` 30 seconds unless given.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappSettings {
    /// The id of the creditor's business phone number in the WhatsApp Manager (not the number).
    pub phone_number_id: String,
    /// A system user's access token with `whatsapp_business_messaging`.
    pub access_token: SecretString,
    #[serde(default = "graph::default_base_url")]
    pub base_url: String,
    #[serde(default = "graph::default_api_version")]
    pub api_version: String,
    /// Limit on the whole request, in seconds in config.
    #[serde(default = "http::default_timeout", deserialize_with = "http::seconds")]
    pub timeout: Duration,
}

impl WhatsappSettings {
    /// Settings with the config defaults for everything but the phone number id and the token.
    pub fn new(phone_number_id: impl Into<String>, access_token: SecretString) -> Self {
        WhatsappSettings {
            phone_number_id: phone_number_id.into(),
            access_token,
            base_url: graph::default_base_url(),
            api_version: graph::default_api_version(),
            timeout: http::DEFAULT_TIMEOUT,
        }
    }
}

// Written by hand so the access token can never reach a log line.
impl fmt::Debug for WhatsappSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsappSettings")
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Sends WhatsApp messages through the Cloud API.
#[derive(Clone)]
pub struct WhatsappCloud {
    endpoint: MessagesEndpoint,
    clock: WindowClock,
}

impl fmt::Debug for WhatsappCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsappCloud").field("endpoint", &self.endpoint.url()).finish_non_exhaustive()
    }
}

impl WhatsappCloud {
    pub fn new(settings: &WhatsappSettings) -> Result<Self, GraphSettingsError> {
        let endpoint = MessagesEndpoint::new(
            "whatsapp.phone_number_id",
            &settings.phone_number_id,
            &settings.base_url,
            &settings.api_version,
            settings.timeout,
            &settings.access_token,
        )?;
        Ok(WhatsappCloud { endpoint, clock: WindowClock::system() })
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
        let OutgoingMessage::Whatsapp(whatsapp) = message else {
            return Err(SendError::wrong_medium(ChannelKind::Whatsapp, message.kind()));
        };
        check_idempotency_key(idempotency_key)?;
        let body = payload(idempotency_key, whatsapp, self.clock.now())?;
        Ok(ProviderRequest::post_json(self.endpoint.url(), body))
    }
}

/// The request body for `message`, or why it cannot be sent.
fn payload(idempotency_key: &str, message: &WhatsappMessage, now: DateTime<Utc>) -> Result<Value, SendError> {
    check_e164(&message.to)?;
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.to,
        "biz_opaque_callback_data": idempotency_key,
    });
    match &message.template {
        Some(template) => {
            if template.name.trim().is_empty() {
                return Err(SendError::permanent("invalid template.name: empty"));
            }
            for (i, parameter) in template.body_parameters.iter().enumerate() {
                check_parameter(parameter).map_err(|why| {
                    SendError::permanent(format!("invalid template.body_parameters[{i}]: {why}"))
                })?;
            }
            let mut template_json = json!({
                "name": template.name,
                // Meta names translations like `pt_BR` where BCP 47 says `pt-BR`.
                "language": {"code": message.language.replace('-', "_")},
            });
            if !template.body_parameters.is_empty() {
                let parameters: Vec<Value> = template
                    .body_parameters
                    .iter()
                    .map(|text| json!({"type": "text", "text": text}))
                    .collect();
                template_json["components"] = json!([{"type": "body", "parameters": parameters}]);
            }
            body["type"] = json!("template");
            body["template"] = template_json;
        }
        None if within_service_window(message.last_inbound_at, now) => {
            let chars = message.body.chars().count();
            if message.body.trim().is_empty() || chars > MAX_TEXT_CHARS {
                return Err(SendError::permanent(format!(
                    "invalid body: {chars} characters, WhatsApp takes 1 to {MAX_TEXT_CHARS}"
                )));
            }
            body["type"] = json!("text");
            body["text"] = json!({"preview_url": true, "body": message.body});
        }
        None => {
            return Err(SendError::permanent(
                "invalid template: none given, and the debtor has not written within 24 hours; outside the \
                 customer service window WhatsApp delivers only approved templates",
            ))
        }
    }
    Ok(body)
}

/// WhatsApp refuses template parameters with line breaks, tabs or more than four spaces in a row
/// (error 132018), and empty ones.
fn check_parameter(text: &str) -> Result<(), &'static str> {
    if text.trim().is_empty() {
        Err("empty")
    } else if text.contains(['\n', '\r', '\t']) {
        Err("contains a line break or tab")
    } else if text.contains("     ") {
        Err("contains more than four spaces in a row")
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
struct Accepted {
    messages: Vec<AcceptedMessage>,
}

#[derive(Deserialize)]
struct AcceptedMessage {
    id: String,
}

#[async_trait]
impl Channel for WhatsappCloud {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Whatsapp
    }

    /// The receipt's `provider_id` is the WhatsApp message id (`wamid.…`).
    #[tracing::instrument(skip_all, fields(channel = "whatsapp", transport = "cloud_api"))]
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let OutgoingMessage::Whatsapp(whatsapp) = message else {
            return Err(SendError::wrong_medium(ChannelKind::Whatsapp, message.kind()));
        };
        check_idempotency_key(idempotency_key)?;
        let body = payload(idempotency_key, whatsapp, self.clock.now())?;

        let (status, reply) = self.endpoint.post("whatsapp", &body, whatsapp_codes).await?;
        let id = serde_json::from_slice::<Accepted>(&reply).ok().and_then(|a| a.messages.into_iter().next());
        Ok(match id {
            Some(AcceptedMessage { id }) => {
                tracing::debug!(provider_id = %id, "whatsapp message accepted");
                SendReceipt { provider_id: id }
            }
            // Accepted without a readable id: a retry would deliver twice, so do not fail.
            None => {
                tracing::warn!(%status, "whatsapp accepted a message without a readable id");
                SendReceipt { provider_id: format!("whatsapp-unknown-{idempotency_key}") }
            }
        })
    }
}

/// Whether a Cloud API error code says the recipient cannot get WhatsApp messages at all (not on
/// WhatsApp, or unable to receive this message: 131026), whether the send request was refused
/// with it or a `failed` status webhook reports it later. The same table decides both.
pub fn names_a_dead_recipient(code: i64) -> bool {
    matches!(whatsapp_codes(code, None), Some((Verdict::Unreachable, _)))
}

/// The Cloud API's own codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
fn whatsapp_codes(code: i64, _subcode: Option<i64>) -> Option<(Verdict, &'static str)> {
    Some(match code {
        131026 => (Verdict::Unreachable, "undeliverable: not on WhatsApp, or cannot receive this message"),
        131047 => (Verdict::GiveUp, "more than 24 hours since the debtor wrote: send an approved template"),
        131049 => (Verdict::GiveUp, "Meta held the message back to limit how many a person gets"),
        131050 => (Verdict::GiveUp, "the debtor stopped marketing messages from this business"),
        131021 => (Verdict::GiveUp, "recipient and sender are the same number"),
        131030 => (Verdict::GiveUp, "recipient not in the test number's allowed list"),
        131031 => (Verdict::GiveUp, "business account locked"),
        131042 => (Verdict::GiveUp, "business payment method problem"),
        131008 | 131009 | 100 => (Verdict::GiveUp, "invalid or missing parameter"),
        132000 => (Verdict::GiveUp, "template parameter count does not match"),
        132001 => (Verdict::GiveUp, "template does not exist in this language"),
        132005 => (Verdict::GiveUp, "template text too long once filled in"),
        132007 => (Verdict::GiveUp, "template breaks the content policy"),
        132012 => (Verdict::GiveUp, "template parameter format does not match"),
        132015 | 132016 => (Verdict::GiveUp, "template paused or disabled for low quality"),
        132018 => (Verdict::GiveUp, "template parameter refused (line break, tab or many spaces)"),
        133010 => (Verdict::GiveUp, "business phone number not registered with the Cloud API"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WhatsappTemplate;

    #[test]
    fn only_undeliverable_names_a_dead_recipient() {
        assert!(names_a_dead_recipient(131026));
        for other in [131047, 131050, 131049, 130429, 131000, 0] {
            assert!(!names_a_dead_recipient(other), "{other}");
        }
    }

    fn message(template: Option<WhatsappTemplate>) -> WhatsappMessage {
        WhatsappMessage {
            to: "+4915112345678".into(),
            language: "pt-BR".into(),
            body: "Olá".into(),
            template,
            last_inbound_at: None,
        }
    }

    #[test]
    fn templates_use_metas_language_codes_and_leave_out_empty_components() {
        let body = payload(
            "r-1",
            &message(Some(WhatsappTemplate { name: "t".into(), body_parameters: vec![] })),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(body["template"], json!({"name": "t", "language": {"code": "pt_BR"}}));
        assert_eq!(body["biz_opaque_callback_data"], "r-1");
    }

    #[test]
    fn parameters_whatsapp_would_refuse_are_named() {
        for (bad, why) in
            [("a\nb", "line break"), ("a\tb", "tab"), ("a     b", "four spaces"), (" ", "empty")]
        {
            let template =
                WhatsappTemplate { name: "t".into(), body_parameters: vec!["ok".into(), bad.into()] };
            let err = payload("r-1", &message(Some(template)), Utc::now()).unwrap_err();
            assert!(err.reason().starts_with("invalid template.body_parameters[1]:"), "{err}");
            assert!(err.reason().contains(why), "{err}");
        }
        let four = WhatsappTemplate { name: "t".into(), body_parameters: vec!["a    b".into()] };
        assert!(payload("r-1", &message(Some(four)), Utc::now()).is_ok());
    }

    #[test]
    fn settings_are_checked_and_the_token_never_printed() {
        let settings = WhatsappSettings::new("1065", SecretString::from("EAAG-very-secret"));
        let printed = format!("{settings:?} {:?}", WhatsappCloud::new(&settings).unwrap());
        assert!(!printed.contains("EAAG-very-secret"), "{printed}");
        assert!(printed.contains("https://graph.facebook.com/v25.0/1065/messages"), "{printed}");
        for version in ["25.0", "v25", "v25.x", "latest"] {
            let mut bad = settings.clone();
            bad.api_version = version.into();
            assert!(matches!(WhatsappCloud::new(&bad), Err(GraphSettingsError::ApiVersion(_))), "{version}");
        }
        let parsed: WhatsappSettings =
            toml::from_str("phone_number_id = \"1065\"\naccess_token = \"x\"\ntimeout = 5").unwrap();
        assert_eq!((parsed.api_version.as_str(), parsed.timeout), ("v25.0", Duration::from_secs(5)));
    }
}
