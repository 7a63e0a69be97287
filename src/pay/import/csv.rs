//! A bank's CSV export read record by record with the `csv` crate, laid out as `[payments.csv]`
//! (or the command line) says: delimiter, date format, decimal comma, and which header names
//! the booking date, amount, currency, remittance text, payer's name and IBAN and the bank's own
//! line id.
//! Files that are not UTF-8 are read as Latin-1, as many German banks still export them.
//! Negative amounts are debits: counted and skipped.

use super::{ParseError, Parsed, StatementLine};
use crate::config::payments::CsvLayout;
use crate::domain::{Currency, Money};
use chrono::NaiveDate;
use mahnwerk_channels::iban::Iban;
use rust_decimal::Decimal;
use std::io::BufRead;
use std::str::FromStr;

/// Where each configured column is in the file.
struct Columns {
    date: usize,
    amount: usize,
    currency: Option<usize>,
    remittance: Vec<usize>,
    debtor_name: Option<usize>,
    debtor_iban: Option<usize>,
    entry_id: Option<usize>,
}

/// A CSV export read line by line from `R`.
pub struct CsvStatement<R: BufRead> {
    reader: csv::Reader<R>,
    layout: CsvLayout,
    columns: Option<Columns>,
    record: csv::ByteRecord,
    default_currency: Option<Currency>,
    failed: bool,
}

impl<R: BufRead> CsvStatement<R> {
    /// Reads `input` with `layout`, after skipping its `skip_lines` first lines.
    pub fn new(mut input: R, layout: &CsvLayout) -> std::io::Result<Self> {
        let mut skipped = Vec::new();
        for _ in 0..layout.skip_lines {
            skipped.clear();
            input.read_until(b'\n', &mut skipped)?;
        }
        let reader = csv::ReaderBuilder::new()
            .delimiter(u8::try_from(layout.delimiter).unwrap_or(b';'))
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        Ok(Self {
            reader,
            layout: layout.clone(),
            columns: None,
            record: csv::ByteRecord::new(),
            default_currency: Currency::parse(&layout.default_currency).ok(),
            failed: false,
        })
    }

    fn line_of(&self, position: Option<&csv::Position>) -> u64 {
        position.map_or(0, csv::Position::line) + self.layout.skip_lines as u64
    }

    fn error(&self, line: u64, field: &str, reason: impl Into<String>) -> ParseError {
        ParseError { at: format!("line {line}"), field: field.to_owned(), reason: reason.into() }
    }

    fn columns(&mut self) -> Result<Columns, ParseError> {
        let line = 1 + self.layout.skip_lines as u64;
        let headers = match self.reader.byte_headers() {
            Ok(headers) => headers.clone(),
            Err(e) => return Err(self.error(line, "header", e.to_string())),
        };
        let names: Vec<String> =
            headers.iter().map(|h| decode(h).trim().trim_start_matches('\u{feff}').to_owned()).collect();
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                self.error(line, name, format!("no column '{name}' in the header ({})", names.join(", ")))
            })
        };
        Ok(Columns {
            date: need(&self.layout.date)?,
            amount: need(&self.layout.amount)?,
            currency: find(&self.layout.currency),
            remittance: self.layout.remittance.iter().map(|r| need(r)).collect::<Result<_, _>>()?,
            debtor_name: find(&self.layout.debtor_name),
            debtor_iban: find(&self.layout.debtor_iban),
            entry_id: find(&self.layout.entry_id),
        })
    }

    fn parse_record(&self, columns: &Columns) -> Result<Parsed, ParseError> {
        let line = self.line_of(self.record.position());
        let field = |index: usize| self.record.get(index).map(decode).unwrap_or_default().trim().to_owned();
        let amount_text = field(columns.amount);
        let amount = parse_amount(&amount_text, self.layout.decimal_comma).ok_or_else(|| {
            self.error(line, &self.layout.amount, format!("'{amount_text}' is not an amount"))
        })?;
        if amount <= Decimal::ZERO {
            return Ok(Parsed::Debit);
        }
        let date_text = field(columns.date);
        let booked_on = NaiveDate::parse_from_str(&date_text, &self.layout.date_format).map_err(|_| {
            self.error(
                line,
                &self.layout.date,
                format!("'{date_text}' is not a date in the format {}", self.layout.date_format),
            )
        })?;
        let currency = match columns.currency.map(field).filter(|c| !c.is_empty()) {
            Some(code) => {
                Currency::parse(&code).map_err(|e| self.error(line, &self.layout.currency, e.to_string()))?
            }
            None => self.default_currency.ok_or_else(|| {
                self.error(
                    line,
                    "default_currency",
                    format!("'{}' is no currency", self.layout.default_currency),
                )
            })?,
        };
        let text: Vec<String> =
            columns.remittance.iter().map(|&i| field(i)).filter(|t| !t.is_empty()).collect();
        Ok(Parsed::Credit(StatementLine {
            bank_reference: columns.entry_id.map(field).filter(|id| !id.is_empty()),
            booked_on,
            amount: Money::new(amount, currency),
            debtor_name: columns.debtor_name.map(field).filter(|n| !n.is_empty()),
            // A malformed account identifies no one: the line is read as if it had none.
            payer_iban: columns.debtor_iban.map(field).and_then(|iban| Iban::parse(&iban).ok()),
            references: Vec::new(),
            text: text.join(" "),
            end_to_end_id: None,
        }))
    }
}

