//! What a printed reminder carries beyond its text: the date, the information block (customer
//! number, invoice number and date, the creditor's phone and email), the amounts table, the
//! creditor's bank details and the EPC QR code ("GiroCode") that pre-fills the transfer, in the
//! debtor's language (one of the shipped ones, else English; see [`super::words`]).
//!
//! The transfer's remittance is the invoice's ISO 11649 creditor reference (`RF..`) built from
//! the invoice number's letters and digits when they fit (1 to 21 of them), so the bank import
//! can match it; otherwise the invoice number as plain text. EPC QR codes are for EUR only: other
//! currencies get the bank details without a code.

use super::reference::creditor_reference;
use crate::domain::{DebtorKind, Money, PostalAddress};
use crate::store::DeliveryJob;
use chrono::NaiveDate;
use mahnwerk_channels::{AmountRow, BankDetails, InfoRow, LetterDocument, PayLink, Transfer};

use super::locale::Locale;
use super::render::{owed_of, Creditor};
use super::words::{language_of_country, Words};

/// The document part of a letter for `job`, dated `today`, in `language` (the letter body's),
/// with the signed `pay_link` as a second QR code.
pub fn document(
    job: &DeliveryJob,
    creditor: &Creditor,
    today: NaiveDate,
    language: &str,
    pay_link: String,
) -> LetterDocument {
    let words = Words::of(language);
    let locale = Locale::of(words.language);
    let currency = job.amount_due.currency();
    let principal = Money::new(job.amount_due.amount() - job.amount_paid, currency);
    let row = |label: &str, amount: String| AmountRow { label: label.to_owned(), amount };
    // What is owed, line by line, as the email and the pay-page show it.
    let owed = owed_of(job, creditor, today, words.language);
    let (amounts, total_row, total) = match owed {
        Some(owed) => (
            owed.lines.iter().map(|l| row(&l.label, l.amount.clone())).collect(),
            row(&owed.total_label, owed.total.clone()),
            owed.total_amount,
        ),
        None => (
            vec![row(words.principal, locale.money(&principal))],
            row(words.total, locale.money(&principal)),
            principal.amount(),
        ),
    };
    let total = Money::new(total, currency);
    let info_row = |label: &str, value: String| InfoRow { label: label.to_owned(), value };
    let mut info = vec![
        info_row(words.customer_number, job.debtor.id.to_string()),
        info_row(words.invoice_number, job.invoice_number.to_string()),
        info_row(words.invoice_date, locale.date(job.issued_on)),
    ];
    info.extend(creditor.phone.clone().map(|phone| info_row(words.phone, phone)));
    info.push(info_row(words.email, creditor.email.clone()));
    let bank = creditor.bank.as_ref().map(|bank| BankDetails {
        account_holder: bank.account_holder.clone().unwrap_or_else(|| creditor.name.clone()),
        iban: bank.iban.clone(),
        bic: bank.bic.clone(),
    });
    let transfer =
        (bank.is_some() && currency.code() == "EUR" && total.amount() > rust_decimal::Decimal::ZERO)
            .then(|| transfer(job.invoice_number.as_str(), total.amount()));
    let footer_lines = footer_lines(creditor);
    LetterDocument {
        date: locale.date(today),
        info,
        amounts,
        total: Some(total_row),
        bank,
        transfer,
        pay_link: Some(PayLink { url: pay_link, caption: words.pay_online.to_owned() }),
        footer_lines,
        captions: words.captions(),
    }
}

/// The address window's lines: the name, a business's contact person, the postal address, and
/// (DIN 5008) a country line only abroad, the country named in the sender's language. Without a
/// postal address (a letter only attached to an email) the name alone.
pub fn recipient_lines(
    name: &str,
    kind: DebtorKind,
    contact_person: Option<&str>,
    address: Option<&PostalAddress>,
    creditor: &Creditor,
) -> Vec<String> {
    let mut lines = vec![name.to_owned()];
    if kind == DebtorKind::Business {
        lines.extend(contact_person.map(str::to_owned));
    }
    if let Some(address) = address {
        lines.push(address.line1.clone());
        lines.extend(address.line2.clone());
        lines.push(format!("{} {}", address.postal_code, address.city));
        if address.country.as_str() != creditor.country() {
            let sender = Words::of(language_of_country(creditor.country()));
            lines.push(sender.country(address.country.as_str()));
        }
    }
    lines
}

/// The sender's lines: the creditor's name and address.
pub fn sender_lines(creditor: &Creditor) -> Vec<String> {
    let mut lines = vec![creditor.name.clone()];
    lines.extend(creditor.address_lines.iter().cloned());
    lines
}

/// The creditor's contact at the foot of every page.
pub fn footer_lines(creditor: &Creditor) -> Vec<String> {
    let mut lines = vec![creditor.email.clone()];
    lines.extend(creditor.phone.clone());
    lines.extend(creditor.legal_footer.clone());
    lines
}

/// The transfer that settles `amount` on `invoice_number`: remittance by its RF creditor
/// reference when the number makes one, else the number as text. The pay-page shows the same.
pub fn transfer(invoice_number: &str, amount: rust_decimal::Decimal) -> Transfer {
    // Minted where the bank import reads it back (`deliver::reference`), so that both agree.
    match creditor_reference(invoice_number) {
        Some(reference) => Transfer { amount, reference: Some(reference), text: None },
        None => Transfer { amount, reference: None, text: Some(invoice_number.chars().take(140).collect()) },
    }
}

/// The file name of a letter attached to an email, in the letter's language: `Mahnung-`,
/// `Relance-`, `Recordatorio-`, `Sollecito-`, `Aanmaning-`, `Upomnienie-`, `Hatirlatma-` (ASCII,
/// for every mail client), else `Reminder-`, then the invoice
/// number with anything but letters, digits, `-` and `_` made a `-` (mail clients and file
/// systems disagree about the rest).
pub fn attachment_name(language: &str, invoice_number: &str) -> String {
    let word = match language.split('-').next().unwrap_or(language) {
        "de" => "Mahnung",
        "fr" => "Relance",
        "es" => "Recordatorio",
        "it" => "Sollecito",
        "nl" => "Aanmaning",
        "pl" => "Upomnienie",
        "tr" => "Hatirlatma",
        _ => "Reminder",
    };
    let number: String = invoice_number
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .collect();
    format!("{word}-{number}.pdf")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_named_in_the_letters_language() {
        assert_eq!(attachment_name("de", "RE-2026-0042"), "Mahnung-RE-2026-0042.pdf");
        assert_eq!(attachment_name("fr-CH", "RE-2026-0042"), "Relance-RE-2026-0042.pdf");
        assert_eq!(attachment_name("en", "2026/42 ä"), "Reminder-2026-42--.pdf");
    }

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
