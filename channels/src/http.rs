//! What the HTTP providers (Twilio, WhatsApp Cloud API, Messenger) share: the client with its
//! timeouts, endpoint URLs under a configurable base, `Retry-After`, and reasons fit for logs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Client, Url};
use serde::{Deserialize, Deserializer};

use crate::SendError;

/// Limit on a whole request, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Limit on opening the connection; a provider that does not answer the handshake in this time is
/// treated as down, not slow.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The wait assumed when a provider rate-limits without saying for how long.
pub const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// A client for one provider: rustls, the given total timeout, a bounded connect timeout, and a
/// user agent naming this crate.
pub(crate) fn client(timeout: Duration) -> reqwest::Result<Client> {
    Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .user_agent(concat!("mahnwerk-channels/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Parses a configured base URL such as `https://api.twilio.com`; a trailing slash is optional.
pub(crate) fn base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(format!("{text:?} is not an http(s) base URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(url)
}

/// `base` with `segments` appended, each percent-encoded, so an id from config can never add a
/// path segment or a query of its own.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.path_segments_mut().expect("checked by base_url").pop_if_empty().extend(segments);
    url
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
/// A date in the past means "now".
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

/// A request that got no HTTP answer: refused, reset, timed out, or broken TLS. The provider may
/// never have seen it, or may have accepted it and the answer was lost, so it is worth a retry.
pub(crate) fn unreachable(provider: &str, err: reqwest::Error) -> SendError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not be reached"
    } else {
        "failed"
    };
    // Without the URL: it is long, and the reason says which provider already.
    SendError::transient(format!("{provider} request {what}: {}", error_chain(&err.without_url())))
}

/// `err` and its sources, so "error sending request" comes with the refused connection below it.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Provider replies quote the recipient ("The 'To' number +4915… is not valid"); reasons end up in
/// logs, where personal data must not. Words with an `@` or with seven or more digits (a phone
/// number; error codes have at most six) are replaced.
pub(crate) fn redact(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            if word.contains('@') {
                "[address]"
            } else if word.chars().filter(char::is_ascii_digit).count() >= 7 {
                "[number]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// At most `max` characters of `text`, for quoting a reply body that is not the expected JSON.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let mut short: String = text.chars().take(max).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// Whole or fractional seconds, so config says `timeout = 30` or `timeout = 2.5`.
pub(crate) fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let secs = f64::deserialize(deserializer)?;
    match Duration::try_from_secs_f64(secs) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => {
            Err(serde::de::Error::custom(format!("timeout must be a positive number of seconds, got {secs}")))
        }
    }
}

pub(crate) fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

/// For replies whose body says nothing more specific: 429 waits (`Retry-After`, else
/// [`DEFAULT_RATE_LIMIT_WAIT`]), 5xx retries, the rest is final.
pub(crate) fn by_status(
    status: reqwest::StatusCode,
    retry_after: Option<Duration>,
    reason: String,
) -> SendError {
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        SendError::rate_limited(retry_after.unwrap_or(DEFAULT_RATE_LIMIT_WAIT), reason)
    } else if status.is_server_error() {
        SendError::transient(reason)
    } else {
        SendError::permanent(reason)
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(&headers("120")), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(&headers("Sun, 06 Nov 1994 08:49:37 GMT")), Some(Duration::ZERO));
        let soon = (Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let wait = retry_after(&headers(&soon)).unwrap();
        assert!(wait > Duration::from_secs(80) && wait <= Duration::from_secs(90), "{wait:?}");
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn endpoints_encode_each_segment() {
        let base = base_url("http://127.0.0.1:8080/").unwrap();
        assert_eq!(endpoint(&base, &["a", "b.json"]).as_str(), "http://127.0.0.1:8080/a/b.json");
        let prefixed = base_url("https://proxy.example/twilio").unwrap();
        assert_eq!(endpoint(&prefixed, &["a"]).as_str(), "https://proxy.example/twilio/a");
        assert_eq!(endpoint(&base, &["../x?y"]).as_str(), "http://127.0.0.1:8080/..%2Fx%3Fy");
        for bad in ["", "api.twilio.com", "ftp://x", "https://x/?a=1", "mailto:a@b"] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redaction_hides_numbers_and_addresses_but_keeps_error_codes() {
        assert_eq!(
            redact("The 'To' number +4915112345678 is not a valid phone number. (21211) erika@example.org"),
            "The 'To' number [number] is not a valid phone number. (21211) [address]"
        );
        assert_eq!(redact("(#131047) Re-engagement message"), "(#131047) Re-engagement message");
    }

    #[test]
    fn excerpts_cut_at_characters() {
        assert_eq!(excerpt("äöü", 2), "äö…");
        assert_eq!(excerpt("abc", 3), "abc");
    }
}
