//! The text inside an EPC QR code ("GiroCode", EPC069-12): everything a banking app needs to
//! pre-fill a SEPA credit transfer, printed on the letter next to the bank details.
//!
//! The payload is up to twelve lines separated by LF, with nothing after the last line given:
//!
//! | # | element | rule here |
//! |---|---|---|
//! | 1 | service tag | `BCD` |
//! | 2 | version | `002` written; `001` (BIC mandatory) also read |
//! | 3 | character set | `1` (UTF-8) |
//! | 4 | identification | `SCT` |
//! | 5 | BIC | 8 or 11 characters; may be empty in 002 when the IBAN is in the EEA |
//! | 6 | beneficiary name | 1 to 70 characters |
//! | 7 | IBAN | valid IBAN, electronic form |
//! | 8 | amount | `EUR` + 0.01 to 999999999.99, at most 2 decimals (written with exactly 2) |
//! | 9 | purpose | optional ISO 20022 purpose code, 4 capital letters |
//! | 10 | structured remittance | optional ISO 11649 RF creditor reference … |
//! | 11 | unstructured remittance | … or optional text of at most 140 characters, never both |
//! | 12 | beneficiary to originator information | optional, at most 70 characters |
//!
//! The whole payload is at most 331 bytes (QR version 13 at error correction level M, which the
//! renderer must use). [`EpcPayment::builder`] checks all of it and names the field that is wrong;
//! [`EpcPayment::parse`] reads a payload back with the same rules, for tests that decode the QR
//! code off a rendered letter.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::creditor_reference::RfReference;
use crate::iban::{Bic, Iban};

/// Largest payload in bytes (QR version 13, error correction M).
pub const MAX_PAYLOAD_BYTES: usize = 331;
/// Longest beneficiary name in characters.
pub const MAX_NAME_CHARS: usize = 70;
/// Longest unstructured remittance text in characters.
pub const MAX_TEXT_CHARS: usize = 140;
/// Longest beneficiary-to-originator information in characters.
pub const MAX_INFORMATION_CHARS: usize = 70;

const SERVICE_TAG: &str = "BCD";
const UTF8: &str = "1";
const SCT: &str = "SCT";
const MAX_LINES: usize = 12;

/// The version line. This crate writes 002; 001 is read too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpcVersion {
    /// `001`: the BIC is mandatory.
    V1,
    /// `002`: the BIC may be left out for accounts in the EEA.
    V2,
}

impl EpcVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            EpcVersion::V1 => "001",
            EpcVersion::V2 => "002",
        }
    }
}

/// What tells the creditor which case a payment belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Remittance {
    /// Structured: an ISO 11649 RF creditor reference (line 10).
    Reference(RfReference),
    /// Unstructured text (line 11).
    Text(String),
}

/// The element of the payload an [`EpcError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpcField {
    ServiceTag,
    Version,
    CharacterSet,
    Identification,
    Bic,
    Name,
    Iban,
    Amount,
    Purpose,
    Remittance,
    Information,
    /// The payload as a whole: its size or number of lines.
    Payload,
}

impl EpcField {
    pub fn as_str(self) -> &'static str {
        match self {
            EpcField::ServiceTag => "service tag",
            EpcField::Version => "version",
            EpcField::CharacterSet => "character set",
            EpcField::Identification => "identification",
            EpcField::Bic => "BIC",
            EpcField::Name => "beneficiary name",
            EpcField::Iban => "IBAN",
            EpcField::Amount => "amount",
            EpcField::Purpose => "purpose",
            EpcField::Remittance => "remittance information",
            EpcField::Information => "beneficiary to originator information",
            EpcField::Payload => "payload",
        }
    }
}

impl fmt::Display for EpcField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment that cannot be put into (or was not read from) an EPC QR code, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("EPC QR code {field}: {problem}")]
pub struct EpcError {
    pub field: EpcField,
    pub problem: String,
}

impl EpcError {
    fn new(field: EpcField, problem: impl Into<String>) -> Self {
        EpcError { field, problem: problem.into() }
    }
}

