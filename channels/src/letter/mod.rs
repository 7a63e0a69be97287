//! The postal letter as an A4 PDF in DIN 5008 form B, ready for a window envelope (DL or C5/6).
//!
//! Measurements, in millimetres from the top left of the sheet (details in [`layout`]):
//! - address field 20 mm from the left and 45 mm from the top, 85 x 45 mm; its top 17.7 mm hold
//!   the underlined return line, the 27.3 mm below it up to six recipient lines, set 25 mm from the
//!   left edge (5 mm inside the field);
//! - the information block (customer number, invoice, contact, date) beside the address field
//!   from 125 mm; without one, the date right-aligned above the subject;
//! - text 25 mm from the left and 20 mm from the right; the subject starts at 103.4 mm;
//! - fold marks at 105 mm and 210 mm, punch mark at 148.5 mm;
//! - footer below 275 mm with the creditor's contact and the page number.
//!
//! After the body come the amounts table (amounts right-aligned, as the caller formatted them),
//! then the payment block: bank details (IBAN in groups of four), the EPC069-12 GiroCode built
//! with [`crate::epc_qr`] and a second QR code with the pay-link, each captioned.
//!
//! - [`fonts`]: the embedded Liberation Sans, glyphs and widths.
//! - [`layout`]: positions and page breaks.
//! - [`qr`]: QR symbols as rectangles.
//! - [`pdf`]: the PDF file.
//! - [`pingen`]: the printed letter posted by Pingen, the print-and-mail provider.

pub mod fonts;
pub mod layout;
pub mod pdf;
pub mod pingen;
pub mod qr;

pub use pingen::{PingenLetters, PingenSettings, PingenSettingsError};

use crate::epc_qr::{EpcError, EpcPayment};
use crate::message::{LetterCaptions, LetterMessage};
use fonts::Font;
use layout::{Flow, MAX_RECIPIENT_LINES};

/// Why a letter cannot be printed. Every case is a problem with the message, so sending it again
/// cannot help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    #[error("recipient_lines: {0} lines do not fit the address field (at most {MAX_RECIPIENT_LINES})")]
    TooManyRecipientLines(usize),
    #[error("recipient_lines: the address is empty")]
    NoRecipient,
    #[error("document.transfer: an EPC QR code needs document.bank for the account")]
    TransferWithoutBank,
    #[error("document.transfer: {0}")]
    Epc(#[from] EpcError),
    #[error("document.pay_link.url: too long for a QR code")]
    PayLinkTooLong,
}

impl From<LetterError> for crate::SendError {
    fn from(error: LetterError) -> Self {
        crate::SendError::permanent(format!("cannot print the letter: {error}"))
    }
}

/// The letter as PDF bytes.
pub fn render_pdf(letter: &LetterMessage) -> Result<Vec<u8>, LetterError> {
    if letter.recipient_lines.len() > MAX_RECIPIENT_LINES {
        return Err(LetterError::TooManyRecipientLines(letter.recipient_lines.len()));
    }
    if letter.recipient_lines.iter().all(|line| line.trim().is_empty()) {
        return Err(LetterError::NoRecipient);
    }
    let document = letter.document.as_deref().cloned().unwrap_or_default();
    let captions = &document.captions;

    let mut info: Vec<(String, String)> =
        document.info.iter().map(|row| (row.label.clone(), row.value.clone())).collect();
    if !info.is_empty() && !document.date.is_empty() {
        info.push((captions.date.clone(), document.date.clone()));
    }
    let (first, y) = layout::first_page(
        &letter.sender_lines,
        &letter.recipient_lines,
        &info,
        &document.date,
        &letter.subject,
    );
    let creditor = letter.sender_lines.first().cloned().unwrap_or_default();
    let mut flow = Flow::new(first, y, format!("{creditor} · {}", letter.subject));
    flow.paragraphs(&letter.body);

    let rows: Vec<(String, String)> =
        document.amounts.iter().map(|row| (row.label.clone(), row.amount.clone())).collect();
    let total = document.total.as_ref().map(|row| (row.label.clone(), row.amount.clone()));
    flow.amounts(&rows, total.as_ref());

    let mut codes = Vec::new();
    if let Some(transfer) = &document.transfer {
        let bank = document.bank.as_ref().ok_or(LetterError::TransferWithoutBank)?;
        let payload = EpcPayment::for_transfer(bank, transfer)?.payload();
        // A valid payload is at most 331 bytes, which always fits a QR code.
        let symbol = qr::encode(&payload).expect("an EPC payload fits a QR code");
        codes.push((symbol, captions.epc_qr.clone()));
    }
    if let Some(link) = &document.pay_link {
        let symbol = qr::encode(&link.url).map_err(|_| LetterError::PayLinkTooLong)?;
        codes.push((symbol, link.caption.clone()));
    }
    flow.payment(&bank_lines(&document, captions), codes);

    Ok(pdf::write(&flow.finish(&document.footer_lines, &captions.page)))
}

fn bank_lines(document: &crate::message::LetterDocument, captions: &LetterCaptions) -> Vec<(Font, String)> {
    let Some(bank) = &document.bank else { return Vec::new() };
    let mut lines = vec![
        (Font::Bold, captions.bank_details.clone()),
        (Font::Regular, format!("{}: {}", captions.account_holder, bank.account_holder)),
        (Font::Regular, format!("IBAN: {}", bank.iban.printed())),
    ];
    if let Some(bic) = &bank.bic {
        lines.push((Font::Regular, format!("BIC: {bic}")));
    }
    if let Some(reference) = document.transfer.as_ref().and_then(|t| t.reference.as_ref()) {
        lines.push((Font::Regular, format!("{}: {}", captions.reference, reference.printed())));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(recipients: usize) -> LetterMessage {
        LetterMessage {
            sender_lines: vec!["Acme GmbH".into()],
            recipient_lines: (0..recipients).map(|i| format!("Zeile {i}")).collect(),
            subject: "Mahnung".into(),
            body: "Bitte zahlen Sie.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_address_field_holds_six_lines_and_needs_one() {
        assert!(render_pdf(&letter(6)).unwrap().starts_with(b"%PDF-"));
        assert_eq!(render_pdf(&letter(7)), Err(LetterError::TooManyRecipientLines(7)));
        assert_eq!(render_pdf(&letter(0)), Err(LetterError::NoRecipient));
    }

    #[test]
    fn a_bad_letter_is_a_permanent_send_error_naming_the_field() {
        let error = crate::SendError::from(LetterError::TooManyRecipientLines(7));
        assert!(!error.is_retryable());
        assert!(error.reason().contains("recipient_lines"), "{error}");
    }
}
