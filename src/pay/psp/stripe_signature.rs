//! The `Stripe-Signature` header of Stripe's webhooks: `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`
//! (and possibly `v0=` test signatures, which are ignored). Each `v1` is the lower-case hex of
//! HMAC-SHA256 keyed with the endpoint's signing secret (`whsec_…`, used as given) over
//! `"{t}.{raw body}"`; while a secret is being rolled Stripe sends one `v1` per secret, and any
//! one matching is enough. A signature whose `t` is further from now than the tolerance is
//! refused as a possible replay (Stripe's libraries default to 300 seconds).
//!
//! The body must be checked byte for byte as received, never re-serialised. Comparisons are
//! constant-time (`hmac`'s `verify_slice`).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

type HmacSha256 = Hmac<Sha256>;

/// The header Stripe signs its webhooks in.
pub const STRIPE_SIGNATURE_HEADER: &str = "Stripe-Signature";

/// Why a webhook is not believed. Every variant means: answer 400 and change nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Stripe-Signature header is missing or empty")]
    Missing,
    #[error("Stripe-Signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("Stripe-Signature does not match the body")]
    Mismatch,
    /// Signed, but too long ago (or too far ahead): a replay, or a clock far off.
    #[error("Stripe-Signature timestamp is {seconds} s away from now, more than the tolerance")]
    Stale { seconds: i64 },
}

/// The parts of a `Stripe-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    /// Every `v1` signature, decoded.
    pub signatures: Vec<Vec<u8>>,
}

impl SignatureHeader {
    /// Parses `t=…,v1=…[,v1=…]`; other schemes (`v0`) and unknown keys are skipped.
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        let header = header.trim();
        if header.is_empty() {
            return Err(SignatureError::Missing);
        }
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for item in header.split(',') {
            let Some((key, value)) = item.trim().split_once('=') else {
                return Err(SignatureError::Malformed("expected key=value pairs"));
            };
            match key {
                "t" => {
                    let t = value.parse().map_err(|_| SignatureError::Malformed("t is not a number"))?;
                    timestamp = Some(t);
                }
                "v1" => signatures.push(
                    unhex(value).ok_or(SignatureError::Malformed("v1 is not the hex of an HMAC-SHA256"))?,
                ),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed("no t= timestamp"))?;
        if signatures.is_empty() {
            return Err(SignatureError::Malformed("no v1= signature"));
        }
        Ok(Self { timestamp, signatures })
    }
}

/// Verifies `header` (`None` if absent) for `raw_body` with `secret`, at `now`, allowing the
/// signed time to be `tolerance` away.
pub fn verify(
    secret: &[u8],
    raw_body: &[u8],
    header: Option<&str>,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let header = SignatureHeader::parse(header.ok_or(SignatureError::Missing)?)?;
    let mac = mac(secret, header.timestamp, raw_body);
    if !header.signatures.iter().any(|claimed| mac.clone().verify_slice(claimed).is_ok()) {
        return Err(SignatureError::Mismatch);
    }
    let seconds = now.timestamp().saturating_sub(header.timestamp);
    if seconds.unsigned_abs() > tolerance.as_secs() {
        return Err(SignatureError::Stale { seconds });
    }
    Ok(())
}

