//! What WhatsApp's Cloud API and Messenger's Send API share as parts of Meta's Graph API: the error
//! body, and which error codes mean "wait", "retry" or "give up".
//!
//! Meta asks clients to decide on `error.code` (and for Messenger, `error_subcode`), not on the
//! HTTP status, which is why the code is read first and the status only when the code is unknown.
//! Codes: developers.facebook.com/docs/graph-api/guides/error-handling, …/whatsapp/cloud-api/support/error-codes,
//! …/messenger-platform/error-codes.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{http, SendError};

/// Where the Graph API answers, unless configured otherwise.
pub(crate) const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph API version called, unless configured otherwise. Meta keeps a version for about two
/// years after the next one ships; config can move ahead without a release of this crate.
pub(crate) const DEFAULT_API_VERSION: &str = "v25.0";

pub(crate) fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

pub(crate) fn default_api_version() -> String {
    DEFAULT_API_VERSION.to_owned()
}

/// Settings of a Graph API channel (WhatsApp, Messenger) that cannot work, found when the
/// transport is built rather than on first send.
#[derive(Debug, thiserror::Error)]
pub enum GraphSettingsError {
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("api_version {0:?} is not of the form v25.0")]
    ApiVersion(String),
    #[error("base_url: {0}")]
    BaseUrl(String),
    #[error("could not build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A Graph API `{base}/{version}/{node}/messages` endpoint with its bearer token: what the
/// WhatsApp and Messenger channels post to.
#[derive(Clone)]
pub(crate) struct MessagesEndpoint {
    client: reqwest::Client,
    url: reqwest::Url,
    token: SecretString,
}

impl MessagesEndpoint {
    /// Checks the settings (`node_field` names the node's config field in errors) and builds the
    /// client, so that a bad setting fails at start-up.
    pub(crate) fn new(
        node_field: &'static str,
        node: &str,
        base_url: &str,
        api_version: &str,
        timeout: Duration,
        token: &SecretString,
    ) -> Result<Self, GraphSettingsError> {
        if node.trim().is_empty() {
            return Err(GraphSettingsError::Empty(node_field));
        }
        if !valid_api_version(api_version) {
            return Err(GraphSettingsError::ApiVersion(api_version.to_owned()));
        }
        let base = http::base_url(base_url).map_err(GraphSettingsError::BaseUrl)?;
        Ok(MessagesEndpoint {
            client: http::client(timeout)?,
            url: http::endpoint(&base, &[api_version, node, "messages"]),
            token: token.clone(),
        })
    }

