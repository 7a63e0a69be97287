//! What a printed reminder carries beyond its text: the date, the amounts table, the creditor's
//! bank details and the EPC QR code ("GiroCode") that pre-fills the transfer, in the debtor's
//! language (German, else English).
//!
//! The transfer's remittance is the invoice's ISO 11649 creditor reference (`RF..`) built from
//! the invoice number's letters and digits when they fit (1 to 21 of them), so the bank import
//! can match it; otherwise the invoice number as plain text. EPC QR codes are for EUR only: other
//! currencies get the bank details without a code.

use crate::domain::Money;
use crate::store::DeliveryJob;
use chrono::NaiveDate;
use mahnwerk_channels::creditor_reference::RfReference;
use mahnwerk_channels::iban::{Bic, Iban};
use mahnwerk_channels::{AmountRow, BankDetails, LetterCaptions, LetterDocument, PayLink, Transfer};
use serde::Deserialize;

use super::locale::Locale;
use super::render::Creditor;

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

/// The document part of a letter for `job`, dated `today`, in `language` (the letter body's:
/// German captions for `de`, English otherwise), with the signed `pay_link` as a second QR code.
pub fn document(
    job: &DeliveryJob,
    creditor: &Creditor,
    today: NaiveDate,
    language: &str,
    pay_link: String,
) -> LetterDocument {
    let german = language.split('-').next() == Some("de");
    let locale = Locale::of(if german { "de" } else { "en" });
    let currency = job.amount_due.currency();
    let principal = Money::new(job.amount_due.amount() - job.amount_paid, currency);
    let fee = Money::new(job.fee, currency);
    let total = Money::new(principal.amount() + job.fee, currency);
    let show = |money: &Money| locale.money(money);
    let row = |label: &str, money: &Money| AmountRow { label: label.to_owned(), amount: show(money) };
    let (open_label, fee_label, total_label) = if german {
        ("Offener Betrag", "Mahngebühr", "Gesamt")
    } else {
        ("Amount outstanding", "Fee", "Total")
    };
    let mut amounts = vec![row(open_label, &principal)];
    if !job.fee.is_zero() {
        amounts.push(row(fee_label, &fee));
    }
    let bank = creditor.bank.as_ref().map(|bank| BankDetails {
        account_holder: bank.account_holder.clone().unwrap_or_else(|| creditor.name.clone()),
        iban: bank.iban.clone(),
        bic: bank.bic.clone(),
    });
    let transfer =
        (bank.is_some() && currency.code() == "EUR" && total.amount() > rust_decimal::Decimal::ZERO)
            .then(|| transfer(job.invoice_number.as_str(), total.amount()));
    let mut footer_lines = vec![creditor.email.clone()];
    footer_lines.extend(creditor.phone.clone());
    LetterDocument {
        date: locale.date(today),
        amounts,
        total: Some(row(total_label, &total)),
        bank,
        transfer,
        pay_link: Some(PayLink {
            url: pay_link,
            caption: if german { "Online bezahlen" } else { "Pay online" }.to_owned(),
        }),
        footer_lines,
        captions: if german { LetterCaptions::default() } else { english_captions() },
    }
}

fn transfer(invoice_number: &str, amount: rust_decimal::Decimal) -> Transfer {
    let letters_and_digits: String = invoice_number.chars().filter(char::is_ascii_alphanumeric).collect();
    match RfReference::from_reference(&letters_and_digits) {
        Ok(reference) => Transfer { amount, reference: Some(reference), text: None },
        Err(_) => {
            Transfer { amount, reference: None, text: Some(invoice_number.chars().take(140).collect()) }
        }
    }
}

fn english_captions() -> LetterCaptions {
    LetterCaptions {
        epc_qr: "Pay with code".into(),
        bank_details: "Bank details".into(),
        account_holder: "Account holder".into(),
        reference: "Reference".into(),
        page: "Page {page} of {pages}".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_numbers_become_rf_references_when_they_fit() {
        let t = transfer("RE-2026-0042", rust_decimal::Decimal::new(12345, 2));
        let reference = t.reference.expect("fits");
        assert_eq!(reference.reference(), "RE20260042");
        assert_eq!(t.text, None);
        let long = transfer("INVOICE-2026-000000000000042", rust_decimal::Decimal::ONE);
        assert_eq!((long.reference, long.text.as_deref()), (None, Some("INVOICE-2026-000000000000042")));
    }
}
