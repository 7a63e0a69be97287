//! `[creditors.<tenant>]`: the creditor as its debtors know it, and its bank account.

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
    /// Where debtors transfer to: printed on letters with an EPC QR code.
    #[serde(default)]
    pub bank: Option<CreditorBank>,
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