    pub(crate) fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Posts `body` as JSON; the reply's status and bytes when it succeeded, else the failure
    /// classified with `specific` (see [`classify`]). `provider` names the medium in reasons.
    pub(crate) async fn post(
        &self,
        provider: &str,
        body: &serde_json::Value,
        specific: Specific,
    ) -> Result<(StatusCode, Vec<u8>), SendError> {
        let response = self
            .client
            .post(self.url.clone())
            .bearer_auth(self.token.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(|e| http::unreachable(provider, e))?;
        let status = response.status();
        let retry_after = http::retry_after(response.headers());
        let reply = response.bytes().await.unwrap_or_default().to_vec();
        if status.is_success() {
            Ok((status, reply))
        } else {
            Err(classify(provider, status, retry_after, &reply, specific))
        }
    }
}

/// Whether `version` looks like `v25.0`, so a typo fails at start-up rather than as 404s.
pub(crate) fn valid_api_version(version: &str) -> bool {
    version.strip_prefix('v').and_then(|rest| rest.split_once('.')).is_some_and(|(major, minor)| {
        [major, minor].iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// `{"error": {"message": …, "type": …, "code": …, "error_subcode": …, "error_data": {"details": …}}}`
#[derive(Debug, Deserialize)]
struct Envelope {
    error: GraphError,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct GraphError {
    #[serde(default)]
    pub message: String,
    pub code: Option<i64>,
    pub error_subcode: Option<i64>,
    pub error_data: Option<ErrorData>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorData {
    pub details: Option<String>,
}

/// What a code means for the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Rate limited: wait, then the same message may pass.
    Wait,
    /// Meta had a problem of its own: retry with backoff.
    Retry,
    /// This message will not pass on this channel; the reason is the `&str`.
    GiveUp,
    /// The recipient cannot be reached on this medium at all (not on WhatsApp, blocked the page).
    Unreachable,
}

/// A code a medium knows better than the common table, with words for operators.
pub(crate) type Specific = fn(code: i64, subcode: Option<i64>) -> Option<(Verdict, &'static str)>;

/// The codes both media share.
fn common(code: i64) -> Option<(Verdict, &'static str)> {
    Some(match code {
        4 | 17 | 32 | 613 | 80007 | 130429 | 131056 => (Verdict::Wait, "rate limit hit"),
        131048 => (Verdict::Wait, "spam rate limit: too many messages were blocked or reported"),
        1 | 2 | 131000 | 131016 | 133004 => (Verdict::Retry, "temporary problem at Meta"),
        0 | 190 => (Verdict::GiveUp, "access token invalid or expired: renew it in the configuration"),
        3 | 10 | 200..=299 => (Verdict::GiveUp, "permission missing for this app or token"),
        368 => (Verdict::GiveUp, "account blocked for a policy violation"),
        _ => return None,
    })
}

/// Classifies a failed Graph API reply. `provider` names the medium in the reason.
pub(crate) fn classify(
    provider: &str,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
    specific: Specific,
) -> SendError {
    let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
        let reason = format!(
            "{provider} answered HTTP {}: {}",
            status.as_u16(),
            http::redact(&http::excerpt(&String::from_utf8_lossy(body), 200))
        );
        return http::by_status(status, retry_after, reason);
    };
    let known = error.code.and_then(|code| specific(code, error.error_subcode).or_else(|| common(code)));
    let mut reason = format!("{provider} answered HTTP {}", status.as_u16());
    if let Some(code) = error.code {
        reason.push_str(&format!(", code {code}"));
    }
    if let Some(subcode) = error.error_subcode {
        reason.push_str(&format!("/{subcode}"));
    }
    if let Some((_, meaning)) = known {
        reason.push_str(&format!(" ({meaning})"));
    }
    reason.push_str(": ");
    reason.push_str(&http::redact(&error.message));
    if let Some(details) = error.error_data.and_then(|data| data.details) {
        reason.push_str("; ");
        reason.push_str(&http::redact(&details));
    }
    match known {
        Some((Verdict::Wait, _)) => {
            SendError::rate_limited(retry_after.unwrap_or(http::DEFAULT_RATE_LIMIT_WAIT), reason)
        }
        Some((Verdict::Retry, _)) => SendError::transient(reason),
        Some((Verdict::GiveUp, _)) => SendError::permanent(reason),
        Some((Verdict::Unreachable, _)) => SendError::unreachable(reason),
        None => http::by_status(status, retry_after, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: i64, _: Option<i64>) -> Option<(Verdict, &'static str)> {
        None
    }

    fn run(status: u16, body: &str) -> SendError {
        classify("whatsapp", StatusCode::from_u16(status).unwrap(), None, body.as_bytes(), none)
    }

    #[test]
    fn codes_decide_before_the_status() {
        // Meta answers a missing permission (code 3) with HTTP 500; retrying cannot help.
        assert_eq!(run(500, r#"{"error":{"message":"(#3) Capability","code":3}}"#).class(), "permanent");
        // And some rate limits with HTTP 400.
        let limited = run(400, r#"{"error":{"message":"(#130429) Rate limit hit","code":130429}}"#);
        assert_eq!(limited.retry_after(), Some(http::DEFAULT_RATE_LIMIT_WAIT));
        assert_eq!(run(400, r#"{"error":{"message":"x","code":2}}"#).class(), "transient");
    }

    #[test]
    fn unknown_codes_and_bodies_fall_back_to_the_status() {
        assert_eq!(run(400, r#"{"error":{"message":"x","code":999999}}"#).class(), "permanent");
        assert_eq!(run(503, r#"{"error":{"message":"x","code":999999}}"#).class(), "transient");
        assert_eq!(run(502, "<html>Bad Gateway</html>").class(), "transient");
        assert_eq!(run(429, "").class(), "retry_after");
    }

    #[test]
    fn the_reason_has_code_subcode_meaning_and_redacted_details() {
        let err = run(
            401,
            r#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190,
                "error_subcode":463,"error_data":{"details":"token of +4915112345678 expired"}}}"#,
        );
        let reason = err.reason();
        assert!(reason.starts_with("whatsapp answered HTTP 401, code 190/463 (access token"), "{reason}");
        assert!(reason.contains("[number]") && !reason.contains("4915112345678"), "{reason}");
    }
}
