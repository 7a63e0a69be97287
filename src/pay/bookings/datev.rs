//! The bookings as a DATEV booking batch ("EXTF" format, header version 700, data category 21
//! "Buchungsstapel", format version 13), which DATEV Rechnungswesen and most German bookkeeping
//! software import: a header line saying whose books and which period, a line naming the
//! columns, then one line per booking. Fields are separated by `;`, text fields quoted (quotes
//! doubled), amounts with a decimal comma and no thousands separator, dates of the rows as
//! `DDMM` (the year is the header's), lines ended by CR LF, and the file encoded in Windows-1252
//! as DATEV reads it (characters it lacks become `?`).
//!
//! Of the format's columns the rows fill the first fourteen (amount, debit/credit flag,
//! currency, account, contra account, date, document number, booking text, and the empty ones
//! between); the later ones (cost centres, document links, …) are left off.

use super::{Booking, Period};
use crate::config::bookkeeping::Bookkeeping;
use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;

/// The column line: the first fourteen columns of the format, in its order.
pub const COLUMNS: [&str; 14] = [
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
];

/// Why a period cannot be one batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a DATEV booking batch covers one calendar year (its rows' dates carry no year): {from} to {to} spans two")]
pub struct SpansYears {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
}

/// A text field: quoted, quotes doubled, line breaks (not allowed) as spaces, at most `max`
/// characters.
fn text(raw: &str, max: usize) -> String {
    let clean: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).take(max).collect();
    format!("\"{}\"", clean.replace('"', "\"\""))
}

/// What `Belegfeld 1` allows: letters, digits and `$ & % * + - /`, at most 36 characters.
fn document_number(raw: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "$&%*+-/".contains(c);
    text(&raw.chars().map(|c| if allowed(c) { c } else { '-' }).collect::<String>(), 36)
}

/// An amount with a decimal comma and two decimals (`129,90`).
pub fn amount(amount: Decimal) -> String {
    super::csv::amount(amount.round_dp(2)).replace('.', ",")
}

/// The batch of `bookings` of `period` for the creditor with `accounts`, written at `now`, in
/// `currency` (the header's; each row names its own too), as DATEV reads it.
pub fn write(
    bookings: &[Booking],
    period: Period,
    accounts: &Bookkeeping,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, SpansYears> {
    if period.from.year() != period.to.year() {
        return Err(SpansYears { from: period.from, to: period.to });
    }
    let day = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string();
    let header = [
        text("EXTF", 4),
        "700".into(),
        "21".into(),
        text("Buchungsstapel", 30),
        "13".into(),
        now.format("%Y%m%d%H%M%S%3f").to_string(),
        String::new(),
        text("RE", 2),
        text("", 25),
        text("", 25),
        accounts.datev_consultant.to_string(),
        accounts.datev_client.to_string(),
        format!("{}0101", period.from.year()),
        accounts.account_digits.to_string(),
        day(period.from),
        day(period.to),
        text("mahnwerk Buchungen", 30),
        text("", 2),
        "1".into(),
        "0".into(),
        "0".into(),
        text(currency, 3),
        String::new(),
        text("", 0),
        String::new(),
        String::new(),
        text(&accounts.chart, 2),
        String::new(),
        String::new(),
        text("", 0),
        text("", 0),
    ];
    let mut out = String::new();
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    out.push_str(&COLUMNS.join(";"));
    out.push_str("\r\n");
    for b in bookings {
        let row = [
            amount(b.amount),
            text("S", 1),
            text(&b.currency, 3),
            String::new(),
            String::new(),
            text("", 3),
            b.debit.clone(),
            b.credit.clone(),
            text("", 4),
            b.date.format("%d%m").to_string(),
            document_number(&b.invoice_number),
            text("", 12),
            String::new(),
            text(&format!("{} {}", b.kind.text(), b.debtor_id), 60),
        ];
        out.push_str(&row.join(";"));
        out.push_str("\r\n");
    }
    Ok(windows_1252(&out))
}

/// `text` in Windows-1252: ASCII and Latin-1 as they are, the characters Windows-1252 puts at
/// 0x80 to 0x9F (€, „, “, –, …) at their places, anything else as `?`.
pub fn windows_1252(text: &str) -> Vec<u8> {
    const HIGH: [(char, u8); 27] = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8A),
        ('‹', 0x8B),
        ('Œ', 0x8C),
        ('Ž', 0x8E),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9A),
        ('›', 0x9B),
        ('œ', 0x9C),
        ('ž', 0x9E),
        ('Ÿ', 0x9F),
    ];
    text.chars()
        .map(|c| match u32::from(c) {
            0..=0x7F | 0xA0..=0xFF => u32::from(c) as u8,
            _ => HIGH.iter().find(|(h, _)| *h == c).map_or(b'?', |(_, byte)| *byte),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_and_the_euro_sign_are_windows_1252() {
        assert_eq!(windows_1252("Mahngebühren €"), b"Mahngeb\xfchren \x80".to_vec());
        assert_eq!(windows_1252("日"), b"?".to_vec());
    }

    #[test]
    fn amounts_have_a_decimal_comma_and_text_is_quoted() {
        assert_eq!(amount(Decimal::new(12990, 2)), "129,90");
        assert_eq!(amount(Decimal::new(5, 0)), "5,00");
        assert_eq!(text("say \"hi\"\n", 60), "\"say \"\"hi\"\" \"");
        assert_eq!(document_number("RE 2026_01"), "\"RE-2026-01\"");
    }
}
