//! Bank statement import (`mahnwerk payments import`): a camt.053 or CSV file is read as a
//! stream ([`camt053`], [`csv`]), its credit lines matched to invoices ([`matching`]) and each
//! payment recorded through [`crate::pay::record_payment`] with [`PaymentSource::Bank`], one
//! transaction per chunk of lines ([`apply`]). A line that names no invoice, from a payer whose
//! IBAN the creditor stored for one debtor, is applied to that debtor's open invoices in the
//! order of § 366 (2) BGB ([`unnamed`]). Every line is kept under a key unique per tenant
//! ([`keys`]), matched or not: importing the same file again changes nothing, and unmatched
//! lines wait for review ([`unmatched`]).
//!
//! [`PaymentSource::Bank`]: crate::domain::PaymentSource::Bank

pub mod apply;
pub mod camt053;
pub mod command;
pub mod csv;
pub mod keys;
pub mod matching;
pub mod normalise;
mod report;
pub mod unmatched;
pub mod unnamed;

pub use apply::{import_lines, workers_for, ImportOptions, CHUNK};
pub use report::{ImportReport, InvoicePart, UnnamedApplied};

use crate::config::payments::CsvLayout;
use crate::domain::Money;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use mahnwerk_channels::iban::Iban;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// One credit line of a statement, as the bank wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLine {
    /// The bank's own reference of the line (entry and transaction), when it gives one.
    pub bank_reference: Option<String>,
    pub booked_on: NaiveDate,
    /// What was credited (positive).
    pub amount: Money,
    pub debtor_name: Option<String>,
    /// The payer's account (camt `RltdPties/DbtrAcct/Id/IBAN`, or the CSV's IBAN column), when
    /// the bank gives a valid one: identifies the debtor of a line that names no invoice.
    pub payer_iban: Option<Iban>,
    /// Structured remittance references (camt `Strd/CdtrRefInf/Ref`).
    pub references: Vec<String>,
    /// Unstructured remittance text.
    pub text: String,
    pub end_to_end_id: Option<String>,
}

/// What a parser read: a credit line, or a debit (counted and skipped).
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Credit(StatementLine),
    Debit,
}

/// Input the import cannot read, with where and which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {field}: {reason}")]
pub struct ParseError {
    /// `line 17`, or `entry at line 120`.
    pub at: String,
    pub field: String,
    pub reason: String,
}

/// When a bank payment counts as made: noon (UTC) of its booking day (a reminder sent that
/// morning may have earned it).
pub fn paid_at(booked_on: NaiveDate) -> DateTime<Utc> {
    booked_on.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")).and_utc()
}

/// The statement formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Camt053,
    Csv,
}

impl Format {
    /// Guesses a file's format from its first bytes (`<` after a byte order mark or spaces is
    /// XML), else from its extension.
    pub fn guess(path: &Path, start: &[u8]) -> Format {
        let text = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(start);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => Format::Camt053,
            Some(_) => Format::Csv,
            None if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")) => Format::Camt053,
            None => Format::Csv,
        }
    }
}

/// The lines of a statement read from `input`, in `format` (guessed when `None`).
pub fn statement_lines(
    input: impl Read + Send + 'static,
    path: &Path,
    format: Option<Format>,
    layout: &CsvLayout,
) -> anyhow::Result<Box<dyn Iterator<Item = Result<Parsed, ParseError>> + Send>> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let format = match format {
        Some(format) => format,
        None => Format::guess(path, input.fill_buf()?),
    };
    Ok(match format {
        Format::Camt053 => Box::new(camt053::Camt053::new(input)),
        Format::Csv => Box::new(csv::CsvStatement::new(input, layout)?),
    })
}

#[cfg(test)]
#[path = "statement_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_guessed_from_the_content_first() {
        let xml = Path::new("statement.xml");
        let csv = Path::new("umsaetze.csv");
        assert_eq!(Format::guess(csv, b"\xef\xbb\xbf  <?xml version"), Format::Camt053);
        assert_eq!(Format::guess(xml, b"Buchungstag;Betrag"), Format::Csv);
        assert_eq!(Format::guess(xml, b""), Format::Camt053);
        assert_eq!(Format::guess(csv, b"  "), Format::Csv);
    }
}