/// The `Stripe-Signature` value Stripe sends for `raw_body` signed at `timestamp`; for tests and
/// local stand-ins.
pub fn sign(secret: &[u8], timestamp: i64, raw_body: &[u8]) -> String {
    let digest = mac(secret, timestamp, raw_body).finalize().into_bytes();
    format!("t={timestamp},v1={}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn mac(secret: &[u8], timestamp: i64, raw_body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(raw_body);
    mac
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    // `from_str_radix` alone would take a sign too (`+f`).
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const TOLERANCE: Duration = Duration::from_secs(300);

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_765_000_000, 0).unwrap()
    }

    #[test]
    fn a_known_vector() {
        // HMAC-SHA256("whsec_test_secret", "1765000000.{}"), computed independently
        // (`printf '1765000000.{}' | openssl dgst -sha256 -hmac whsec_test_secret`).
        let header = sign(SECRET, 1_765_000_000, b"{}");
        assert_eq!(
            header,
            "t=1765000000,v1=62ebea0bf35c39302c1228f919cbedd91cdd0ce1986bfbc347a11b7ae71e8684"
        );
        verify(SECRET, b"{}", Some(&header), now(), TOLERANCE).unwrap();
    }

    #[test]
    fn parses_several_v1_and_skips_v0() {
        let a = "a".repeat(64);
        let b = "0B".repeat(32);
        let parsed = SignatureHeader::parse(&format!("t=12, v1={a},v0={b},v1={b}")).unwrap();
        assert_eq!(parsed.timestamp, 12);
        assert_eq!(parsed.signatures, vec![vec![0xaa; 32], vec![0x0b; 32]]);
        for (header, error) in [
            ("", SignatureError::Missing),
            ("  ", SignatureError::Missing),
            ("garbage", SignatureError::Malformed("expected key=value pairs")),
            ("v1=00", SignatureError::Malformed("v1 is not the hex of an HMAC-SHA256")),
            (format!("v1={a}").as_str(), SignatureError::Malformed("no t= timestamp")),
            (format!("t=x,v1={a}").as_str(), SignatureError::Malformed("t is not a number")),
            ("t=12", SignatureError::Malformed("no v1= signature")),
            (format!("t=12,v0={a}").as_str(), SignatureError::Malformed("no v1= signature")),
        ] {
            assert_eq!(SignatureHeader::parse(header), Err(error), "{header:?}");
        }
    }

    #[test]
    fn any_v1_of_several_matches_as_while_a_secret_is_rolled() {
        let body = br#"{"id":"evt_1"}"#;
        let old = sign(b"whsec_old", 1_765_000_000, body);
        let new = sign(SECRET, 1_765_000_000, body);
        let both = format!("{old},v1={}", new.split_once("v1=").unwrap().1);
        verify(SECRET, body, Some(&both), now(), TOLERANCE).unwrap();
        verify(b"whsec_old", body, Some(&both), now(), TOLERANCE).unwrap();
        assert_eq!(
            verify(b"whsec_other", body, Some(&both), now(), TOLERANCE),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn forgeries_changed_bodies_and_stale_times_are_refused() {
        let body = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
        let t = now().timestamp();
        let good = sign(SECRET, t, body);
        verify(SECRET, body, Some(&good), now(), TOLERANCE).unwrap();
        assert_eq!(verify(SECRET, body, None, now(), TOLERANCE), Err(SignatureError::Missing));
        assert_eq!(
            verify(
                SECRET,
                br#"{"id":"evt_2","type":"checkout.session.completed"}"#,
                Some(&good),
                now(),
                TOLERANCE
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"whsec_forger", body, Some(&good), now(), TOLERANCE),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed: moving it breaks the signature.
        let moved = good.replacen(&format!("t={t}"), &format!("t={}", t + 1), 1);
        assert_eq!(verify(SECRET, body, Some(&moved), now(), TOLERANCE), Err(SignatureError::Mismatch));
        // Exactly at the tolerance is fine; a second more is not, either way.
        for (offset, ok) in [(-300, true), (300, true), (-301, false), (301, false)] {
            let header = sign(SECRET, t + offset, body);
            let result = verify(SECRET, body, Some(&header), now(), TOLERANCE);
            assert_eq!(result.is_ok(), ok, "{offset}: {result:?}");
            if !ok {
                assert_eq!(result, Err(SignatureError::Stale { seconds: -offset }));
            }
        }
    }

    proptest! {
        #[test]
        fn sign_then_verify(secret in prop::collection::vec(any::<u8>(), 1..60),
                            body in prop::collection::vec(any::<u8>(), 0..200),
                            skew in -300i64..=300) {
            let header = sign(&secret, now().timestamp() + skew, &body);
            prop_assert!(verify(&secret, &body, Some(&header), now(), TOLERANCE).is_ok());
        }

        #[test]
        fn only_hex_digits_are_hex(s in "[0-9a-f+-]{64}") {
            prop_assert_eq!(unhex(&s).is_some(), s.bytes().all(|b| b.is_ascii_hexdigit()));
        }

        #[test]
        fn garbage_headers_never_pass(header in "\\PC{0,80}", body in "\\PC{0,40}") {
            prop_assert!(verify(SECRET, body.as_bytes(), Some(&header), now(), TOLERANCE).is_err());
        }
    }
}
