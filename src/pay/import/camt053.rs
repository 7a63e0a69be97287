//! ISO 20022 camt.053 (`BkToCstmrStmt`, versions 001.02 and 001.08) read as a stream of XML
//! events: one entry (`Ntry`) at a time is held, never the file, so memory stays flat however
//! long the statement is.
//!
//! Each credit entry (`CdtDbtInd` = `CRDT`) becomes one line per transaction (`NtryDtls/TxDtls`,
//! or one for the entry when it has none), with the entry's booking date, the transaction's
//! amount (`TxDtls/Amt` or `AmtDtls/TxAmt/Amt`; the entry's `Amt` when it has one transaction),
//! the debtor's name (`RltdPties/Dbtr/Nm`, in 001.08 also `Dbtr/Pty/Nm`), the debtor's account
//! (`RltdPties/DbtrAcct/Id/IBAN`, kept when it is a valid IBAN), the structured
//! references (`RmtInf/Strd/CdtrRefInf/Ref`) and the unstructured text (`RmtInf/Ustrd`). The
//! bank's reference is the entry's (`AcctSvcrRef`, else `NtryRef`) and the transaction's
//! (`Refs/AcctSvcrRef`, else `EndToEndId` unless `NOTPROVIDED`, else `TxId`, else its position).
//! Debit entries are counted and skipped.

use super::{ParseError, Parsed, StatementLine};
use crate::domain::{Currency, Money};
use chrono::NaiveDate;
use mahnwerk_channels::iban::Iban;
use quick_xml::events::Event;
use quick_xml::Reader;
use rust_decimal::Decimal;
use std::io::BufRead;
use std::str::FromStr;

/// The namespaces read, by version.
pub const NAMESPACES: [&str; 2] =
    ["urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"];

/// A camt.053 statement read entry by entry from `R`.
pub struct Camt053<R: BufRead> {
    reader: Reader<LineCounter<R>>,
    buf: Vec<u8>,
    path: Vec<String>,
    text: String,
    /// The `Ccy` of the `Amt` element being read.
    currency: Option<String>,
    entry: Option<Entry>,
    ready: std::collections::VecDeque<Parsed>,
    root_checked: bool,
    saw_statement: bool,
    done: bool,
}

#[derive(Default)]
struct Entry {
    line: u64,
    amount: Option<Money>,
    credit: Option<bool>,
    booked_on: Option<NaiveDate>,
    value_date: Option<NaiveDate>,
    reference: Option<String>,
    entry_ref: Option<String>,
    info: String,
    transactions: Vec<Transaction>,
    current: Option<Transaction>,
}

#[derive(Default)]
struct Transaction {
    amount: Option<Money>,
    reference: Option<String>,
    end_to_end_id: Option<String>,
    tx_id: Option<String>,
    debtor_name: Option<String>,
    payer_iban: Option<Iban>,
    references: Vec<String>,
    text: Vec<String>,
}

impl<R: BufRead> Camt053<R> {
    pub fn new(input: R) -> Self {
        let mut reader = Reader::from_reader(LineCounter { inner: input, line: 1 });
        reader.config_mut().trim_text(true);
        Self {
            reader,
            buf: Vec::with_capacity(4096),
            path: Vec::new(),
            text: String::new(),
            currency: None,
            entry: None,
            ready: Default::default(),
            root_checked: false,
            saw_statement: false,
            done: false,
        }
    }

    fn line(&self) -> u64 {
        self.reader.get_ref().line
    }

    fn error(&self, field: &str, reason: impl Into<String>) -> ParseError {
        ParseError { at: format!("line {}", self.line()), field: field.to_owned(), reason: reason.into() }
    }

    /// Reads events until an entry is complete or the file ends.
    fn advance(&mut self) -> Result<(), ParseError> {
        let mut buf = std::mem::take(&mut self.buf);
        let read = self.read_events(&mut buf);
        self.buf = buf;
        read
    }

