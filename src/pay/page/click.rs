//! The signed link behind each recommended item on the thank-you view:
//! `{base_url}/r/{token}`, the token sealed like a pay-link (`crate::deliver::Links`) over
//! `c:<tenant>:<case id>:<rank>:<expires, Unix seconds>`. The case leads to what was
//! recommended; the rank picks the item. Nothing in it is believed before the MAC is checked.

use crate::deliver::{LinkError, Links};
use crate::domain::TenantId;
use chrono::{DateTime, Utc};

/// How long a click link stays valid after the thank-you view showed it.
pub const CLICK_LINK_DAYS: i64 = 90;

/// What a verified click token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    pub tenant: TenantId,
    pub case_id: i64,
    /// The item's place in the list, from 1.
    pub rank: u32,
    /// Unix seconds; refused from this second on.
    pub expires_at: i64,
}

impl Click {
    /// The click on item `rank` of the case's recommendations, valid for [`CLICK_LINK_DAYS`]
    /// from `now`.
    pub fn new(tenant: TenantId, case_id: i64, rank: u32, now: DateTime<Utc>) -> Self {
        Click { tenant, case_id, rank, expires_at: now.timestamp().saturating_add(CLICK_LINK_DAYS * 86_400) }
    }

    /// The link of this click.
    pub fn url(&self, links: &Links) -> String {
        format!("{}{}", links.base_url(), self.path(links))
    }

    /// The link's path, `/r/{token}`: the thank-you view links relative to itself, since the
    /// pay-page and the redirect are served by the same API.
    pub fn path(&self, links: &Links) -> String {
        let payload =
            format!("c:{}:{}:{}:{}", self.tenant.as_str(), self.case_id, self.rank, self.expires_at);
        format!("/r/{}", links.seal(&payload))
    }

    /// The click a token names, if `links` sealed it and it has not expired at `now`.
    pub fn verify(links: &Links, token: &str, now: DateTime<Utc>) -> Result<Click, LinkError> {
        let payload = links.unseal(token)?;
        let text = std::str::from_utf8(&payload).map_err(|_| LinkError::Malformed)?;
        let ["c", tenant, case_id, rank, expires] = text.split(':').collect::<Vec<_>>()[..] else {
            return Err(LinkError::Malformed);
        };
        let click = Click {
            tenant: TenantId::parse(tenant).map_err(|_| LinkError::Malformed)?,
            case_id: case_id.parse().map_err(|_| LinkError::Malformed)?,
            rank: rank.parse().map_err(|_| LinkError::Malformed)?,
            expires_at: expires.parse().map_err(|_| LinkError::Malformed)?,
        };
        if now.timestamp() >= click.expires_at {
            return Err(LinkError::Expired { expired_at: click.expires_at });
        }
        Ok(click)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliver::{LinkClaims, LinkPurpose, LinksConfig};
    use secrecy::SecretString;

    fn links(secret: &str) -> Links {
        Links::new(&LinksConfig {
            base_url: "https://pay.acme.example".into(),
            secret: Some(SecretString::from(secret)),
            ..LinksConfig::default()
        })
    }

    fn click() -> Click {
        Click { tenant: TenantId::parse("acme").unwrap(), case_id: 42, rank: 2, expires_at: 2_000_000_000 }
    }

    fn token(url: &str) -> &str {
        url.rsplit('/').next().unwrap()
    }

    #[test]
    fn a_click_link_reads_back_and_a_tampered_one_is_refused() {
        let (links, now) = (links("k1"), DateTime::from_timestamp(1_900_000_000, 0).unwrap());
        let url = click().url(&links);
        assert!(url.starts_with("https://pay.acme.example/r/"), "{url}");
        assert_eq!(Click::verify(&links, token(&url), now), Ok(click()));
        let mut forged = token(&url).to_owned();
        forged.replace_range(0..1, if forged.starts_with('Y') { "Z" } else { "Y" });
        assert!(Click::verify(&links, &forged, now).is_err());
        assert_eq!(Click::verify(&self::links("k2"), token(&url), now), Err(LinkError::BadSignature));
        let later = DateTime::from_timestamp(2_000_000_000, 0).unwrap();
        assert!(matches!(Click::verify(&links, token(&url), later), Err(LinkError::Expired { .. })));
    }

    #[test]
    fn a_pay_link_is_no_click_link() {
        let links = links("k1");
        let claims = LinkClaims {
            purpose: LinkPurpose::Pay,
            tenant: TenantId::parse("acme").unwrap(),
            reminder_id: 42,
            expires_at: 2_000_000_000,
        };
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        assert_eq!(Click::verify(&links, &links.sign(&claims), now), Err(LinkError::Malformed));
    }
}
