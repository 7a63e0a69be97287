//! `[creditors.<tenant>]`: the creditor as its debtors know it, and its bank account.

use super::bookkeeping::Bookkeeping;
use crate::domain::legal::{Germany, GermanyConfig};
use crate::domain::CountryCode;
use mahnwerk_channels::iban::{Bic, Iban};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The creditor as its debtors know it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Creditor {
    /// Display name, e.g. "ACME Stadtwerke GmbH".
    pub name: String,
    /// Sender address of reminder emails.
    pub email: String,
    /// Where debtors can call to talk about the claim.
    #[serde(default)]
    pub phone: Option<String>,
    /// Letterhead lines under the name (street, postal code and city).
    #[serde(default)]
    pub address_lines: Vec<String>,
    /// The creditor's country (ISO 3166-1, e.g. `"AT"`); default `DE`. A letter to an address in
    /// another country ends its address with that country's name in this country's language
    /// (`POLEN` from Germany); a domestic letter has no country line.
    #[serde(default)]
    pub country: Option<CountryCode>,
    /// Where debtors transfer to: printed on letters with an EPC QR code.
    #[serde(default)]
    pub bank: Option<CreditorBank>,
    /// The logo shown on the pay-page (an `https://` URL, or a `data:image/...` URL).
    #[serde(default)]
    pub logo_url: Option<String>,
    /// The pay-page's accent colour, `#rrggbb`.
    #[serde(default)]
    pub accent_colour: Option<String>,
    /// Legal lines at the foot of the pay-page (registered office, register number, VAT id).
    #[serde(default)]
    pub legal_footer: Option<String>,
    /// `[creditors.<tenant>.legal]`: the German rules' settings (`reminder_fee_cap`,
    /// `day_count`, `extra_base_rates`); default: the statute's and the shipped rate table.
    #[serde(default)]
    pub legal: GermanyConfig,
    /// What the last stage's reminder announces for after its deadline: `collection_agency`
    /// (default), `court_dunning` or `none` (the deadline only).
    #[serde(default)]
    pub final_consequence: crate::domain::Consequence,
    /// `[creditors.<tenant>.bookkeeping]`: the accounts of the bookings export and the DATEV
    /// numbers; default SKR03 (see [`Bookkeeping`]).
    #[serde(default)]
    pub bookkeeping: Bookkeeping,
    /// Whether a debtor gets a thank-you message with product recommendations after a payment
    /// closed their case, where consent allows it (email to existing customers unless they
    /// objected; other channels only with an explicit marketing consent). Default `false`.
    #[serde(default)]
    pub thank_you_message: bool,
    /// Where the shop webhook POSTs each `recommendation.created` body after a payment (an
    /// `https://` URL; `http://` only for a host on this machine). Unset: the hook is off for
    /// the tenant. Needs `shop_webhook_secret`.
    #[serde(default)]
    pub shop_webhook_url: Option<String>,
    /// The HMAC-SHA256 key the shop webhook signs with (at least 16 characters; never printed).
    #[serde(default)]
    pub shop_webhook_secret: Option<WebhookSecret>,
}

/// A webhook's signing key, kept out of logs and `Debug`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct WebhookSecret(pub SecretString);

impl PartialEq for WebhookSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Eq for WebhookSecret {}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// The creditor's account for transfers (`[creditors.<tenant>.bank]`). IBAN and BIC are checked
/// when the configuration is read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditorBank {
    pub iban: Iban,
    #[serde(default)]
    pub bic: Option<Bic>,
    /// The beneficiary's name; default the creditor's name.
    #[serde(default)]
    pub account_holder: Option<String>,
}

impl Creditor {
    /// The law the creditor's claims are computed under (checked by [`Creditor::validate`]).
    pub fn law(&self) -> Germany {
        Germany::new(self.legal.clone()).unwrap_or_else(|e| {
            tracing::warn!(creditor = %self.name, error = %e, "legal settings refused; the statute's defaults apply");
            Germany::default()
        })
    }

    /// The country letters are sent from: [`Creditor::country`], else Germany.
    pub fn country(&self) -> &str {
        self.country.as_ref().map_or("DE", |country| country.as_str())
    }

