//! SMS through Twilio's Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
//! form-encoded, HTTP basic auth with the account SID and auth token.
//!
//! Idempotency: the Messages API has no idempotency key. Twilio documents `I-Twilio-Idempotency-Token`
//! only on the webhooks *it* sends (the same token on a retried webhook); it does not promise to
//! drop a repeated create. We still send the reminder's key in that header: Twilio ignores headers
//! it does not use, and the key then sits beside the message in Twilio's request logs. It does not
//! make retries safe: if Twilio accepts a message and the answer is lost (a timeout after the
//! request was sent), the retry sends a second SMS. Only the gap between Twilio's `201` and the
//! caller recording the receipt is exposed this way, which at-least-once delivery accepts.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Client, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::capabilities::DEFAULT_SMS_MAX_SEGMENTS;
use crate::error::check_idempotency_key;
use crate::http;
use crate::message::check_e164;
use crate::sms_segments::SmsCount;
use crate::{Channel, ChannelKind, OutgoingMessage, ProviderRequest, SendError, SendReceipt, SmsMessage};

/// The header carrying the idempotency key; see the module documentation for what it does not do.
pub const IDEMPOTENCY_HEADER: &str = "I-Twilio-Idempotency-Token";
/// Twilio refuses bodies longer than this (error 21617), whatever the segment limit says.
const MAX_BODY_CHARS: usize = 1600;

/// How to reach Twilio. Deserialises from config with `base_url` `https://api.twilio.com`,
/// `max_segments` 3 and `timeout` 30 seconds unless given. At least one of `from` and
/// `messaging_service_sid` is required.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    /// `AC…`; also the basic-auth user name.
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The sending number (E.164) or alphanumeric sender id, unless the message names its own.
    #[serde(default)]
    pub from: Option<String>,
    /// `MG…`: let a Messaging Service pick the sender from its pool.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// Where Twilio reports delivery status; the service's signed webhook URL.
    #[serde(default)]
    pub status_callback: Option<String>,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Longest body accepted, in segments; a longer one fails with a permanent error naming `body`.
    #[serde(default = "default_max_segments")]
    pub max_segments: usize,
    /// Limit on the whole request, in seconds in config.
    #[serde(default = "http::default_timeout", deserialize_with = "http::seconds")]
    pub timeout: Duration,
}

fn default_base_url() -> String {
    "https://api.twilio.com".to_owned()
}

fn default_max_segments() -> usize {
    DEFAULT_SMS_MAX_SEGMENTS
}

impl TwilioSettings {
    /// Settings with the config defaults for everything but the credentials and the sender.
    pub fn new(account_sid: impl Into<String>, auth_token: SecretString, from: impl Into<String>) -> Self {
        TwilioSettings {
            account_sid: account_sid.into(),
            auth_token,
            from: Some(from.into()),
            messaging_service_sid: None,
            status_callback: None,
            base_url: default_base_url(),
            max_segments: default_max_segments(),
            timeout: http::DEFAULT_TIMEOUT,
        }
    }
}

// Written by hand so the auth token can never reach a log line.
impl fmt::Debug for TwilioSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSettings")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("from", &self.from)
            .field("messaging_service_sid", &self.messaging_service_sid)
            .field("status_callback", &self.status_callback)
            .field("base_url", &self.base_url)
            .field("max_segments", &self.max_segments)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Twilio settings that cannot work, found when the transport is built rather than on first send.
#[derive(Debug, thiserror::Error)]
pub enum TwilioSettingsError {
    #[error("twilio.account_sid must not be empty")]
    MissingAccountSid,
    #[error("twilio needs `from` or `messaging_service_sid` to know who sends")]
    MissingSender,
    #[error("twilio.max_segments must be at least 1")]
    ZeroSegments,
    #[error("twilio.base_url: {0}")]
    BaseUrl(String),
    #[error("twilio.status_callback: {0}")]
    StatusCallback(String),
    #[error("could not build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Sends SMS through Twilio.
#[derive(Clone)]
pub struct TwilioSms {
    client: Client,
    endpoint: Url,
    account_sid: String,
    auth_token: SecretString,
    from: Option<String>,
    messaging_service_sid: Option<String>,
    status_callback: Option<String>,
    max_segments: usize,
}

impl fmt::Debug for TwilioSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSms")
            .field("endpoint", &self.endpoint.as_str())
            .field("max_segments", &self.max_segments)
            .finish_non_exhaustive()
    }
}

