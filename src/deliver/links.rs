//! Signed links in every reminder: the pay-link (`{base_url}/pay/{token}`) and the unsubscribe
//! link (`{base_url}/unsubscribe/{token}`).
//!
//! A token is `base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`, unpadded. The
//! payload is short text, so that a link still leaves room in an SMS:
//! `p:<tenant>:<reminder id>:<expires, Unix seconds>` for a pay-link and
//! `u:<tenant>:<reminder id>:<channel>:<expires>` for an unsubscribe link. The reminder leads to
//! the case and the debtor; the ids are readable but worthless without the MAC, which is checked
//! in constant time before anything in the payload is believed.

use crate::domain::{ChannelKind, TenantId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

pub use crate::config::links::LinksConfig;
use crate::config::links::DEV_SECRET;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Pay,
    /// Opt out of reminders on this channel.
    Unsubscribe(ChannelKind),
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub purpose: LinkPurpose,
    pub tenant: TenantId,
    pub reminder_id: i64,
    /// Unix seconds; the link is refused from this second on.
    pub expires_at: i64,
}

/// Why a token is refused. Only the kind is told to the person holding the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link expired")]
    Expired { expired_at: i64 },
}

/// Signs and verifies links with one secret.
#[derive(Clone)]
pub struct Links {
    base_url: String,
    key: SecretString,
    pay_link_days: u32,
    unsubscribe_link_days: u32,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl Links {
    /// Links as configured (checked by [`LinksConfig::validate`]); without a secret the
    /// embedded mode's development secret.
    pub fn new(config: &LinksConfig) -> Self {
        Self {
            base_url: config.base_url.trim_end_matches('/').to_owned(),
            key: config.secret.clone().unwrap_or_else(|| SecretString::from(DEV_SECRET)),
            pay_link_days: config.pay_link_days,
            unsubscribe_link_days: config.unsubscribe_link_days,
        }
    }

    /// Scheme, host and path prefix of every link (`https://pay.acme.example`), no trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The pay-link of a reminder sent at `sent_at`.
    pub fn pay_url(&self, tenant: &TenantId, reminder_id: i64, sent_at: DateTime<Utc>) -> String {
        let claims = LinkClaims {
            purpose: LinkPurpose::Pay,
            tenant: tenant.clone(),
            reminder_id,
            expires_at: expiry(sent_at, self.pay_link_days),
        };
        format!("{}/pay/{}", self.base_url, self.sign(&claims))
    }

    /// The link that opts the debtor of a reminder out of `channel`.
    pub fn unsubscribe_url(
        &self,
        tenant: &TenantId,
        reminder_id: i64,
        channel: ChannelKind,
        sent_at: DateTime<Utc>,
    ) -> String {
        let claims = LinkClaims {
            purpose: LinkPurpose::Unsubscribe(channel),
            tenant: tenant.clone(),
            reminder_id,
            expires_at: expiry(sent_at, self.unsubscribe_link_days),
        };
        format!("{}/unsubscribe/{}", self.base_url, self.sign(&claims))
    }

    /// The token for `claims`.
    pub fn sign(&self, claims: &LinkClaims) -> String {
        self.seal(&encode_payload(claims))
    }

    /// A token carrying `payload` under this secret's MAC, in the links' format. Other link
    /// kinds (the recommendation clicks of `crate::pay::page::click`) start their payload with a
    /// letter of their own, so no kind's token passes for another's.
    pub fn seal(&self, payload: &str) -> String {
        let tag = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The payload of a token [`Links::seal`] made with this secret; the MAC is checked in
    /// constant time before anything else is read.
    pub fn unseal(&self, token: &str) -> Result<Vec<u8>, LinkError> {
        let (payload, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| LinkError::Malformed)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| LinkError::Malformed)?;
        if payload.is_empty() || tag.len() != 32 {
            return Err(LinkError::Malformed);
        }
        // verify_slice compares in constant time (and refuses a tag of the wrong length).
        self.mac(&payload).verify_slice(&tag).map_err(|_| LinkError::BadSignature)?;
        Ok(payload)
    }

    /// The claims of `token` if it was signed with this secret and has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkClaims, LinkError> {
        let payload = self.unseal(token)?;
        let claims = decode_payload(&payload).ok_or(LinkError::Malformed)?;
        if now.timestamp() >= claims.expires_at {
            return Err(LinkError::Expired { expired_at: claims.expires_at });
        }
        Ok(claims)
    }