impl<R: BufRead> Iterator for CsvStatement<R> {
    type Item = Result<Parsed, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = (|| loop {
            if self.columns.is_none() {
                self.columns = Some(self.columns()?);
            }
            let read = self.reader.read_byte_record(&mut self.record).map_err(|e| {
                let line = self.line_of(e.position());
                self.error(line, "CSV", e.to_string())
            })?;
            if !read {
                return Ok(None);
            }
            // A line of empty fields (`;;;;`) is no booking.
            if self.record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let columns = self.columns.take().expect("read above");
            let parsed = self.parse_record(&columns);
            self.columns = Some(columns);
            return parsed.map(Some);
        })();
        match result {
            Ok(Some(parsed)) => Some(Ok(parsed)),
            Ok(None) => None,
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

/// A field as text: UTF-8, else Latin-1.
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// `1.234,56` (decimal comma) or `1,234.56`, with an optional sign; `None` when it is no amount.
pub fn parse_amount(text: &str, decimal_comma: bool) -> Option<Decimal> {
    let (thousands, decimal) = if decimal_comma { ('.', ',') } else { (',', '.') };
    let cleaned: String = text
        .chars()
        .filter(|&c| c != thousands && c != ' ' && c != '\u{a0}')
        .map(|c| if c == decimal { '.' } else { c })
        .collect();
    let valid = !cleaned.is_empty()
        && cleaned
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
    valid.then(|| Decimal::from_str(cleaned.trim_start_matches('+')).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], layout: &CsvLayout) -> Vec<Result<Parsed, ParseError>> {
        // A one-byte buffer: the reader must not need the file in one piece.
        let input = std::io::BufReader::with_capacity(1, bytes);
        CsvStatement::new(input, layout).unwrap().collect()
    }

    const EXPORT: &str = "Umsaetze Girokonto;;;\nKonto DE89370400440532013000;;;\n\
        Buchungstag;Verwendungszweck;Name Zahlungsbeteiligter;Betrag\n\
        03.11.2026;RE-1 Danke;Erika Mustermann;1.234,50\n\
        ;;;\n\
        04.11.2026;Miete;Vermieter;-800,00\n";

    #[test]
    fn a_german_export_is_read_line_by_line() {
        let layout = CsvLayout { skip_lines: 2, ..CsvLayout::default() };
        let parsed: Vec<Parsed> = read(EXPORT.as_bytes(), &layout).into_iter().map(Result::unwrap).collect();
        assert_eq!(parsed.len(), 2, "{parsed:?}");
        let Parsed::Credit(line) = &parsed[0] else { panic!("a credit first") };
        assert_eq!(line.booked_on, NaiveDate::from_ymd_opt(2026, 11, 3).unwrap());
        assert_eq!(line.amount, Money::new(Decimal::new(123450, 2), Currency::parse("EUR").unwrap()));
        assert_eq!(
            (line.text.as_str(), line.debtor_name.as_deref()),
            ("RE-1 Danke", Some("Erika Mustermann"))
        );
        assert_eq!(line.bank_reference, None);
        assert_eq!(parsed[1], Parsed::Debit);
    }

    #[test]
    fn latin1_files_are_read() {
        let bytes = b"Buchungstag;Verwendungszweck;Name Zahlungsbeteiligter;Betrag\n01.11.2026;x;J\xfcrgen M\xfcller;5,00\n";
        let parsed = read(bytes, &CsvLayout::default());
        let Ok(Parsed::Credit(line)) = &parsed[0] else { panic!("{parsed:?}") };
        assert_eq!(line.debtor_name.as_deref(), Some("Jürgen Müller"));
    }

    #[test]
    fn the_payer_s_iban_is_read_in_either_form_and_a_bad_one_is_none() {
        let text = "Buchungstag;Verwendungszweck;IBAN Zahlungsbeteiligter;Betrag\n\
            01.11.2026;x;DE02 1001 0010 0006 8201 01;5,00\n01.11.2026;x;DE02100100100006820102;5,00\n";
        let parsed = read(text.as_bytes(), &CsvLayout::default());
        let ibans: Vec<Option<String>> = parsed
            .iter()
            .map(|p| match p {
                Ok(Parsed::Credit(line)) => line.payer_iban.as_ref().map(|i| i.as_str().to_owned()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ibans, [Some("DE02100100100006820101".to_owned()), None]);
    }

    #[test]
    fn errors_name_the_line_and_the_column() {
        let layout = CsvLayout { skip_lines: 2, ..CsvLayout::default() };
        let bad = EXPORT.replace("03.11.2026", "2026-11-03");
        let parsed = read(bad.as_bytes(), &layout);
        let error = parsed[0].clone().unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 4: Buchungstag: '2026-11-03' is not a date in the format %d.%m.%Y"
        );
        assert_eq!(parsed.len(), 1, "nothing after an error");
        let layout = CsvLayout { amount: "Umsatz".into(), ..CsvLayout::default() };
        let error = read(b"Buchungstag;Verwendungszweck;Betrag\n", &layout)[0].clone().unwrap_err();
        assert_eq!((error.at.as_str(), error.field.as_str()), ("line 1", "Umsatz"));
        assert!(error.reason.contains("no column 'Umsatz'"), "{error}");
    }

    #[test]
    fn other_layouts_by_configuration() {
        let layout = CsvLayout {
            delimiter: ',',
            decimal_comma: false,
            date_format: "%Y-%m-%d".into(),
            date: "Date".into(),
            amount: "Amount".into(),
            currency: "Currency".into(),
            remittance: vec!["Ref 1".into(), "Ref 2".into()],
            debtor_name: "Payer".into(),
            entry_id: "Id".into(),
            ..CsvLayout::default()
        };
        let text = "Id,Date,Amount,Currency,Payer,Ref 1,Ref 2\nT-9,2026-11-05,\"1,000.10\",CHF,ACME AG,RE-7,part 2\n";
        let parsed = read(text.as_bytes(), &layout);
        let Ok(Parsed::Credit(line)) = &parsed[0] else { panic!("{parsed:?}") };
        assert_eq!(line.bank_reference.as_deref(), Some("T-9"));
        assert_eq!(line.amount, Money::new(Decimal::new(100010, 2), Currency::parse("CHF").unwrap()));
        assert_eq!(line.text, "RE-7 part 2");
    }

    #[test]
    fn german_and_english_amounts() {
        assert_eq!(parse_amount("1.234,56", true), Some(Decimal::new(123456, 2)));
        assert_eq!(parse_amount("-19,99", true), Some(Decimal::new(-1999, 2)));
        assert_eq!(parse_amount("+250", true), Some(Decimal::new(250, 0)));
        assert_eq!(parse_amount("1,234.56", false), Some(Decimal::new(123456, 2)));
        assert_eq!(parse_amount("12,3x", true), None);
        assert_eq!(parse_amount("", true), None);
        assert_eq!(parse_amount("1,2,3", true), None);
    }
}