/// A complete, valid EPC QR payment. Built with [`EpcPayment::builder`] or read with
/// [`EpcPayment::parse`]; its [`Display`](fmt::Display) is the payload to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpcPayment {
    version: EpcVersion,
    bic: Option<Bic>,
    name: String,
    iban: Iban,
    amount: Option<Decimal>,
    purpose: Option<String>,
    remittance: Option<Remittance>,
    information: Option<String>,
}

impl EpcPayment {
    /// Starts a version 002 payment; name and IBAN are required, the rest optional.
    /// The payment that pre-fills `transfer` to `bank`: what the letter and the pay-page encode.
    pub fn for_transfer(bank: &crate::BankDetails, transfer: &crate::Transfer) -> Result<Self, EpcError> {
        let mut payment =
            Self::builder().name(bank.account_holder.clone()).iban(bank.iban.clone()).amount(transfer.amount);
        if let Some(bic) = &bank.bic {
            payment = payment.bic(bic.clone());
        }
        if let Some(reference) = &transfer.reference {
            payment = payment.reference(reference.clone());
        }
        if let Some(text) = &transfer.text {
            payment = payment.text(text.clone());
        }
        payment.build()
    }

    pub fn builder() -> EpcBuilder {
        EpcBuilder::default()
    }

    /// Reads a payload field by field. Accepts LF or CR LF between lines and one line break at
    /// the end; only character set 1 (UTF-8), since the text has already been decoded.
    pub fn parse(payload: &str) -> Result<Self, EpcError> {
        let body = payload.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(payload);
        let lines: Vec<&str> = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        if lines.len() > MAX_LINES {
            return Err(EpcError::new(
                EpcField::Payload,
                format!("has {} lines, at most {MAX_LINES} are allowed", lines.len()),
            ));
        }
        let line = |i: usize| lines.get(i).copied().unwrap_or("");
        let required = |i: usize, field: EpcField| match lines.get(i) {
            Some(l) if !l.is_empty() => Ok(*l),
            _ => Err(EpcError::new(field, "is missing")),
        };

        let tag = required(0, EpcField::ServiceTag)?;
        if tag != SERVICE_TAG {
            return Err(EpcError::new(EpcField::ServiceTag, format!("must be {SERVICE_TAG}, found {tag:?}")));
        }
        let version = match required(1, EpcField::Version)? {
            "001" => EpcVersion::V1,
            "002" => EpcVersion::V2,
            other => {
                return Err(EpcError::new(EpcField::Version, format!("must be 001 or 002, found {other:?}")))
            }
        };
        let charset = required(2, EpcField::CharacterSet)?;
        if charset != UTF8 {
            return Err(EpcError::new(
                EpcField::CharacterSet,
                format!("only 1 (UTF-8) is supported, found {charset:?}"),
            ));
        }
        let identification = required(3, EpcField::Identification)?;
        if identification != SCT {
            return Err(EpcError::new(
                EpcField::Identification,
                format!("must be {SCT}, found {identification:?}"),
            ));
        }
        let bic = optional(line(4)).map(parse_bic).transpose()?;
        let name = required(5, EpcField::Name)?.to_owned();
        let iban = Iban::parse(required(6, EpcField::Iban)?)
            .map_err(|e| EpcError::new(EpcField::Iban, e.to_string()))?;
        let amount = optional(line(7)).map(parse_amount).transpose()?;
        let purpose = optional(line(8)).map(str::to_owned);
        let reference = optional(line(9))
            .map(|r| {
                RfReference::parse(r)
                    .map_err(|e| EpcError::new(EpcField::Remittance, format!("structured reference: {e}")))
            })
            .transpose()?;
        let text = optional(line(10)).map(str::to_owned);
        let remittance = match (reference, text) {
            (Some(_), Some(_)) => return Err(both_remittances()),
            (Some(r), None) => Some(Remittance::Reference(r)),
            (None, Some(t)) => Some(Remittance::Text(t)),
            (None, None) => None,
        };
        let information = optional(line(11)).map(str::to_owned);
        let payment = EpcPayment { version, bic, name, iban, amount, purpose, remittance, information };
        payment.validate()?;
        Ok(payment)
    }