    /// The tenant of `token` when its signature holds, expired or not: a refused pay-page can
    /// still name the creditor to contact.
    pub fn signed_tenant(&self, token: &str) -> Option<TenantId> {
        let far_past = DateTime::<Utc>::MIN_UTC;
        match self.verify(token, far_past) {
            Ok(claims) => Some(claims.tenant),
            Err(_) => None,
        }
    }

    /// The token a pay-page's forms carry to prove they came from the page of `token` (CSRF):
    /// a MAC of the link's token under a separate label.
    pub fn form_token(&self, token: &str) -> String {
        let mut mac = self.mac(b"form:");
        mac.update(token.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    /// Whether `form_token` is the one of `token` (compared in constant time).
    pub fn form_token_matches(&self, token: &str, form_token: &str) -> bool {
        use subtle::ConstantTimeEq;
        let expected = self.form_token(token);
        expected.as_bytes().ct_eq(form_token.as_bytes()).into()
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(payload);
        mac
    }
}

fn expiry(sent_at: DateTime<Utc>, days: u32) -> i64 {
    sent_at.timestamp().saturating_add(i64::from(days) * 86_400)
}

fn encode_payload(claims: &LinkClaims) -> String {
    let (tenant, reminder, expires) = (claims.tenant.as_str(), claims.reminder_id, claims.expires_at);
    match claims.purpose {
        LinkPurpose::Pay => format!("p:{tenant}:{reminder}:{expires}"),
        LinkPurpose::Unsubscribe(channel) => format!("u:{tenant}:{reminder}:{channel}:{expires}"),
    }
}

fn decode_payload(payload: &[u8]) -> Option<LinkClaims> {
    let text = std::str::from_utf8(payload).ok()?;
    let fields: Vec<&str> = text.split(':').collect();
    let (purpose, tenant, reminder, expires) = match fields.as_slice() {
        ["p", tenant, reminder, expires] => (LinkPurpose::Pay, tenant, reminder, expires),
        ["u", tenant, reminder, channel, expires] => {
            (LinkPurpose::Unsubscribe(channel.parse().ok()?), tenant, reminder, expires)
        }
        _ => return None,
    };
    Some(LinkClaims {
        purpose,
        tenant: TenantId::parse(tenant).ok()?,
        reminder_id: reminder.parse().ok()?,
        expires_at: expires.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn links(secret: &str) -> Links {
        Links::new(&LinksConfig {
            base_url: "https://pay.acme.example/".into(),
            secret: Some(SecretString::from(secret)),
            ..LinksConfig::default()
        })
    }

    fn at(unix: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(unix, 0).unwrap()
    }

    fn token_of(url: &str) -> &str {
        url.rsplit('/').next().unwrap()
    }

    const SENT: i64 = 1_790_000_000;

    #[test]
    fn pay_links_verify_until_they_expire() {
        let links = links("a secret of sixteen+");
        let tenant = TenantId::parse("acme").unwrap();
        let url = links.pay_url(&tenant, 4711, at(SENT));
        assert!(url.starts_with("https://pay.acme.example/pay/"), "{url}");
        let expires = SENT + 60 * 86_400;
        let claims = links.verify(token_of(&url), at(expires - 1)).unwrap();
        assert_eq!(
            claims,
            LinkClaims {
                purpose: LinkPurpose::Pay,
                tenant: tenant.clone(),
                reminder_id: 4711,
                expires_at: expires
            }
        );
        assert_eq!(
            links.verify(token_of(&url), at(expires)),
            Err(LinkError::Expired { expired_at: expires })
        );
    }

    #[test]
    fn unsubscribe_links_name_the_channel() {
        let links = links("a secret of sixteen+");
        let url = links.unsubscribe_url(&TenantId::parse("acme").unwrap(), 9, ChannelKind::Email, at(SENT));
        assert!(url.starts_with("https://pay.acme.example/unsubscribe/"), "{url}");
        let claims = links.verify(token_of(&url), at(SENT + 400 * 86_400)).unwrap();
        assert_eq!(claims.purpose, LinkPurpose::Unsubscribe(ChannelKind::Email));
    }

    #[test]
    fn another_secret_or_garbage_is_refused_with_its_reason() {
        let url = links("a secret of sixteen+").pay_url(&TenantId::parse("acme").unwrap(), 1, at(SENT));
        let other = links("another secret, 16+");
        assert_eq!(other.verify(token_of(&url), at(SENT)), Err(LinkError::BadSignature));
        for garbage in ["", ".", "abc", "a.b.c", "!!!.###", "cDphY21lOjE6MQ"] {
            assert_eq!(other.verify(garbage, at(SENT)), Err(LinkError::Malformed), "{garbage:?}");
        }
    }

    #[test]
    fn a_pay_link_leaves_room_in_an_sms() {
        // A realistic tenant slug and a nine-digit reminder id: 60 characters of payload, 43 of
        // MAC (the full 32 bytes); with `https://pay.acme.example/pay/` the link is 133 of the 153
        // GSM-7 characters of a concatenated segment.
        let tenant = TenantId::parse("stadtwerke-musterstadt").unwrap();
        let url = links("a secret of sixteen+").pay_url(&tenant, 123_456_789, at(SENT));
        let token = token_of(&url);
        assert!(token.len() <= 104, "{} characters: {token}", token.len());
    }

    #[test]
    fn form_tokens_belong_to_their_link() {
        let ours = links("a secret of sixteen+");
        let tenant = TenantId::parse("acme").unwrap();
        let (one, two) = (ours.pay_url(&tenant, 1, at(SENT)), ours.pay_url(&tenant, 2, at(SENT)));
        let form = ours.form_token(token_of(&one));
        assert!(ours.form_token_matches(token_of(&one), &form));
        assert!(!ours.form_token_matches(token_of(&two), &form));
        assert!(!ours.form_token_matches(token_of(&one), ""));
        assert!(!links("another secret, 16+").form_token_matches(token_of(&one), &form));
        // Expired links still name their tenant; forged ones do not.
        assert_eq!(ours.signed_tenant(token_of(&one)), Some(tenant));
        assert_eq!(links("another secret, 16+").signed_tenant(token_of(&one)), None);
    }

    #[test]
    fn production_needs_a_secret() {
        let config = LinksConfig::default();
        config.validate(false).unwrap();
        assert!(config.validate(true).unwrap_err().to_string().contains("links.secret"));
        let bad = LinksConfig { base_url: "pay.example.org".into(), ..LinksConfig::default() };
        assert!(bad.validate(false).unwrap_err().to_string().contains("links.base_url"));
    }

    proptest! {
        #[test]
        fn round_trip(tenant in "[a-z0-9][a-z0-9_-]{0,30}", reminder in any::<i64>(), channel in 0usize..5, sent in 0i64..4_000_000_000) {
            let links = links("a secret of sixteen+");
            let tenant = TenantId::parse(&tenant).unwrap();
            let pay = links.pay_url(&tenant, reminder, at(sent));
            let claims = links.verify(token_of(&pay), at(sent)).unwrap();
            prop_assert_eq!((claims.purpose, claims.tenant.clone(), claims.reminder_id), (LinkPurpose::Pay, tenant.clone(), reminder));
            let channel = ChannelKind::ALL[channel];
            let unsubscribe = links.unsubscribe_url(&tenant, reminder, channel, at(sent));
            prop_assert_eq!(links.verify(token_of(&unsubscribe), at(sent)).unwrap().purpose, LinkPurpose::Unsubscribe(channel));
        }

        #[test]
        fn any_flipped_bit_is_refused(reminder in any::<i64>(), index in any::<prop::sample::Index>(), bit in 0u8..8) {
            let links = links("a secret of sixteen+");
            let url = links.pay_url(&TenantId::parse("acme").unwrap(), reminder, at(SENT));
            let mut token = token_of(&url).as_bytes().to_vec();
            let i = index.index(token.len());
            token[i] ^= 1 << bit;
            let token = String::from_utf8_lossy(&token);
            prop_assert!(links.verify(&token, at(SENT)).is_err(), "{} accepted", token);
        }

        #[test]
        fn a_changed_payload_fails_the_signature(reminder in 0i64..1_000_000, other in 1_000_000i64..2_000_000) {
            let links = links("a secret of sixteen+");
            let url = links.pay_url(&TenantId::parse("acme").unwrap(), reminder, at(SENT));
            let (_, tag) = token_of(&url).split_once('.').unwrap();
            let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(format!("p:acme:{other}:{}", SENT + 86_400)));
            prop_assert_eq!(links.verify(&forged, at(SENT)), Err(LinkError::BadSignature));
        }
    }
}
