//! Checks that a webhook really comes from the provider before any status or opt-out in it is
//! believed: Meta's `X-Hub-Signature-256` (WhatsApp Cloud API, Messenger), Twilio's
//! `X-Twilio-Signature` (SMS status callbacks and inbound messages) and Pingen's `Signature`
//! (letter webhooks).
//!
//! - Meta: `sha256=` + lower-case hex of HMAC-SHA256 keyed with the app secret over the raw
//!   request body, byte for byte as received. Meta signs the body as it sends it (non-ASCII
//!   already escaped as `\uXXXX`), so the body must never be re-serialised before checking.
//! - Twilio: base64 of HMAC-SHA1 keyed with the auth token over the full URL Twilio called
//!   (scheme, host, path, query) followed by every POST parameter, sorted by name, as name and
//!   value with no separator. JSON callbacks instead carry `bodySHA256=<hex SHA-256 of the body>`
//!   in the signed URL. Like Twilio's own validators, the URL is also tried with the default port
//!   added or removed, since proxies differ in whether they report it.
//! - Pingen: lower-case hex of HMAC-SHA256 keyed with the webhook's signing key over the raw
//!   body, bare (no `sha256=` prefix), in the `Signature` header — as Pingen's SDKs check it
//!   (pingencom/pingen2-sdk-js `src/webhook.ts`, -python `incoming_webhook.py`, -rust
//!   `src/webhook.rs`).
//!
//! Comparisons are constant-time (`hmac`'s `verify_slice`, `subtle` for tokens) so response times
//! do not leak how much of a forged signature was right. Secrets come in as bytes: keep them in a
//! `SecretString` and expose them only for the call.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;
type HmacSha1 = Hmac<Sha1>;

/// Why a webhook is not accepted. Every variant means: answer 401 and change nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature header is missing or empty")]
    Missing,
    #[error("signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("signature does not match the request")]
    Mismatch,
}

/// The `X-Hub-Signature-256` header name.
pub const META_SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
/// The `X-Twilio-Signature` header name.
pub const TWILIO_SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// The header Pingen signs its webhooks in.
pub const PINGEN_SIGNATURE_HEADER: &str = "Signature";

/// The `Signature` value Pingen sends for `raw_body`; for tests and local stand-ins.
pub fn pingen_signature(signing_key: &[u8], raw_body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(signing_key).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    hex(&mac.finalize().into_bytes())
}

/// Verifies Pingen's `Signature` header (`None` if absent) against the raw body.
pub fn verify_pingen(
    signing_key: &[u8],
    raw_body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = present(header)?;
    let claimed = unhex(header).ok_or(SignatureError::Malformed("expected the hex of an HMAC-SHA256"))?;
    let mut mac = HmacSha256::new_from_slice(signing_key).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    mac.verify_slice(&claimed).map_err(|_| SignatureError::Mismatch)
}

/// The `X-Hub-Signature-256` value Meta sends for `raw_body`; for tests and local stand-ins.
pub fn meta_signature(app_secret: &[u8], raw_body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// Verifies Meta's `X-Hub-Signature-256` header (`None` if absent) against the raw body.
pub fn verify_meta(app_secret: &[u8], raw_body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = present(header)?;
    let hex_digest =
        header.strip_prefix("sha256=").ok_or(SignatureError::Malformed("expected sha256=<hex>"))?;
    let claimed = unhex(hex_digest).ok_or(SignatureError::Malformed("digest is not hexadecimal"))?;
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    mac.verify_slice(&claimed).map_err(|_| SignatureError::Mismatch)
}

/// Answers Meta's subscription handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&
/// hub.challenge=…`): the challenge to echo back if the mode is `subscribe` and the token is
/// ours, `None` (answer 403) otherwise.
pub fn meta_subscription_challenge<'a>(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&'a str>,
    expected_token: &[u8],
) -> Option<&'a str> {
    let token_ok: bool = verify_token.unwrap_or("").as_bytes().ct_eq(expected_token).into();
    (mode == Some("subscribe") && token_ok && !expected_token.is_empty()).then_some(challenge?)
}

/// The `X-Twilio-Signature` value Twilio sends for a form POST to `url` with `params`.
pub fn twilio_signature<K, V>(auth_token: &[u8], url: &str, params: &[(K, V)]) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    BASE64.encode(twilio_mac(auth_token, url, params).finalize().into_bytes())
}