impl TwilioSms {
    pub fn new(settings: &TwilioSettings) -> Result<Self, TwilioSettingsError> {
        if settings.account_sid.trim().is_empty() {
            return Err(TwilioSettingsError::MissingAccountSid);
        }
        if settings.from.is_none() && settings.messaging_service_sid.is_none() {
            return Err(TwilioSettingsError::MissingSender);
        }
        if settings.max_segments == 0 {
            return Err(TwilioSettingsError::ZeroSegments);
        }
        if let Some(callback) = &settings.status_callback {
            let url = Url::parse(callback).map_err(|e| TwilioSettingsError::StatusCallback(e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(TwilioSettingsError::StatusCallback(format!(
                    "{callback:?} is not an http(s) URL"
                )));
            }
        }
        let base = http::base_url(&settings.base_url).map_err(TwilioSettingsError::BaseUrl)?;
        let endpoint =
            http::endpoint(&base, &["2010-04-01", "Accounts", &settings.account_sid, "Messages.json"]);
        Ok(TwilioSms {
            client: http::client(settings.timeout)?,
            endpoint,
            account_sid: settings.account_sid.clone(),
            auth_token: settings.auth_token.clone(),
            from: settings.from.clone(),
            messaging_service_sid: settings.messaging_service_sid.clone(),
            status_callback: settings.status_callback.clone(),
            max_segments: settings.max_segments,
        })
    }

    /// The request [`send`](Channel::send) would make for `message` (without the basic-auth
    /// credentials), or why it would refuse it.
    pub fn request(
        &self,
        idempotency_key: &str,
        message: &OutgoingMessage,
    ) -> Result<ProviderRequest, SendError> {
        let OutgoingMessage::Sms(sms) = message else {
            return Err(SendError::wrong_medium(ChannelKind::Sms, message.kind()));
        };
        check_idempotency_key(idempotency_key)?;
        self.check(sms)?;
        let mut request = ProviderRequest::post_form(self.endpoint.as_str(), &self.form(sms));
        request.headers.insert(IDEMPOTENCY_HEADER, idempotency_key.to_owned());
        Ok(request)
    }

    /// The form fields of one message, in the order Twilio documents them.
    fn form<'a>(&'a self, sms: &'a SmsMessage) -> Vec<(&'static str, &'a str)> {
        let mut form = vec![("To", sms.to.as_str())];
        if let Some(from) = sms.sender_id.as_deref().or(self.from.as_deref()) {
            form.push(("From", from));
        }
        if let Some(service) = &self.messaging_service_sid {
            form.push(("MessagingServiceSid", service));
        }
        form.push(("Body", &sms.body));
        if let Some(callback) = &self.status_callback {
            form.push(("StatusCallback", callback));
        }
        form
    }