    /// The payload to put into the QR code: LF-separated, trailing empty elements left out.
    pub fn payload(&self) -> String {
        let (reference, text) = match &self.remittance {
            Some(Remittance::Reference(r)) => (r.as_str().to_owned(), String::new()),
            Some(Remittance::Text(t)) => (String::new(), t.clone()),
            None => (String::new(), String::new()),
        };
        let mut lines = vec![
            SERVICE_TAG.to_owned(),
            self.version.as_str().to_owned(),
            UTF8.to_owned(),
            SCT.to_owned(),
            self.bic.as_ref().map(|b| b.as_str().to_owned()).unwrap_or_default(),
            self.name.clone(),
            self.iban.as_str().to_owned(),
            self.amount.map(format_amount).unwrap_or_default(),
            self.purpose.clone().unwrap_or_default(),
            reference,
            text,
            self.information.clone().unwrap_or_default(),
        ];
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines.join("\n")
    }

    pub fn version(&self) -> EpcVersion {
        self.version
    }

    pub fn bic(&self) -> Option<&Bic> {
        self.bic.as_ref()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn iban(&self) -> &Iban {
        &self.iban
    }

    /// The amount in EUR, if the payer is not to type it.
    pub fn amount(&self) -> Option<Decimal> {
        self.amount
    }

    pub fn purpose(&self) -> Option<&str> {
        self.purpose.as_deref()
    }

    pub fn remittance(&self) -> Option<&Remittance> {
        self.remittance.as_ref()
    }

    /// The RF creditor reference, when the remittance is structured.
    pub fn reference(&self) -> Option<&RfReference> {
        match &self.remittance {
            Some(Remittance::Reference(r)) => Some(r),
            _ => None,
        }
    }

    pub fn information(&self) -> Option<&str> {
        self.information.as_deref()
    }

    /// The rules shared by the builder and the parser.
    fn validate(&self) -> Result<(), EpcError> {
        if self.bic.is_none() {
            if self.version == EpcVersion::V1 {
                return Err(EpcError::new(EpcField::Bic, "is mandatory in version 001"));
            }
            if !self.iban.is_eea() {
                return Err(EpcError::new(
                    EpcField::Bic,
                    format!("is mandatory for an account outside the EEA ({})", self.iban.country_code()),
                ));
            }
        }
        check_text(EpcField::Name, &self.name, MAX_NAME_CHARS)?;
        if let Some(amount) = self.amount {
            check_amount(amount)?;
        }
        if let Some(purpose) = &self.purpose {
            check_purpose(purpose)?;
        }
        if let Some(Remittance::Text(text)) = &self.remittance {
            check_text(EpcField::Remittance, text, MAX_TEXT_CHARS)?;
        }
        if let Some(information) = &self.information {
            check_text(EpcField::Information, information, MAX_INFORMATION_CHARS)?;
        }
        let size = self.payload().len();
        if size > MAX_PAYLOAD_BYTES {
            return Err(EpcError::new(
                EpcField::Payload,
                format!("is {size} bytes, at most {MAX_PAYLOAD_BYTES} fit; shorten the name or the texts"),
            ));
        }
        Ok(())
    }
}

impl fmt::Display for EpcPayment {
    /// The payload, as [`EpcPayment::payload`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.payload())
    }
}

impl FromStr for EpcPayment {
    type Err = EpcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EpcPayment::parse(s)
    }
}

/// Collects the fields of a version 002 payment; [`EpcBuilder::build`] checks them all.
#[derive(Debug, Clone, Default)]
pub struct EpcBuilder {
    bic: Option<Bic>,
    name: Option<String>,
    iban: Option<Iban>,
    amount: Option<Decimal>,
    purpose: Option<String>,
    reference: Option<RfReference>,
    text: Option<String>,
    information: Option<String>,
}

impl EpcBuilder {
    /// Beneficiary name, 1 to 70 characters: the creditor as the payer's bank will show it.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The beneficiary's account. Required.
    pub fn iban(mut self, iban: Iban) -> Self {
        self.iban = Some(iban);
        self
    }

    /// The beneficiary's bank. Optional unless the IBAN is outside the EEA.
    pub fn bic(mut self, bic: Bic) -> Self {
        self.bic = Some(bic);
        self
    }

