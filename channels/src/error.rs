//! Why a send failed, classified so the delivery loop knows whether to retry, wait or fall back.
//!
//! Like lettre's SMTP errors (4xx transient, 5xx permanent) and apalis' abort-or-retry split, a
//! transport only says what happened; deciding to back off or choose another channel is the
//! caller's job.

use std::time::Duration;

use crate::ChannelKind;

/// A failed send. `reason` is for operators: it may quote the provider's reply, with any email
/// address in it redacted, and never contains the message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying with backoff: the provider was unreachable, slow, or said "try later".
    #[error("transient send failure: {reason}")]
    Transient { reason: String },
    /// Retrying the same message on the same channel cannot succeed: the address is invalid, the
    /// provider refused it, or the message is malformed. Fall back to another channel.
    #[error("permanent send failure: {reason}")]
    Permanent { reason: String },
    /// The recipient's address cannot receive this medium at all: a hard bounce, a number that
    /// does not exist or is not a mobile, a number not on WhatsApp, a person who blocked the
    /// page. Final like [`SendError::Permanent`], and it also says the address is dead, so the
    /// caller stops using it for this debtor and re-plans the reminder on another channel.
    #[error("recipient unreachable: {reason}")]
    Unreachable { reason: String },
    /// The provider asked us to wait at least `after` (rate limit, `Retry-After`).
    #[error("send rate limited, retry after {after:?}: {reason}")]
    RetryAfter { after: Duration, reason: String },
}

impl SendError {
    pub fn transient(reason: impl Into<String>) -> Self {
        SendError::Transient { reason: reason.into() }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        SendError::Permanent { reason: reason.into() }
    }

    pub fn unreachable(reason: impl Into<String>) -> Self {
        SendError::Unreachable { reason: reason.into() }
    }

    /// The provider asked for a pause (rate limit); named apart from [`SendError::retry_after`],
    /// which reads the pause back.
    pub fn rate_limited(after: Duration, reason: impl Into<String>) -> Self {
        SendError::RetryAfter { after, reason: reason.into() }
    }

    /// A message rendered for one medium was handed to the transport of another. That is a bug in
    /// the caller and no retry fixes it, so it is permanent.
    pub fn wrong_medium(transport: ChannelKind, message: ChannelKind) -> Self {
        SendError::permanent(format!(
            "wrong medium: the {transport} transport cannot send a {message} message"
        ))
    }

    /// Whether sending the same message on the same channel again may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, SendError::Permanent { .. } | SendError::Unreachable { .. })
    }

    /// Whether the failure says the recipient's address is dead on this medium.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, SendError::Unreachable { .. })
    }

    /// The wait the provider asked for, if it asked for one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::RetryAfter { after, .. } => Some(*after),
            _ => None,
        }
    }

    /// The operator-facing explanation without the classification prefix.
    pub fn reason(&self) -> &str {
        match self {
            SendError::Transient { reason }
            | SendError::Permanent { reason }
            | SendError::Unreachable { reason }
            | SendError::RetryAfter { reason, .. } => reason,
        }
    }

    /// A stable label for the class of failure, for result columns and metric labels.
    pub fn class(&self) -> &'static str {
        match self {
            SendError::Transient { .. } => "transient",
            SendError::Permanent { .. } => "permanent",
            SendError::Unreachable { .. } => "unreachable",
            SendError::RetryAfter { .. } => "retry_after",
        }
    }
}

/// Longest idempotency key accepted; a UUID is 36 characters.
const MAX_KEY_LEN: usize = 128;

/// Checks that an idempotency key can be used as a file name and as the left part of a
/// `Message-ID`, the strictest places it ends up. Allowed: ASCII letters, digits, `-`, `_` and
/// single inner dots, at most 128 characters. Anything else is a caller bug, hence permanent.
pub fn check_idempotency_key(key: &str) -> Result<(), SendError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.chars().all(allowed)
        && !key.starts_with('.')
        && !key.ends_with('.')
        && !key.contains("..");
    if ok {
        Ok(())
    } else {
        Err(SendError::permanent(format!(
            "invalid idempotency_key {key:?}: use 1 to {MAX_KEY_LEN} ASCII letters, digits, \
             '-', '_' or inner single dots"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_permanent_errors_are_final() {
        assert!(SendError::transient("x").is_retryable());
        assert!(SendError::rate_limited(Duration::from_secs(3), "x").is_retryable());
        assert!(!SendError::permanent("x").is_retryable());
        assert!(!SendError::unreachable("x").is_retryable());
    }

    #[test]
    fn only_unreachable_says_the_address_is_dead() {
        assert!(SendError::unreachable("550 5.1.1").is_unreachable());
        assert!(!SendError::permanent("bad token").is_unreachable());
        assert!(!SendError::transient("timeout").is_unreachable());
        assert_eq!(SendError::unreachable("x").class(), "unreachable");
    }

    #[test]
    fn retry_after_is_only_given_by_retry_after() {
        let wait = Duration::from_secs(90);
        assert_eq!(SendError::rate_limited(wait, "429").retry_after(), Some(wait));
        assert_eq!(SendError::transient("x").retry_after(), None);
        assert_eq!(SendError::permanent("x").retry_after(), None);
    }

    #[test]
    fn wrong_medium_is_permanent_and_names_both_media() {
        let err = SendError::wrong_medium(ChannelKind::Sms, ChannelKind::Letter);
        assert!(!err.is_retryable());
        assert!(err.reason().contains("sms"), "{err}");
        assert!(err.reason().contains("letter"), "{err}");
    }

    #[test]
    fn idempotency_keys_that_are_safe_as_file_names_and_message_ids_pass() {
        for key in ["42", "5f0c2a4e-8c1d-4b52-9f53-0c1f6b3a1d2e", "r_1.stage-2"] {
            assert_eq!(check_idempotency_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn idempotency_keys_that_could_escape_a_folder_or_break_a_header_fail() {
        let long = "a".repeat(MAX_KEY_LEN + 1);
        for key in ["", "..", "../x", "a/b", ".hidden", "a.", "a..b", "a b", "a@b", "<a>", "a\r\nb", &long] {
            let err = check_idempotency_key(key).unwrap_err();
            assert!(!err.is_retryable());
            assert!(err.reason().contains("idempotency_key"), "{err}");
        }
    }
}
