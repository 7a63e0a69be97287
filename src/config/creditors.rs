//! `[creditors.<tenant>]`: the creditor as its debtors know it, and its bank account.

use super::bookkeeping::Bookkeeping;
use crate::domain::legal::{Germany, GermanyConfig};
use crate::domain::CountryCode;
use mahnwerk_channels::iban::{Bic, Iban};
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
        Ok(())
    }
}