    /// Amount in EUR, 0.01 to 999999999.99 with at most two decimals; never rounded here.
    pub fn amount(mut self, amount: Decimal) -> Self {
        self.amount = Some(amount);
        self
    }

    /// ISO 20022 purpose code of four capital letters, e.g. `GDDS`. Optional.
    pub fn purpose(mut self, code: impl Into<String>) -> Self {
        self.purpose = Some(code.into());
        self
    }

    /// Structured remittance: the RF creditor reference. Excludes [`EpcBuilder::text`].
    pub fn reference(mut self, reference: RfReference) -> Self {
        self.reference = Some(reference);
        self
    }

    /// Unstructured remittance, at most 140 characters. Excludes [`EpcBuilder::reference`].
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// A note shown to the payer, at most 70 characters. Optional.
    pub fn information(mut self, information: impl Into<String>) -> Self {
        self.information = Some(information.into());
        self
    }

    /// Checks every field and the payload size; the error names the first field that is wrong.
    pub fn build(self) -> Result<EpcPayment, EpcError> {
        let name = self.name.ok_or_else(|| EpcError::new(EpcField::Name, "is missing"))?;
        let iban = self.iban.ok_or_else(|| EpcError::new(EpcField::Iban, "is missing"))?;
        let remittance = match (self.reference, self.text) {
            (Some(_), Some(_)) => return Err(both_remittances()),
            (Some(r), None) => Some(Remittance::Reference(r)),
            (None, Some(t)) => Some(Remittance::Text(t)),
            (None, None) => None,
        };
        let payment = EpcPayment {
            version: EpcVersion::V2,
            bic: self.bic,
            name,
            iban,
            amount: self.amount,
            purpose: self.purpose,
            remittance,
            information: self.information,
        };
        payment.validate()?;
        Ok(payment)
    }
}

fn both_remittances() -> EpcError {
    EpcError::new(EpcField::Remittance, "give either a structured creditor reference or a text, not both")
}

fn optional(line: &str) -> Option<&str> {
    (!line.is_empty()).then_some(line)
}

fn parse_bic(line: &str) -> Result<Bic, EpcError> {
    Bic::parse(line).map_err(|e| EpcError::new(EpcField::Bic, e.to_string()))
}

/// Free text must not be empty or blank, must not hold a line break or other control character
/// (it would shift every following line), and must respect its length in characters.
fn check_text(field: EpcField, text: &str, max_chars: usize) -> Result<(), EpcError> {
    if text.trim().is_empty() {
        return Err(EpcError::new(field, "must not be empty or blank; leave it out instead"));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(EpcError::new(field, format!("must not contain the control character {c:?}")));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(EpcError::new(field, format!("has {chars} characters, at most {max_chars} are allowed")));
    }
    Ok(())
}

fn check_purpose(code: &str) -> Result<(), EpcError> {
    if code.len() == 4 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(EpcError::new(EpcField::Purpose, format!("must be 4 capital letters, found {code:?}")))
    }
}

fn check_amount(amount: Decimal) -> Result<(), EpcError> {
    let min = Decimal::new(1, 2);
    let max = Decimal::new(99_999_999_999, 2);
    if amount.normalize().scale() > 2 {
        return Err(EpcError::new(EpcField::Amount, format!("{amount} has more than 2 decimals")));
    }
    if amount < min || amount > max {
        return Err(EpcError::new(EpcField::Amount, format!("{amount} is outside 0.01 to 999999999.99 EUR")));
    }
    Ok(())
}

/// `EUR` and the amount with exactly two decimals, e.g. `EUR1234.50`.
fn format_amount(amount: Decimal) -> String {
    let mut cents = amount;
    cents.rescale(2);
    format!("EUR{cents}")
}