    /// Refuses before any request what Twilio would refuse or what would cost more than allowed.
    fn check(&self, sms: &SmsMessage) -> Result<(), SendError> {
        check_e164(&sms.to)?;
        let count = SmsCount::of(&sms.body);
        if count.segments == 0 {
            return Err(SendError::permanent("invalid body: empty"));
        }
        if !count.fits(self.max_segments) || count.characters > MAX_BODY_CHARS {
            return Err(SendError::permanent(format!(
                "invalid body: {} characters in {} need {} segments, the limit is {} (and {MAX_BODY_CHARS} \
                 characters)",
                count.characters,
                count.encoding.as_str(),
                count.segments,
                self.max_segments
            )));
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// Twilio's error body: `{"code": 21211, "message": "…", "more_info": "…", "status": 400}`.
#[derive(Deserialize)]
struct TwilioError {
    code: Option<u32>,
    message: Option<String>,
}

#[async_trait]
impl Channel for TwilioSms {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    /// The receipt's `provider_id` is the message SID (`SM…`).
    #[tracing::instrument(skip_all, fields(channel = "sms", transport = "twilio"))]
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let OutgoingMessage::Sms(sms) = message else {
            return Err(SendError::wrong_medium(ChannelKind::Sms, message.kind()));
        };
        check_idempotency_key(idempotency_key)?;
        self.check(sms)?;

        let response = self
            .client
            .post(self.endpoint.clone())
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .header(IDEMPOTENCY_HEADER, idempotency_key)
            .form(&self.form(sms))
            .send()
            .await
            .map_err(|e| http::unreachable("twilio", e))?;
        let status = response.status();
        let retry_after = http::retry_after(response.headers());
        let body = response.bytes().await.unwrap_or_default();

        if status.is_success() {
            return match serde_json::from_slice::<Created>(&body) {
                Ok(created) => {
                    tracing::debug!(provider_id = %created.sid, "sms accepted by twilio");
                    Ok(SendReceipt { provider_id: created.sid })
                }
                // Twilio took the message; a retry would send it twice. Say so rather than fail.
                Err(e) => {
                    tracing::warn!(%status, error = %e, "twilio accepted an sms without a readable sid");
                    Ok(SendReceipt { provider_id: format!("twilio-unknown-{idempotency_key}") })
                }
            };
        }
        Err(classify(status, retry_after, &body))
    }
}

/// Maps a failed reply to a retry class: 429 waits, 5xx retries, every other status is final.
fn classify(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> SendError {
    let parsed = serde_json::from_slice::<TwilioError>(body);
    let code = parsed.as_ref().ok().and_then(|e| e.code);
    let detail = match parsed {
        Ok(TwilioError { code, message }) => {
            let message = http::redact(message.as_deref().unwrap_or("no message"));
            match code {
                Some(code) => match explain(code) {
                    Some(meaning) => format!("error {code} ({meaning}): {message}"),
                    None => format!("error {code}: {message}"),
                },
                None => message,
            }
        }
        Err(_) => http::redact(&http::excerpt(&String::from_utf8_lossy(body), 200)),
    };
    let reason = format!("twilio answered HTTP {}: {detail}", status.as_u16());
    if status == StatusCode::TOO_MANY_REQUESTS {
        SendError::rate_limited(retry_after.unwrap_or(http::DEFAULT_RATE_LIMIT_WAIT), reason)
    } else if status.is_server_error() {
        SendError::transient(reason)
    } else if code.is_some_and(names_a_dead_number) {
        SendError::unreachable(reason)
    } else {
        SendError::permanent(reason)
    }
}

/// The errors that say the number itself cannot get SMS (not our account, sender or message),
/// whether Twilio refuses the request (21211 invalid, 21614 not a mobile, 21610 unsubscribed by
/// STOP) or reports the failure later in a status callback's `ErrorCode` (30005 unknown, inactive
/// or out of service; 30006 a landline, or a carrier this sender cannot reach). 30003
/// (unreachable handset) is not among them: Twilio describes it as a handset switched off, out of
/// coverage or roaming, which passes.
pub fn names_a_dead_number(code: u32) -> bool {
    matches!(code, 21211 | 21610 | 21614 | 30005 | 30006)
}

/// Plain words for the errors a dunning sender meets; the codes are Twilio's (twilio.com/docs/api/errors).
fn explain(code: u32) -> Option<&'static str> {
    Some(match code {
        20003 => "authentication failed: check account_sid and auth_token",
        20429 => "too many requests",
        21211 => "invalid 'To' number",
        21408 => "sending to this region is not enabled",
        21606 => "the 'From' number cannot send SMS",
        21610 => "the recipient replied STOP and is unsubscribed",
        21612 => "the recipient cannot be reached from this sender",
        21614 => "the 'To' number is not a mobile number",
        21617 => "the body is too long",
        30003 => "the handset is unreachable right now (off, no signal, roaming)",
        30005 => "unknown destination: the number is inactive or out of service",
        30006 => "a landline, or a carrier this sender cannot reach",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TwilioSettings {
        TwilioSettings::new("AC123", SecretString::from("tok-very-secret"), "+15005550006")
    }

    #[test]
    fn config_defaults_and_debug_without_the_token() {
        let parsed: TwilioSettings = toml::from_str(
            r#"
            account_sid = "AC123"
            auth_token = "tok-very-secret"
            messaging_service_sid = "MG9"
            "#,
        )
        .unwrap();
        assert_eq!(parsed.base_url, "https://api.twilio.com");
        assert_eq!(parsed.max_segments, 3);
        assert_eq!(parsed.timeout, Duration::from_secs(30));
        let printed = format!("{parsed:?} {:?}", TwilioSms::new(&parsed).unwrap());
        assert!(!printed.contains("tok-very-secret"), "{printed}");
        assert!(toml::from_str::<TwilioSettings>("account_sid = \"AC1\"\nauth_token = \"t\"\ntimeout = 0")
            .is_err());
    }

    #[test]
    fn settings_that_cannot_work_are_refused_when_building() {
        let mut no_sender = settings();
        no_sender.from = None;
        assert!(matches!(TwilioSms::new(&no_sender), Err(TwilioSettingsError::MissingSender)));
        let mut bad_url = settings();
        bad_url.base_url = "api.twilio.com".into();
        assert!(matches!(TwilioSms::new(&bad_url), Err(TwilioSettingsError::BaseUrl(_))));
        let mut zero = settings();
        zero.max_segments = 0;
        assert!(matches!(TwilioSms::new(&zero), Err(TwilioSettingsError::ZeroSegments)));
    }

    #[test]
    fn the_account_sid_is_one_encoded_path_segment() {
        let mut odd = settings();
        odd.account_sid = "AC1/../x".into();
        let sms = TwilioSms::new(&odd).unwrap();
        assert_eq!(sms.endpoint.path(), "/2010-04-01/Accounts/AC1%2F..%2Fx/Messages.json");
    }

    #[test]
    fn errors_keep_twilios_code_and_hide_the_number() {
        let body = br#"{"code":21211,"message":"The 'To' number +4915112345678 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#;
        let err = classify(StatusCode::BAD_REQUEST, None, body);
        assert!(!err.is_retryable());
        assert!(err.reason().contains("21211 (invalid 'To' number)"), "{err}");
        assert!(!err.reason().contains("4915112345678"), "{err}");
        let html = classify(StatusCode::BAD_GATEWAY, None, b"<html>bad gateway</html>");
        assert_eq!(html.class(), "transient");
        let limited = classify(StatusCode::TOO_MANY_REQUESTS, None, br#"{"code":20429}"#);
        assert_eq!(limited.retry_after(), Some(http::DEFAULT_RATE_LIMIT_WAIT));
    }

    #[test]
    fn late_failure_codes_name_a_dead_number_only_when_the_number_is_gone() {
        for dead in [30005, 30006, 21211] {
            assert!(names_a_dead_number(dead), "{dead}");
        }
        for other in [30001, 30003, 30007, 30008, 21408] {
            assert!(!names_a_dead_number(other), "{other}");
        }
    }

    #[test]
    fn a_dead_number_is_unreachable_and_an_account_problem_is_not() {
        let invalid = classify(StatusCode::BAD_REQUEST, None, br#"{"code":21211,"message":"invalid"}"#);
        assert!(invalid.is_unreachable(), "{invalid}");
        let landline = classify(StatusCode::BAD_REQUEST, None, br#"{"code":21614,"message":"landline"}"#);
        assert!(landline.is_unreachable(), "{landline}");
        let auth = classify(StatusCode::UNAUTHORIZED, None, br#"{"code":20003,"message":"auth"}"#);
        assert_eq!(auth.class(), "permanent");
        let region = classify(StatusCode::BAD_REQUEST, None, br#"{"code":21408,"message":"region"}"#);
        assert_eq!(region.class(), "permanent");
    }
}
