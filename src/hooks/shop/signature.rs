//! The `Mahnwerk-Signature` header of the shop webhook, in the form of the Stripe webhooks this
//! project verifies (`crate::pay::psp::stripe_signature`), so a shop can check it with any
//! Stripe-style verifier: `t=<unix seconds>,v1=<hex>`, where `v1` is the lower-case hex of
//! HMAC-SHA256 keyed with `shop_webhook_secret` (its UTF-8 bytes) over `"{t}.{raw body}"`. A
//! shop should refuse a `t` more than five minutes from its clock (a replay) and use the
//! `Mahnwerk-Delivery` header (the same on every retry of one delivery) to act once.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header the signature is sent in.
pub const SIGNATURE_HEADER: &str = "Mahnwerk-Signature";
/// The header naming the delivery: the same on every retry.
pub const DELIVERY_HEADER: &str = "Mahnwerk-Delivery";

/// The header value signing `body` with `secret` at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let hex: String = tag.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pay::psp::stripe_signature::verify;
    use chrono::DateTime;
    use std::time::Duration;

    #[test]
    fn a_stripe_style_verifier_accepts_it_and_refuses_another_body() {
        let (secret, body) = (b"a shop secret of some length", br#"{"kind":"recommendation.created"}"#);
        let header = sign(secret, 1_900_000_000, body);
        let now = DateTime::from_timestamp(1_900_000_030, 0).unwrap();
        let tolerance = Duration::from_secs(300);
        assert_eq!(verify(secret, body, Some(&header), now, tolerance), Ok(()));
        assert!(verify(secret, b"{}", Some(&header), now, tolerance).is_err());
        assert!(verify(b"another secret", body, Some(&header), now, tolerance).is_err());
    }
}