/// `EUR` + 1 to 9 integer digits + optionally `.` and 1 or 2 decimals, as EPC069-12 allows.
fn parse_amount(line: &str) -> Result<Decimal, EpcError> {
    let bad = || {
        EpcError::new(
            EpcField::Amount,
            format!("must be EUR followed by an amount like 123.45, found {line:?}"),
        )
    };
    let number = line.strip_prefix("EUR").ok_or_else(bad)?;
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let shape_ok = (1..=9).contains(&int.len())
        && digits(int)
        && digits(frac)
        && (number.contains('.') == (1..=2).contains(&frac.len()));
    if !shape_ok {
        return Err(bad());
    }
    let amount = Decimal::from_str(number).map_err(|_| bad())?;
    check_amount(amount)?;
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iban(s: &str) -> Iban {
        Iban::parse(s).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn dunning_payment() -> EpcPayment {
        EpcPayment::builder()
            .name("Müller & Söhne GmbH")
            .iban(iban("DE89 3704 0044 0532 0130 00"))
            .amount(dec("1234.56"))
            .reference(RfReference::from_reference("2024000017").unwrap())
            .information("Mahnung 2 zu Rechnung 2024-000017")
            .build()
            .unwrap()
    }

    #[test]
    fn dunning_payload_line_by_line() {
        let payment = dunning_payment();
        let payload = payment.payload();
        let lines: Vec<&str> = payload.split('\n').collect();
        assert_eq!(
            lines,
            [
                "BCD",
                "002",
                "1",
                "SCT",
                "",
                "Müller & Söhne GmbH",
                "DE89370400440532013000",
                "EUR1234.56",
                "",
                payment.reference().unwrap().as_str(),
                "",
                "Mahnung 2 zu Rechnung 2024-000017",
            ]
        );
        assert!(!payload.ends_with('\n'));
        assert_eq!(EpcPayment::parse(&payload).unwrap(), payment);
        assert_eq!(payment.to_string(), payload);
    }

    #[test]
    fn trailing_empty_elements_are_left_out() {
        let payment = EpcPayment::builder().name("Red Cross").iban(iban("BE72000000001616")).build().unwrap();
        assert_eq!(payment.payload(), "BCD\n002\n1\nSCT\n\nRed Cross\nBE72000000001616");
        let with_amount = EpcPayment::builder()
            .name("Red Cross")
            .iban(iban("BE72000000001616"))
            .amount(dec("1"))
            .build()
            .unwrap();
        assert!(with_amount.payload().ends_with("\nEUR1.00"));
    }

    #[test]
    fn reads_the_published_version_001_sample() {
        // The EPC sample (Belgian Red Cross) as printed in the guidelines' summaries, with CR LF.
        let sample = "BCD\r\n001\r\n1\r\nSCT\r\nBPOTBEB1\r\nRed Cross of Belgium\r\nBE72000000001616\r\n\
                      EUR1\r\nCHAR\r\n\r\nUrgency fund\r\nSample EPC QR code";
        let p = EpcPayment::parse(sample).unwrap();
        assert_eq!(p.version(), EpcVersion::V1);
        assert_eq!(p.bic().unwrap().as_str(), "BPOTBEB1");
        assert_eq!(p.name(), "Red Cross of Belgium");
        assert_eq!(p.iban().as_str(), "BE72000000001616");
        assert_eq!(p.amount(), Some(dec("1")));
        assert_eq!(p.purpose(), Some("CHAR"));
        assert_eq!(p.remittance(), Some(&Remittance::Text("Urgency fund".into())));
        assert_eq!(p.information(), Some("Sample EPC QR code"));
    }

    #[test]
    fn reads_a_structured_reference_sample() {
        let sample = "BCD\n001\n1\nSCT\nBHBLDEHHXXX\nFranz Mustermänn\nDE71110220330123456789\nEUR12.3\nGDDS\nRF18539007547034";
        let p = EpcPayment::parse(sample).unwrap();
        assert_eq!(p.amount(), Some(dec("12.30")));
        assert_eq!(p.reference().unwrap().printed(), "RF18 5390 0754 7034");
        assert_eq!(p.purpose(), Some("GDDS"));
        // Written back as version 001 with a normalised amount.
        assert!(p.payload().contains("\nEUR12.30\nGDDS\nRF18539007547034"));
    }

    #[test]
    fn builder_errors_name_the_field() {
        let base = || EpcPayment::builder().name("Creditor").iban(iban("DE89370400440532013000"));
        let field = |b: EpcBuilder| b.build().unwrap_err().field;
        assert_eq!(field(EpcPayment::builder().iban(iban("DE89370400440532013000"))), EpcField::Name);
        assert_eq!(field(EpcPayment::builder().name("Creditor")), EpcField::Iban);
        assert_eq!(field(base().name("")), EpcField::Name);
        assert_eq!(field(base().name("  ")), EpcField::Name);
        assert_eq!(field(base().name("a".repeat(71))), EpcField::Name);
        assert!(base().name("ä".repeat(70)).build().is_ok(), "70 characters, 140 bytes");
        assert_eq!(field(base().name("Line\nbreak")), EpcField::Name);
        assert_eq!(field(base().amount(dec("0"))), EpcField::Amount);
        assert_eq!(field(base().amount(dec("0.009"))), EpcField::Amount);
        assert_eq!(field(base().amount(dec("-5"))), EpcField::Amount);
        assert_eq!(field(base().amount(dec("1000000000"))), EpcField::Amount);
        assert_eq!(field(base().amount(dec("12.345"))), EpcField::Amount);
        assert!(base().amount(dec("12.3400")).build().is_ok(), "trailing zeros are not decimals");
        assert!(base().amount(dec("999999999.99")).build().is_ok());
        assert!(base().amount(dec("0.01")).build().is_ok());
        assert_eq!(field(base().purpose("gdds")), EpcField::Purpose);
        assert_eq!(field(base().purpose("GDD")), EpcField::Purpose);
        assert_eq!(field(base().text("a".repeat(141))), EpcField::Remittance);
        assert_eq!(field(base().text("\t")), EpcField::Remittance);
        assert_eq!(
            field(base().text("Rechnung 17").reference(RfReference::from_reference("17").unwrap())),
            EpcField::Remittance
        );
        assert_eq!(field(base().information("i".repeat(71))), EpcField::Information);
        let swiss = EpcPayment::builder().name("Creditor").iban(iban("CH9300762011623852957"));
        assert_eq!(field(swiss.clone()), EpcField::Bic);
        assert!(swiss.bic(Bic::parse("UBSWCHZH80A").unwrap()).build().is_ok());

        let err = base().amount(dec("12.345")).build().unwrap_err();
        assert_eq!(err.to_string(), "EPC QR code amount: 12.345 has more than 2 decimals");
    }

    #[test]
    fn payload_over_331_bytes_is_refused() {
        // Each field within its own limit, but multi-byte characters push the total over.
        let err = EpcPayment::builder()
            .bic(Bic::parse("COBADEFFXXX").unwrap())
            .name("Ä".repeat(70))
            .iban(iban("DE89370400440532013000"))
            .amount(dec("999999999.99"))
            .purpose("GDDS")
            .text("€".repeat(140))
            .build()
            .unwrap_err();
        assert_eq!(err.field, EpcField::Payload);
        assert!(err.problem.starts_with("is "), "{}", err.problem);
    }

    #[test]
    fn parse_errors_name_the_field() {
        let good = dunning_payment().payload();
        let replace_line = |i: usize, with: &str| {
            let mut lines: Vec<&str> = good.split('\n').collect();
            lines[i] = with;
            lines.join("\n")
        };
        let field = |p: &str| EpcPayment::parse(p).unwrap_err().field;
        assert_eq!(field(""), EpcField::ServiceTag);
        assert_eq!(field(&replace_line(0, "BCE")), EpcField::ServiceTag);
        assert_eq!(field(&replace_line(1, "003")), EpcField::Version);
        assert_eq!(field(&replace_line(2, "2")), EpcField::CharacterSet);
        assert_eq!(field(&replace_line(3, "INST")), EpcField::Identification);
        assert_eq!(field(&replace_line(4, "COBADEFF1")), EpcField::Bic);
        assert_eq!(field(&replace_line(1, "001")), EpcField::Bic, "001 needs a BIC");
        assert_eq!(field(&replace_line(5, "")), EpcField::Name);
        assert_eq!(field(&replace_line(6, "DE88370400440532013000")), EpcField::Iban);
        assert_eq!(field(&replace_line(7, "USD12.00")), EpcField::Amount);
        assert_eq!(field(&replace_line(7, "EUR12,00")), EpcField::Amount);
        assert_eq!(field(&replace_line(7, "EUR12.")), EpcField::Amount);
        assert_eq!(field(&replace_line(7, "EUR.5")), EpcField::Amount);
        assert_eq!(field(&replace_line(7, "EUR1e3")), EpcField::Amount);
        assert_eq!(field(&replace_line(7, "EUR+5")), EpcField::Amount);
        assert_eq!(field(&replace_line(7, "EUR1000000000")), EpcField::Amount);
        assert_eq!(field(&replace_line(8, "X")), EpcField::Purpose);
        assert_eq!(field(&replace_line(9, "RF19539007547034")), EpcField::Remittance);
        assert_eq!(field(&replace_line(10, "and a text")), EpcField::Remittance);
        assert_eq!(field(&format!("{good}\nthirteenth")), EpcField::Payload);
        assert_eq!(field("BCD\n002\n1\nSCT\n\nName"), EpcField::Iban);
        // One trailing line break is tolerated.
        assert!(EpcPayment::parse(&format!("{good}\n")).is_ok());
    }

    fn text_strategy(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("\\p{{L}}[\\p{{L}}\\p{{N}} .,&'/€-]{{0,{}}}", max - 1))
            .unwrap()
    }

    fn payment_strategy() -> impl Strategy<Value = EpcBuilder> {
        (
            text_strategy(MAX_NAME_CHARS),
            proptest::option::of(1i64..=99_999_999_999),
            proptest::option::of("[A-Z]{4}"),
            prop_oneof![
                Just(None),
                "[0-9A-Z]{1,21}"
                    .prop_map(|r| Some(Remittance::Reference(RfReference::from_reference(&r).unwrap()))),
                text_strategy(MAX_TEXT_CHARS).prop_map(|t| Some(Remittance::Text(t))),
            ],
            proptest::option::of(text_strategy(MAX_INFORMATION_CHARS)),
            any::<bool>(),
        )
            .prop_map(|(name, cents, purpose, remittance, information, with_bic)| {
                let mut b = EpcPayment::builder().name(name).iban(iban("AT611904300234573201"));
                if let Some(cents) = cents {
                    b = b.amount(Decimal::new(cents, 2));
                }
                if let Some(p) = purpose {
                    b = b.purpose(p);
                }
                match remittance {
                    Some(Remittance::Reference(r)) => b = b.reference(r),
                    Some(Remittance::Text(t)) => b = b.text(t),
                    None => {}
                }
                if let Some(i) = information {
                    b = b.information(i);
                }
                if with_bic {
                    b = b.bic(Bic::parse("BKAUATWW").unwrap());
                }
                b
            })
    }

    proptest! {
        /// Whatever the builder accepts fits the QR code and reads back identically; the only
        /// refusal for fields within their own limits is the overall size.
        #[test]
        fn built_payments_round_trip(builder in payment_strategy()) {
            match builder.build() {
                Ok(payment) => {
                    let payload = payment.payload();
                    prop_assert!(payload.len() <= MAX_PAYLOAD_BYTES);
                    prop_assert!(payload.split('\n').count() <= 12);
                    prop_assert!(payload.starts_with("BCD\n002\n1\nSCT\n"));
                    prop_assert_eq!(EpcPayment::parse(&payload).unwrap(), payment.clone());
                    prop_assert_eq!(EpcPayment::parse(&payload.replace('\n', "\r\n")).unwrap(), payment);
                }
                Err(e) => prop_assert_eq!(e.field, EpcField::Payload),
            }
        }

        #[test]
        fn amounts_are_written_with_two_decimals(cents in 1i64..=99_999_999_999) {
            let amount = Decimal::new(cents, 2);
            let line = format_amount(amount);
            prop_assert_eq!(&line, &format!("EUR{}.{:02}", cents / 100, cents % 100));
            prop_assert_eq!(parse_amount(&line).unwrap(), amount);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,200}", lines in prop::collection::vec("\\PC{0,20}", 0..14)) {
            let _ = EpcPayment::parse(&s);
            let _ = EpcPayment::parse(&lines.join("\n"));
        }
    }
}
