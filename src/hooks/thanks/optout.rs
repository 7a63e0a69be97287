//! The opt-out link in every thank-you message: `{base_url}/optout/{token}`, the token sealed
//! like a pay-link (`crate::deliver::Links`) over
//! `m:<tenant>:<thank-you message id>:<expires, Unix seconds>`. The message leads to the debtor
//! and the channel it went out on; following the link (a POST: the page's button, or a mail
//! client's RFC 8058 one-click) records an objection to marketing there
//! ([`record_objection`]). Nothing in the token is believed before the MAC is checked.

use crate::deliver::{LinkError, Links};
use crate::domain::{ChannelKind, ConsentKind, ConsentSource, TenantId};
use crate::intake::marketing::{record_event, ConsentChange};
use crate::store::marketing::MarketingConsentEvent;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// How long an opt-out link works after its message was sent: long, since § 7 (3) UWG wants
/// objecting to be possible at any time.
pub const OPT_OUT_LINK_DAYS: i64 = 3 * 365;

/// What a verified opt-out token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    pub tenant: TenantId,
    /// The thank-you message it was sent in.
    pub message_id: i64,
    /// Unix seconds; refused from this second on.
    pub expires_at: i64,
}

impl OptOut {
    /// The opt-out of message `message_id`, valid for [`OPT_OUT_LINK_DAYS`] from `now`.
    pub fn new(tenant: TenantId, message_id: i64, now: DateTime<Utc>) -> Self {
        let expires_at = now.timestamp().saturating_add(OPT_OUT_LINK_DAYS * 86_400);
        Self { tenant, message_id, expires_at }
    }

    /// The link, absolute.
    pub fn url(&self, links: &Links) -> String {
        let payload = format!("m:{}:{}:{}", self.tenant.as_str(), self.message_id, self.expires_at);
        format!("{}/optout/{}", links.base_url(), links.seal(&payload))
    }

    /// The opt-out a token names, if `links` sealed it and it has not expired at `now`.
    pub fn verify(links: &Links, token: &str, now: DateTime<Utc>) -> Result<OptOut, LinkError> {
        let payload = links.unseal(token)?;
        let text = std::str::from_utf8(&payload).map_err(|_| LinkError::Malformed)?;
        let ["m", tenant, message_id, expires] = text.split(':').collect::<Vec<_>>()[..] else {
            return Err(LinkError::Malformed);
        };
        let opt_out = OptOut {
            tenant: TenantId::parse(tenant).map_err(|_| LinkError::Malformed)?,
            message_id: message_id.parse().map_err(|_| LinkError::Malformed)?,
            expires_at: expires.parse().map_err(|_| LinkError::Malformed)?,
        };
        if now.timestamp() >= opt_out.expires_at {
            return Err(LinkError::Expired { expired_at: opt_out.expires_at });
        }
        Ok(opt_out)
    }
}

/// What following an opt-out link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objection {
    /// Recorded for the message's debtor on this channel.
    Recorded(ChannelKind),
    /// An objection was in force there already: nothing written (a replayed link).
    AlreadyInForce(ChannelKind),
    /// A consent given after this instant is in force there: nothing written. Only a clock
    /// behind the one that stamped the consent gets here (intake and console never stamp a
    /// consent later than its recording); the link works again once the clock has passed it.
    LaterConsentInForce(ChannelKind),
    /// The tenant has no such message.
    UnknownMessage,
}

/// Records the debtor's objection to marketing on the channel the message went out on, made
/// now, where it changes the consent in force there ([`record_event`]), in one transaction.
pub async fn record_objection(
    store: &dyn Store,
    opt_out: &OptOut,
    now: DateTime<Utc>,
) -> Result<Objection, StoreError> {
    let mut tx = store.begin().await?;
    let Some((debtor, channel)) = tx.thank_you_recipient(&opt_out.tenant, opt_out.message_id).await? else {
        tx.rollback().await?;
        return Ok(Objection::UnknownMessage);
    };
    let event = MarketingConsentEvent {
        tenant: opt_out.tenant.clone(),
        debtor,
        channel,
        kind: ConsentKind::OptOut,
        at: now,
        source: ConsentSource::OptOutLink,
        detail: Some(format!("thank-you message {}", opt_out.message_id)),
    };
    let outcome = match record_event(tx.as_mut(), &event, now).await? {
        ConsentChange::Recorded => Objection::Recorded(channel),
        ConsentChange::AlreadyInForce => Objection::AlreadyInForce(channel),
        ConsentChange::Superseded { .. } => Objection::LaterConsentInForce(channel),
        ConsentChange::UnknownDebtor => Objection::UnknownMessage,
    };
    tx.commit().await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliver::LinksConfig;
    use secrecy::SecretString;

    #[test]
    fn an_opt_out_link_reads_back_and_no_other_link_passes_for_one() {
        let links = Links::new(&LinksConfig {
            base_url: "https://pay.acme.example".into(),
            secret: Some(SecretString::from("k1")),
            ..LinksConfig::default()
        });
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let opt_out = OptOut::new(TenantId::parse("acme").unwrap(), 42, now);
        let url = opt_out.url(&links);
        let token = url.strip_prefix("https://pay.acme.example/optout/").unwrap();
        assert_eq!(OptOut::verify(&links, token, now), Ok(opt_out.clone()));
        let mut forged = token.to_owned();
        forged.replace_range(0..1, if forged.starts_with('Y') { "Z" } else { "Y" });
        assert!(OptOut::verify(&links, &forged, now).is_err());
        let click = crate::pay::page::click::Click::new(opt_out.tenant.clone(), 42, 1, now).path(&links);
        assert_eq!(OptOut::verify(&links, click.trim_start_matches("/r/"), now), Err(LinkError::Malformed));
        let later = DateTime::from_timestamp(opt_out.expires_at, 0).unwrap();
        assert!(matches!(OptOut::verify(&links, token, later), Err(LinkError::Expired { .. })));
    }
}