/// Verifies `X-Twilio-Signature` for a form-encoded POST. `url` is the full URL Twilio called,
/// query included; `params` are the decoded form fields, in any order, repeated names allowed.
pub fn verify_twilio<K, V>(
    auth_token: &[u8],
    url: &str,
    params: &[(K, V)],
    header: Option<&str>,
) -> Result<(), SignatureError>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let header = present(header)?;
    let claimed = BASE64.decode(header).map_err(|_| SignatureError::Malformed("not base64"))?;
    let matched = url_variants(url)
        .iter()
        .any(|candidate| twilio_mac(auth_token, candidate, params).verify_slice(&claimed).is_ok());
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Verifies `X-Twilio-Signature` for a JSON POST: the signature covers the URL only, and the URL's
/// `bodySHA256` query parameter must be the SHA-256 of the raw body.
pub fn verify_twilio_json(
    auth_token: &[u8],
    url: &str,
    raw_body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    verify_twilio::<&str, &str>(auth_token, url, &[], header)?;
    let claimed = query_param(url, "bodySHA256").ok_or(SignatureError::Malformed("URL has no bodySHA256"))?;
    let claimed = unhex(claimed).ok_or(SignatureError::Malformed("bodySHA256 is not hexadecimal"))?;
    let actual = Sha256::digest(raw_body);
    if bool::from(actual.as_slice().ct_eq(&claimed)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn twilio_mac<K, V>(auth_token: &[u8], url: &str, params: &[(K, V)]) -> HmacSha1
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut sorted: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    // By name, and by value within a repeated name, as Twilio's helper libraries do.
    sorted.sort_unstable();
    let mut mac = HmacSha1::new_from_slice(auth_token).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

fn present(header: Option<&str>) -> Result<&str, SignatureError> {
    match header.map(str::trim) {
        Some(h) if !h.is_empty() => Ok(h),
        _ => Err(SignatureError::Missing),
    }
}

/// The URL as given, plus the same URL with the scheme's default port removed or added.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let (userinfo, host_port) = authority.split_at(host_start);
    // A port follows the last ':' unless that colon is inside an IPv6 literal's brackets.
    let (host, port) = match host_port.rfind(':') {
        Some(i) if !host_port[i..].contains(']') => (&host_port[..i], Some(&host_port[i + 1..])),
        _ => (host_port, None),
    };
    let other = match port {
        Some(p) if p == default_port => format!("{scheme}://{userinfo}{host}{tail}"),
        Some(_) => return variants,
        None => format!("{scheme}://{userinfo}{host}:{default_port}{tail}"),
    };
    variants.push(other);
    variants
}

/// The raw value of the first `name=` in the URL's query.
fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    // `from_str_radix` alone would take a sign too (`+f`).
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Twilio's documented example: auth token 12345, a `<Gather>` POST to this URL.
    const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn twilio_params(caller: &str) -> Vec<(&'static str, String)> {
        vec![
            ("CallSid", "CA1234567890ABCDE".to_owned()),
            ("Caller", caller.to_owned()),
            ("Digits", "1234".to_owned()),
            ("From", caller.to_owned()),
            ("To", "+18005551212".to_owned()),
        ]
    }

    #[test]
    fn twilio_documented_examples() {
        // The current docs' example and the older helper-library docs' example.
        for (caller, signature) in [
            ("+14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc="),
            ("+14158675309", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ] {
            let params = twilio_params(caller);
            assert_eq!(twilio_signature(b"12345", TWILIO_URL, &params), signature);
            assert_eq!(verify_twilio(b"12345", TWILIO_URL, &params, Some(signature)), Ok(()));
            let mut reversed = params.clone();
            reversed.reverse();
            assert_eq!(verify_twilio(b"12345", TWILIO_URL, &reversed, Some(signature)), Ok(()));
        }
    }

    #[test]
    fn twilio_forgeries_are_refused() {
        let params = twilio_params("+14158675310");
        let good = Some("GvWf1cFY/Q7PnoempGyD5oXAezc=");
        assert_eq!(verify_twilio(b"12346", TWILIO_URL, &params, good), Err(SignatureError::Mismatch));
        let other_url = "https://mycompany.com/myapp.php?foo=1&bar=3";
        assert_eq!(verify_twilio(b"12345", other_url, &params, good), Err(SignatureError::Mismatch));
        let mut tampered = params.clone();
        tampered[2].1 = "9999".into();
        assert_eq!(verify_twilio(b"12345", TWILIO_URL, &tampered, good), Err(SignatureError::Mismatch));
        let mut extra = params.clone();
        extra.push(("OptOutType", "STOP".into()));
        assert_eq!(verify_twilio(b"12345", TWILIO_URL, &extra, good), Err(SignatureError::Mismatch));
        assert_eq!(verify_twilio(b"12345", TWILIO_URL, &params, None), Err(SignatureError::Missing));
        assert_eq!(verify_twilio(b"12345", TWILIO_URL, &params, Some(" ")), Err(SignatureError::Missing));
        assert!(matches!(
            verify_twilio(b"12345", TWILIO_URL, &params, Some("not base64!")),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn twilio_url_with_or_without_default_port() {
        let params = twilio_params("+14158675310");
        let signature = twilio_signature(b"12345", TWILIO_URL, &params);
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(verify_twilio(b"12345", with_port, &params, Some(&signature)), Ok(()));
        let signed_with_port = twilio_signature(b"12345", with_port, &params);
        assert_eq!(verify_twilio(b"12345", TWILIO_URL, &params, Some(&signed_with_port)), Ok(()));
        let other_port = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
        assert_eq!(
            verify_twilio(b"12345", other_port, &params, Some(&signature)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn url_variants_cover_userinfo_and_ipv6() {
        assert_eq!(
            url_variants("https://user:pw@example.com/cb"),
            ["https://user:pw@example.com/cb", "https://user:pw@example.com:443/cb"]
        );
        assert_eq!(url_variants("http://[::1]:80/cb?x=1"), ["http://[::1]:80/cb?x=1", "http://[::1]/cb?x=1"]);
        assert_eq!(url_variants("http://[::1]/cb"), ["http://[::1]/cb", "http://[::1]:80/cb"]);
        assert_eq!(url_variants("http://127.0.0.1:3000/cb"), ["http://127.0.0.1:3000/cb"]);
        assert_eq!(url_variants("not a url"), ["not a url"]);
    }

    #[test]
    fn twilio_json_body_hash() {
        // The body and its SHA-256 from Twilio's JSON webhook example.
        let body = br#"{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}"#;
        let url = "https://example.com/myapp?bodySHA256=5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9";
        let signature = twilio_signature::<&str, &str>(b"12345", url, &[]);
        assert_eq!(verify_twilio_json(b"12345", url, body, Some(&signature)), Ok(()));
        let forged_body = br#"{"CallSid":"CA1234567890ABCDE","Caller":"+10000000000"}"#;
        assert_eq!(
            verify_twilio_json(b"12345", url, forged_body, Some(&signature)),
            Err(SignatureError::Mismatch)
        );
        let no_hash = "https://example.com/myapp";
        let signature = twilio_signature::<&str, &str>(b"12345", no_hash, &[]);
        assert!(matches!(
            verify_twilio_json(b"12345", no_hash, body, Some(&signature)),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn meta_known_vector() {
        // The X-Hub-Signature-256 scheme's published example (GitHub's webhook docs use the same
        // header and construction): secret "It's a Secret to Everybody", body "Hello, World!".
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(meta_signature(b"It's a Secret to Everybody", b"Hello, World!"), header);
        assert_eq!(verify_meta(b"It's a Secret to Everybody", b"Hello, World!", Some(header)), Ok(()));
        let upper = header.to_ascii_uppercase().replace("SHA256=", "sha256=");
        assert_eq!(verify_meta(b"It's a Secret to Everybody", b"Hello, World!", Some(&upper)), Ok(()));
    }

    #[test]
    fn meta_forgeries_are_refused() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let header = meta_signature(b"app-secret", body);
        assert_eq!(verify_meta(b"app-secret", body, Some(&header)), Ok(()));
        assert_eq!(verify_meta(b"other-secret", body, Some(&header)), Err(SignatureError::Mismatch));
        assert_eq!(verify_meta(b"app-secret", b"{}", Some(&header)), Err(SignatureError::Mismatch));
        assert_eq!(verify_meta(b"app-secret", body, None), Err(SignatureError::Missing));
        let sha1_style = header.replace("sha256=", "sha1=");
        assert!(matches!(
            verify_meta(b"app-secret", body, Some(&sha1_style)),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify_meta(b"app-secret", body, Some("sha256=xyz")),
            Err(SignatureError::Malformed(_))
        ));
        // A truncated digest is a mismatch, not a shorter comparison.
        assert_eq!(verify_meta(b"app-secret", body, Some(&header[..41])), Err(SignatureError::Mismatch));
    }

    #[test]
    fn pingen_known_vector() {
        // The payload and key of the signature test in Pingen's JavaScript SDK
        // (tests/webhook.test.ts); the digest computed independently with
        // `printf '%s' "$BODY" | openssl dgst -sha256 -hmac webhook_test_secret123`.
        let body = br#"{"data":{"type":"webhook_issues","id":"309a31e0-1abe-4034-8e7e-1fd473a802fd"}}"#;
        let digest = "a9430cd1f90b01383b32bc31948fa29ee521efa4eb4583a5f9a8cc081d9bd95c";
        assert_eq!(pingen_signature(b"webhook_test_secret123", body), digest);
        assert_eq!(verify_pingen(b"webhook_test_secret123", body, Some(digest)), Ok(()));
    }

    #[test]
    fn pingen_forgeries_are_refused() {
        let body = br#"{"data":{"type":"webhook_sent","id":"aaaaaaaa-1111-2222-3333-444444444444"}}"#;
        let good = pingen_signature(b"key", body);
        assert_eq!(verify_pingen(b"other", body, Some(&good)), Err(SignatureError::Mismatch));
        assert_eq!(verify_pingen(b"key", b"{}", Some(&good)), Err(SignatureError::Mismatch));
        assert_eq!(verify_pingen(b"key", body, None), Err(SignatureError::Missing));
        assert_eq!(verify_pingen(b"key", body, Some("")), Err(SignatureError::Missing));
        // Meta's prefixed form is not Pingen's.
        let prefixed = format!("sha256={good}");
        assert!(matches!(verify_pingen(b"key", body, Some(&prefixed)), Err(SignatureError::Malformed(_))));
        assert_eq!(verify_pingen(b"key", body, Some(&good[..62])), Err(SignatureError::Mismatch));
    }

    #[test]
    fn meta_subscription_handshake() {
        let ok = meta_subscription_challenge(Some("subscribe"), Some("tok"), Some("1158201444"), b"tok");
        assert_eq!(ok, Some("1158201444"));
        assert_eq!(meta_subscription_challenge(Some("subscribe"), Some("bad"), Some("1"), b"tok"), None);
        assert_eq!(meta_subscription_challenge(Some("unsubscribe"), Some("tok"), Some("1"), b"tok"), None);
        assert_eq!(meta_subscription_challenge(Some("subscribe"), None, Some("1"), b"tok"), None);
        assert_eq!(meta_subscription_challenge(Some("subscribe"), Some(""), Some("1"), b""), None);
        assert_eq!(meta_subscription_challenge(Some("subscribe"), Some("tok"), None, b"tok"), None);
    }

    proptest! {
        #[test]
        fn meta_sign_then_verify(secret in prop::collection::vec(any::<u8>(), 1..80),
                                 body in prop::collection::vec(any::<u8>(), 0..400),
                                 flip in any::<prop::sample::Index>(), bit in 0u8..8) {
            let header = meta_signature(&secret, &body);
            prop_assert_eq!(verify_meta(&secret, &body, Some(&header)), Ok(()));
            if !body.is_empty() {
                let mut forged = body.clone();
                forged[flip.index(body.len())] ^= 1 << bit;
                prop_assert_eq!(verify_meta(&secret, &forged, Some(&header)), Err(SignatureError::Mismatch));
            }
        }

        #[test]
        fn twilio_order_does_not_matter_values_do(
            params in prop::collection::vec(("[A-Za-z]{1,12}", "\\PC{0,20}"), 0..8),
            seed in any::<u64>(), victim in any::<prop::sample::Index>(),
        ) {
            let url = "https://hooks.example.com/sms/status?tenant=t1";
            let signature = twilio_signature(b"token", url, &params);
            let mut shuffled = params.clone();
            let len = shuffled.len();
            if len > 1 {
                shuffled.rotate_left((seed as usize) % len);
            }
            prop_assert_eq!(verify_twilio(b"token", url, &shuffled, Some(&signature)), Ok(()));
            if !params.is_empty() {
                let mut changed = params.clone();
                changed[victim.index(len)].1.push('x');
                prop_assert_eq!(verify_twilio(b"token", url, &changed, Some(&signature)), Err(SignatureError::Mismatch));
            }
        }

        #[test]
        fn garbage_headers_never_pass(header in "\\PC{0,60}", body in "\\PC{0,60}") {
            prop_assert!(verify_meta(b"s", body.as_bytes(), Some(&header)).is_err());
            prop_assert!(verify_pingen(b"s", body.as_bytes(), Some(&header)).is_err());
            prop_assert!(verify_twilio::<&str, &str>(b"s", "https://x.test/", &[], Some(&header)).is_err());
        }
    }
}