    fn read_events(&mut self, buf: &mut Vec<u8>) -> Result<(), ParseError> {
        while self.ready.is_empty() && !self.done {
            buf.clear();
            let event = self.reader.read_event_into(buf).map_err(|e| ParseError {
                at: format!("line {}", self.reader.get_ref().line),
                field: "XML".into(),
                reason: format!("malformed XML: {e}"),
            })?;
            match event {
                Event::Start(start) => self.start(&start)?,
                Event::Empty(empty) => {
                    self.start(&empty)?;
                    self.close()?;
                    self.path.pop();
                }
                Event::Text(text) => {
                    let decoded = text.xml10_content().map_err(|e| self.error(self.here(), e.to_string()))?;
                    self.text.push_str(&decoded);
                }
                Event::CData(data) => {
                    let decoded = data.decode().map_err(|e| self.error(self.here(), e.to_string()))?;
                    self.text.push_str(&decoded);
                }
                Event::GeneralRef(reference) => {
                    let name = reference.decode().map_err(|e| self.error(self.here(), e.to_string()))?;
                    match reference.resolve_char_ref() {
                        Ok(Some(c)) => self.text.push(c),
                        _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(resolved) => self.text.push_str(resolved),
                            None => return Err(self.error(self.here(), format!("unknown entity &{name};"))),
                        },
                    }
                }
                Event::End(_) => {
                    self.close()?;
                    self.path.pop();
                }
                Event::Eof => {
                    if !self.root_checked {
                        return Err(self.error("Document", "empty file: no camt.053 document"));
                    }
                    if !self.saw_statement {
                        return Err(
                            self.error("BkToCstmrStmt", "not a bank-to-customer statement (camt.053)")
                        );
                    }
                    if !self.path.is_empty() {
                        return Err(self.error(self.here(), "the file ends inside an element"));
                    }
                    self.done = true;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// An element starts: checked if it is the root, pushed on the path.
    fn start(&mut self, start: &quick_xml::events::BytesStart<'_>) -> Result<(), ParseError> {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        if name.is_empty() {
            // quick-xml reads `< ` as an element without a name; errors would name no field.
            return Err(self.error("XML", "malformed XML: an element without a name"));
        }
        let mut namespace = None;
        let mut currency = None;
        for attribute in start.attributes().flatten() {
            let key = attribute.key.as_ref();
            if key == b"xmlns" {
                namespace = Some(String::from_utf8_lossy(&attribute.value).into_owned());
            } else if key == b"Ccy" {
                currency = Some(String::from_utf8_lossy(&attribute.value).into_owned());
            }
        }
        if !self.root_checked {
            self.check_root(&name, namespace.as_deref())?;
        }
        if name == "BkToCstmrStmt" {
            self.saw_statement = true;
        }
        if name == "Amt" {
            self.currency = currency;
        }
        self.open(&name);
        self.path.push(name);
        self.text.clear();
        Ok(())
    }

    fn here(&self) -> &str {
        self.path.last().map_or("Document", String::as_str)
    }

    fn check_root(&mut self, name: &str, namespace: Option<&str>) -> Result<(), ParseError> {
        if name != "Document" {
            return Err(self.error(name, "not a camt.053 file: the root element is not Document"));
        }
        match namespace {
            Some(ns) if NAMESPACES.contains(&ns) => {}
            Some(ns) => {
                return Err(self.error(
                    "Document/@xmlns",
                    format!("unknown camt version '{ns}': camt.053.001.02 and camt.053.001.08 are read"),
                ))
            }
            None => return Err(self.error("Document/@xmlns", "no namespace: the camt version is unknown")),
        }
        self.root_checked = true;
        Ok(())
    }

    fn ends_with(&self, tail: &[&str]) -> bool {
        self.path.len() >= tail.len()
            && self.path[self.path.len() - tail.len()..].iter().zip(tail).all(|(a, b)| a == b)
    }

    /// An element opens (the path does not hold it yet).
    fn open(&mut self, name: &str) {
        if name == "Ntry" && self.ends_with(&["Stmt"]) {
            self.entry = Some(Entry { line: self.line(), ..Default::default() });
        } else if name == "TxDtls" {
            if let Some(entry) = self.entry.as_mut() {
                entry.current = Some(Transaction::default());
            }
        }
    }

    /// The element at the end of the path closes, with its text.
    fn close(&mut self) -> Result<(), ParseError> {
        if self.entry.is_none() {
            return Ok(());
        }
        let text = std::mem::take(&mut self.text);
        let text = text.trim();
        if self.ends_with(&["Ntry"]) {
            let entry = self.entry.take().expect("an entry is open");
            return self.finish(entry);
        }
        let in_tx = self.path.iter().any(|p| p == "TxDtls");
        if in_tx {
            let amount = if self.ends_with(&["TxDtls", "Amt"]) || self.ends_with(&["AmtDtls", "TxAmt", "Amt"])
            {
                Some(self.money(text)?)
            } else {
                None
            };
            let name = self.ends_with(&["RltdPties", "Dbtr", "Nm"])
                || self.ends_with(&["RltdPties", "Dbtr", "Pty", "Nm"]);
            let iban = self.ends_with(&["RltdPties", "DbtrAcct", "Id", "IBAN"]);
            let tx_ref = self.ends_with(&["TxDtls", "Refs", "AcctSvcrRef"]);
            let end_to_end = self.ends_with(&["TxDtls", "Refs", "EndToEndId"]);
            let tx_id = self.ends_with(&["TxDtls", "Refs", "TxId"]);
            let structured = self.ends_with(&["Strd", "CdtrRefInf", "Ref"]);
            let unstructured = self.ends_with(&["RmtInf", "Ustrd"]);
            let closes = self.ends_with(&["TxDtls"]);
            let entry = self.entry.as_mut().expect("an entry is open");
            if closes {
                if let Some(tx) = entry.current.take() {
                    entry.transactions.push(tx);
                }
                return Ok(());
            }
            let Some(tx) = entry.current.as_mut() else { return Ok(()) };
            let owned = || Some(text.to_owned()).filter(|t| !t.is_empty());
            if let Some(amount) = amount {
                tx.amount.get_or_insert(amount);
            } else if name {
                tx.debtor_name = owned();
            } else if iban {
                // A malformed account identifies no one: the line is read as if it had none.
                tx.payer_iban = Iban::parse(text).ok();
            } else if tx_ref {
                tx.reference = owned();
            } else if end_to_end {
                tx.end_to_end_id = owned().filter(|id| id != "NOTPROVIDED");
            } else if tx_id {
                tx.tx_id = owned();
            } else if structured && !text.is_empty() {
                tx.references.push(text.to_owned());
            } else if unstructured && !text.is_empty() {
                tx.text.push(text.to_owned());
            }
            return Ok(());
        }
        if self.ends_with(&["Ntry", "Amt"]) {
            let amount = self.money(text)?;
            self.entry.as_mut().expect("an entry is open").amount = Some(amount);
        } else if self.ends_with(&["Ntry", "CdtDbtInd"]) {
            let credit = match text {
                "CRDT" => true,
                "DBIT" => false,
                other => {
                    return Err(self.error("Ntry/CdtDbtInd", format!("'{other}' is neither CRDT nor DBIT")))
                }
            };
            self.entry.as_mut().expect("an entry is open").credit = Some(credit);
        } else if self.ends_with(&["Ntry", "BookgDt", "Dt"]) || self.ends_with(&["Ntry", "BookgDt", "DtTm"]) {
            let date = self.date("Ntry/BookgDt", text)?;
            self.entry.as_mut().expect("an entry is open").booked_on = Some(date);
        } else if self.ends_with(&["Ntry", "ValDt", "Dt"]) || self.ends_with(&["Ntry", "ValDt", "DtTm"]) {
            let date = self.date("Ntry/ValDt", text)?;
            self.entry.as_mut().expect("an entry is open").value_date = Some(date);
        } else if self.ends_with(&["Ntry", "AcctSvcrRef"]) {
            self.entry.as_mut().expect("an entry is open").reference = Some(text.to_owned());
        } else if self.ends_with(&["Ntry", "NtryRef"]) {
            self.entry.as_mut().expect("an entry is open").entry_ref = Some(text.to_owned());
        } else if self.ends_with(&["Ntry", "AddtlNtryInf"]) {
            self.entry.as_mut().expect("an entry is open").info = text.to_owned();
        }
        Ok(())
    }

    fn money(&self, text: &str) -> Result<Money, ParseError> {
        let from = self.path.iter().rposition(|p| p == "Ntry").unwrap_or(0);
        let field = self.path[from..].join("/");
        let code = self
            .currency
            .as_deref()
            .ok_or_else(|| self.error(&format!("{field}/@Ccy"), "missing currency"))?;
        let currency =
            Currency::parse(code).map_err(|e| self.error(&format!("{field}/@Ccy"), e.to_string()))?;
        let amount = Decimal::from_str(text)
            .ok()
            .filter(|a| *a > Decimal::ZERO)
            .ok_or_else(|| self.error(&field, format!("'{text}' is not a positive amount")))?;
        Ok(Money::new(amount, currency))
    }

    fn date(&self, field: &str, text: &str) -> Result<NaiveDate, ParseError> {
        NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
            .map_err(|_| self.error(field, format!("'{text}' is not a date (YYYY-MM-DD)")))
    }

    /// A complete entry: its lines (credits) or a skipped debit.
    fn finish(&mut self, entry: Entry) -> Result<(), ParseError> {
        let at = |field: &str, reason: &str| ParseError {
            at: format!("entry at line {}", entry.line),
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        let credit = entry.credit.ok_or_else(|| at("Ntry/CdtDbtInd", "missing"))?;
        if !credit {
            self.ready.push_back(Parsed::Debit);
            return Ok(());
        }
        let amount = entry.amount.ok_or_else(|| at("Ntry/Amt", "missing"))?;
        let booked_on = entry.booked_on.or(entry.value_date).ok_or_else(|| at("Ntry/BookgDt", "missing"))?;
        let entry_ref = entry.reference.clone().or(entry.entry_ref.clone());
        let single = entry.transactions.len() <= 1;
        let transactions = if entry.transactions.is_empty() {
            vec![Transaction { text: vec![entry.info.clone()], ..Default::default() }]
        } else {
            entry.transactions
        };
        for (position, tx) in transactions.into_iter().enumerate() {
            let tx_amount = match tx.amount {
                Some(a) if !single || a.currency() == amount.currency() => a,
                _ if single => amount,
                _ => return Err(at("NtryDtls/TxDtls/Amt", "missing in a batch entry")),
            };
            let tx_ref = tx
                .reference
                .clone()
                .or(tx.end_to_end_id.clone())
                .or(tx.tx_id.clone())
                .unwrap_or_else(|| (position + 1).to_string());
            self.ready.push_back(Parsed::Credit(StatementLine {
                bank_reference: entry_ref.as_ref().map(|e| format!("{e}/{tx_ref}")),
                booked_on,
                amount: tx_amount,
                debtor_name: tx.debtor_name,
                payer_iban: tx.payer_iban,
                references: tx.references,
                text: tx.text.join(" "),
                end_to_end_id: tx.end_to_end_id,
            }));
        }
        Ok(())
    }
}

impl<R: BufRead> Iterator for Camt053<R> {
    type Item = Result<Parsed, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(error) = self.advance() {
            self.done = true;
            self.ready.clear();
            return Some(Err(error));
        }
        self.ready.pop_front().map(Ok)
    }
}

/// Counts the lines the XML reader has consumed, so that errors name a line.
struct LineCounter<R> {
    inner: R,
    line: u64,
}

impl<R: BufRead> std::io::Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.line += out[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buffer) = self.inner.fill_buf() {
            self.line += buffer[..amount.min(buffer.len())].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amount)
    }
}

#[cfg(test)]
#[path = "camt053_tests.rs"]
mod tests;