    /// Checks what the pay-page puts into its HTML and CSS: the accent colour must be `#rrggbb`
    /// and the logo an `https://` or `data:image/` URL. Errors name the field.
    pub fn validate(&self, tenant: &str) -> Result<(), String> {
        if let Err(e) = Germany::new(self.legal.clone()) {
            return Err(format!("creditors.{tenant}.legal: {e}"));
        }
        self.bookkeeping.validate(tenant)?;
        if let Some(colour) = &self.accent_colour {
            let hex = colour.strip_prefix('#').unwrap_or("");
            if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("creditors.{tenant}.accent_colour must be #rrggbb, got {colour:?}"));
            }
        }
        if let Some(logo) = &self.logo_url {
            let allowed = logo.starts_with("https://") || logo.starts_with("data:image/");
            if !allowed || logo.contains(['"', '<', '>', ' ']) {
                return Err(format!(
                    "creditors.{tenant}.logo_url must be an https:// or data:image/ URL, got {logo:?}"
                ));
            }
        }
        self.validate_shop_webhook(tenant)
    }

    /// The shop webhook needs both its URL and its secret, or neither.
    fn validate_shop_webhook(&self, tenant: &str) -> Result<(), String> {
        match (&self.shop_webhook_url, &self.shop_webhook_secret) {
            (None, None) => Ok(()),
            (Some(_), None) => {
                Err(format!("creditors.{tenant}.shop_webhook_secret is missing (shop_webhook_url is set)"))
            }
            (None, Some(_)) => {
                Err(format!("creditors.{tenant}.shop_webhook_url is missing (shop_webhook_secret is set)"))
            }
            (Some(url), Some(secret)) => {
                let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|prefix| {
                    url.strip_prefix(prefix)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
                });
                if !(url.starts_with("https://") || local) || url.contains(char::is_whitespace) {
                    return Err(format!(
                        "creditors.{tenant}.shop_webhook_url must be an https:// URL (http:// only on this machine), got {url:?}"
                    ));
                }
                if secret.0.expose_secret().chars().count() < 16 {
                    return Err(format!(
                        "creditors.{tenant}.shop_webhook_secret must be at least 16 characters"
                    ));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod shop_webhook_tests {
    use super::*;

    fn creditor(extra: &str) -> Creditor {
        toml::from_str(&format!("name = \"ACME\"\nemail = \"f@acme.example\"\n{extra}")).expect("parses")
    }

    #[test]
    fn the_shop_webhook_needs_an_https_url_and_a_long_secret_and_is_named_when_wrong() {
        assert_eq!(creditor("").validate("acme"), Ok(()));
        let good = "shop_webhook_url = \"https://shop.acme.example/hook\"\nshop_webhook_secret = \"sixteen characters\"";
        assert_eq!(creditor(good).validate("acme"), Ok(()));
        let local =
            "shop_webhook_url = \"http://127.0.0.1:8080/hook\"\nshop_webhook_secret = \"sixteen characters\"";
        assert_eq!(creditor(local).validate("acme"), Ok(()));
        for (bad, field) in [
            ("shop_webhook_url = \"https://shop.acme.example/hook\"", "creditors.acme.shop_webhook_secret"),
            ("shop_webhook_secret = \"sixteen characters\"", "creditors.acme.shop_webhook_url"),
            (
                "shop_webhook_url = \"http://shop.acme.example/hook\"\nshop_webhook_secret = \"sixteen characters\"",
                "creditors.acme.shop_webhook_url",
            ),
            (
                "shop_webhook_url = \"http://127.0.0.1.evil.example/\"\nshop_webhook_secret = \"sixteen characters\"",
                "creditors.acme.shop_webhook_url",
            ),
            ("shop_webhook_url = \"https://shop.acme.example/hook\"\nshop_webhook_secret = \"short\"", "creditors.acme.shop_webhook_secret"),
        ] {
            let error = creditor(bad).validate("acme").unwrap_err();
            assert!(error.starts_with(field), "{bad}: {error}");
        }
        assert!(!format!("{:?}", creditor(good)).contains("sixteen"), "the secret is never printed");
    }
}
