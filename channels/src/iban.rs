//! Bank account identifiers for the letter's bank details and the EPC QR code: IBAN (ISO 13616),
//! checked by `iban_validate` against the SWIFT IBAN registry (country, length and format of the
//! national part, mod-97 check digits), and the BIC (ISO 9362) format.
//!
//! Both are parsed once, from configuration, and carried as newtypes; what is inside is always the
//! electronic form (upper case, no spaces). [`Iban::printed`] gives the groups of four that go on
//! paper.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IBAN whose country, length and check digits were verified. Holds the electronic form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

/// Why a text is not an IBAN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("IBAN is empty")]
    Empty,
    #[error("IBAN contains {ch:?}: only letters, digits and spaces between groups are allowed")]
    InvalidCharacter { ch: char },
    #[error("IBAN must start with a two-letter country code and two check digits")]
    BadPrefix,
    #[error("IBAN country {country:?} is not in the IBAN registry")]
    UnknownCountry { country: String },
    #[error("IBAN for {country} does not have that country's length and account number format")]
    WrongFormat { country: String },
    #[error("IBAN check digits {digits:?} are never issued (valid range 02 to 98)")]
    ImpossibleCheckDigits { digits: String },
    #[error("IBAN check digits do not match: mistyped or incomplete")]
    ChecksumMismatch,
}

impl Iban {
    /// Reads an IBAN in electronic (`DE89370400440532013000`) or printed
    /// (`DE89 3704 0044 0532 0130 00`) form, in any letter case.
    pub fn parse(input: &str) -> Result<Self, IbanError> {
        let compact = compact_upper(input).map_err(|ch| IbanError::InvalidCharacter { ch })?;
        if compact.is_empty() {
            return Err(IbanError::Empty);
        }
        let bytes = compact.as_bytes();
        if bytes.len() < 4
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
        {
            return Err(IbanError::BadPrefix);
        }
        let country = || compact[..2].to_owned();
        // 00, 01 and 99 first: the registry check would call them a checksum mismatch.
        check_digits_in_range(&compact[2..4])
            .map_err(|digits| IbanError::ImpossibleCheckDigits { digits })?;
        match ::iban::Iban::from_str(&compact) {
            Ok(_) => {}
            Err(::iban::ParseIbanError::UnknownCountry(_)) => {
                return Err(IbanError::UnknownCountry { country: country() })
            }
            Err(::iban::ParseIbanError::InvalidBban(_)) => {
                return Err(IbanError::WrongFormat { country: country() })
            }
            Err(::iban::ParseIbanError::InvalidBaseIban { source }) => {
                return Err(match source {
                    ::iban::ParseBaseIbanError::InvalidChecksum => IbanError::ChecksumMismatch,
                    ::iban::ParseBaseIbanError::InvalidFormat => {
                        IbanError::WrongFormat { country: country() }
                    }
                })
            }
        }
        Ok(Iban(compact))
    }

    /// The electronic form, as it goes into payment files and QR codes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO 3166 country code, e.g. `DE`.
    pub fn country_code(&self) -> &str {
        &self.0[..2]
    }

    /// The two check digits after the country code.
    pub fn check_digits(&self) -> &str {
        &self.0[2..4]
    }

    /// The national part after the check digits.
    pub fn bban(&self) -> &str {
        &self.0[4..]
    }

    /// The printed form for paper: groups of four separated by a space.
    pub fn printed(&self) -> String {
        group_by_four(&self.0)
    }

    /// Whether the account is in the European Economic Area. EPC069-12 makes the BIC optional
    /// only there.
    pub fn is_eea(&self) -> bool {
        EEA.contains(&self.country_code())
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Iban {
    type Err = IbanError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Iban::parse(s)
    }
}

impl TryFrom<String> for Iban {
    type Error = IbanError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Iban::parse(&s)
    }
}

impl From<Iban> for String {
    fn from(iban: Iban) -> String {
        iban.0
    }
}

impl AsRef<str> for Iban {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A BIC (ISO 9362) of 8 or 11 characters: bank code, country code, location and optional branch.
/// Only the format is checked; whether the bank exists is for the bank to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bic(String);

/// Why a text is not a BIC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BicError {
    #[error("BIC must have 8 or 11 characters, found {found}")]
    WrongLength { found: usize },
    #[error("BIC must be 4 letters (bank), 2 letters (country), 2 letters or digits (location) and optionally 3 (branch)")]
    BadFormat,
}

impl Bic {
    /// Reads a BIC in any letter case; surrounding spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, BicError> {
        let bic = input.trim().to_ascii_uppercase();
        let found = bic.chars().count();
        if found != 8 && found != 11 {
            return Err(BicError::WrongLength { found });
        }
        let b = bic.as_bytes();
        let ok = b[..6].iter().all(u8::is_ascii_uppercase)
            && b[6..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !ok {
            return Err(BicError::BadFormat);
        }
        Ok(Bic(bic))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The four-letter institution code.
    pub fn bank_code(&self) -> &str {
        &self.0[..4]
    }

    /// The ISO 3166 country code.
    pub fn country_code(&self) -> &str {
        &self.0[4..6]
    }

    /// The two-character location code.
    pub fn location_code(&self) -> &str {
        &self.0[6..8]
    }

    /// The three-character branch code of an 11-character BIC.
    pub fn branch_code(&self) -> Option<&str> {
        self.0.get(8..).filter(|branch| !branch.is_empty())
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Bic {
    type Err = BicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bic::parse(s)
    }
}

impl TryFrom<String> for Bic {
    type Error = BicError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Bic::parse(&s)
    }
}

impl From<Bic> for String {
    fn from(bic: Bic) -> String {
        bic.0
    }
}

/// ISO 7064 MOD 97-10 remainder of an upper-case alphanumeric text, letters counted as A = 10 …
/// Z = 35, the way IBAN and RF check digits are computed. Digits are folded in as they come so no
/// big integer is needed.
pub(crate) fn mod97(text: &str) -> u32 {
    text.bytes().fold(0u32, |rem, b| match b {
        b'0'..=b'9' => (rem * 10 + u32::from(b - b'0')) % 97,
        b'A'..=b'Z' => (rem * 100 + u32::from(b - b'A') + 10) % 97,
        _ => unreachable!("mod97 is only called on upper-case alphanumeric text"),
    })
}

/// Check digits are `98 - remainder`, so 00, 01 and 99 are never issued although 01 and 99 would
/// pass the remainder test (they are congruent to 98 and 02). Rejecting them catches a typo there.
pub(crate) fn check_digits_in_range(digits: &str) -> Result<(), String> {
    match digits.parse::<u8>() {
        Ok(2..=98) => Ok(()),
        _ => Err(digits.to_owned()),
    }
}

/// Drops spaces and upper-cases; any other non-alphanumeric character is returned as the error.
pub(crate) fn compact_upper(input: &str) -> Result<String, char> {
    let mut out = String::with_capacity(input.len());
    for ch in input.trim().chars() {
        match ch {
            ' ' => {}
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            c => return Err(c),
        }
    }
    Ok(out)
}

/// `ABCDEFGHIJ` -> `ABCD EFGH IJ`.
pub(crate) fn group_by_four(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + compact.len() / 4);
    for (i, ch) in compact.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

/// Countries of the European Economic Area (EU, Iceland, Liechtenstein, Norway).
const EEA: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT",
    "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The example IBANs of the SWIFT registry for the SEPA countries (and a few others).
    const REGISTRY_EXAMPLES: &[&str] = &[
        "AD12 0001 2030 2003 5910 0100",
        "AT61 1904 3002 3457 3201",
        "BE68 5390 0754 7034",
        "BG80 BNBG 9661 1020 3456 78",
        "CH93 0076 2011 6238 5295 7",
        "CY17 0020 0128 0000 0012 0052 7600",
        "CZ65 0800 0000 1920 0014 5399",
        "DE89 3704 0044 0532 0130 00",
        "DK50 0040 0440 1162 43",
        "EE38 2200 2210 2014 5685",
        "ES91 2100 0418 4502 0005 1332",
        "FI21 1234 5600 0007 85",
        "FR14 2004 1010 0505 0001 3M02 606",
        "GB29 NWBK 6016 1331 9268 19",
        "GI75 NWBK 0000 0000 7099 453",
        "GR16 0110 1250 0000 0001 2300 695",
        "HR12 1001 0051 8630 0016 0",
        "HU42 1177 3016 1111 1018 0000 0000",
        "IE29 AIBK 9311 5212 3456 78",
        "IS14 0159 2600 7654 5510 7303 39",
        "IT60 X054 2811 1010 0000 0123 456",
        "LI21 0881 0000 2324 013A A",
        "LT12 1000 0111 0100 1000",
        "LU28 0019 4006 4475 0000",
        "LV80 BANK 0000 4351 9500 1",
        "MC58 1122 2000 0101 2345 6789 030",
        "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
        "NL91 ABNA 0417 1643 00",
        "NO93 8601 1117 947",
        "PL61 1090 1014 0000 0712 1981 2874",
        "PT50 0002 0123 1234 5678 9015 4",
        "RO49 AAAA 1B31 0075 9384 0000",
        "SE45 5000 0000 0583 9825 7466",
        "SI56 2633 0001 2039 086",
        "SK31 1200 0000 1987 4263 7541",
        "SM86 U032 2509 8000 0000 0270 100",
        "VA59 0011 2300 0012 3456 78",
        "AL47 2121 1009 0000 0002 3569 8741",
        "MD24 AG00 0225 1000 1310 4168",
        "ME25 5050 0001 2345 6789 51",
        "MK07 2501 2000 0058 984",
        "RS35 2600 0560 1001 6113 79",
        "TR33 0006 1005 1978 6457 8413 26",
        "UA21 3223 1300 0002 6007 2335 6600 1",
    ];

    #[test]
    fn registry_examples_parse_and_print_back() {
        for printed in REGISTRY_EXAMPLES {
            let iban = Iban::parse(printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
            assert_eq!(&iban.printed(), printed);
            assert_eq!(iban.to_string(), printed.replace(' ', ""));
        }
    }

    #[test]
    fn parts_of_a_german_iban() {
        let iban = Iban::parse("de89370400440532013000").unwrap();
        assert_eq!(iban.as_str(), "DE89370400440532013000");
        assert_eq!(iban.country_code(), "DE");
        assert_eq!(iban.check_digits(), "89");
        assert_eq!(iban.bban(), "370400440532013000");
        assert!(iban.is_eea());
        assert!(!Iban::parse("CH9300762011623852957").unwrap().is_eea());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(Iban::parse("  "), Err(IbanError::Empty));
        assert_eq!(Iban::parse("DE89-3704"), Err(IbanError::InvalidCharacter { ch: '-' }));
        assert_eq!(Iban::parse("D189370400440532013000"), Err(IbanError::BadPrefix));
        assert_eq!(
            Iban::parse(&make_iban("XX", "370400440532013000")),
            Err(IbanError::UnknownCountry { country: "XX".into() })
        );
        // One digit short: the check digits no longer match; with them recomputed, the length
        // is still wrong for Germany.
        assert_eq!(Iban::parse("DE8937040044053201300"), Err(IbanError::ChecksumMismatch));
        let short = make_iban("DE", "37040044053201300");
        assert_eq!(Iban::parse(&short), Err(IbanError::WrongFormat { country: "DE".into() }));
        // German account numbers are digits only.
        assert_eq!(
            Iban::parse(&make_iban("DE", "37040044053201300A")),
            Err(IbanError::WrongFormat { country: "DE".into() })
        );
        assert_eq!(Iban::parse("DE88370400440532013000"), Err(IbanError::ChecksumMismatch));
        // 01 is congruent to 98 modulo 97, so only the range check catches it.
        let with_98 = (0..1000)
            .map(|n| make_iban("DE", &format!("370400440532{n:06}")))
            .find(|iban| &iban[2..4] == "98")
            .unwrap();
        assert!(Iban::parse(&with_98).is_ok());
        assert_eq!(
            Iban::parse(&with_98.replacen("98", "01", 1)),
            Err(IbanError::ImpossibleCheckDigits { digits: "01".into() })
        );
        assert_eq!(
            Iban::parse("DE00370400440532013000"),
            Err(IbanError::ImpossibleCheckDigits { digits: "00".into() })
        );
        let err = Iban::parse(&short).unwrap_err().to_string();
        assert_eq!(err, "IBAN for DE does not have that country's length and account number format");
    }

    #[test]
    fn serde_goes_through_parse() {
        let iban: Iban = serde_json::from_str("\"DE89 3704 0044 0532 0130 00\"").unwrap();
        assert_eq!(serde_json::to_string(&iban).unwrap(), "\"DE89370400440532013000\"");
        assert!(serde_json::from_str::<Iban>("\"DE88370400440532013000\"").is_err());
        let bic: Bic = serde_json::from_str("\"cobadeffxxx\"").unwrap();
        assert_eq!(bic.as_str(), "COBADEFFXXX");
    }

    #[test]
    fn bic_format() {
        let bic = Bic::parse("COBADEFFXXX").unwrap();
        assert_eq!(
            (bic.bank_code(), bic.country_code(), bic.location_code(), bic.branch_code()),
            ("COBA", "DE", "FF", Some("XXX"))
        );
        assert_eq!(Bic::parse("BPOTBEB1").unwrap().branch_code(), None);
        assert_eq!(Bic::parse("BPOTBEB"), Err(BicError::WrongLength { found: 7 }));
        assert_eq!(Bic::parse("BPOTBEB1X"), Err(BicError::WrongLength { found: 9 }));
        assert_eq!(Bic::parse("BP0TBEB1"), Err(BicError::BadFormat));
        assert_eq!(Bic::parse("BPOTB1B1"), Err(BicError::BadFormat));
        assert_eq!(Bic::parse("BPOTBEB1-XX"), Err(BicError::BadFormat));
        assert_eq!(Bic::parse("BPOTBEBÄ"), Err(BicError::BadFormat));
    }

    /// A syntactically valid IBAN for a registry country with the given national part digits.
    fn make_iban(country: &str, bban: &str) -> String {
        let rem = mod97(&format!("{bban}{country}00"));
        format!("{country}{:02}{bban}", 98 - rem)
    }

    /// A registry example with every digit and letter of its national part replaced by another
    /// digit or letter (the national formats say which positions hold which), and its check
    /// digits computed anew.
    fn valid_iban() -> impl Strategy<Value = String> {
        proptest::sample::select(REGISTRY_EXAMPLES).prop_flat_map(|printed| {
            let example = printed.replace(' ', "");
            let bban: String = example[4..].to_owned();
            proptest::collection::vec(any::<u8>(), bban.len()).prop_map(move |noise| {
                let bban: String = bban
                    .bytes()
                    .zip(noise)
                    .map(|(b, n)| match b {
                        b'0'..=b'9' => char::from(b'0' + n % 10),
                        _ => char::from(b'A' + n % 26),
                    })
                    .collect();
                make_iban(&example[..2], &bban)
            })
        })
    }

    proptest! {
        #[test]
        fn generated_ibans_round_trip(raw in valid_iban(), lower in any::<bool>()) {
            let input = if lower { raw.to_ascii_lowercase() } else { raw.clone() };
            let iban = Iban::parse(&input).unwrap();
            prop_assert_eq!(iban.as_str(), raw.as_str());
            prop_assert_eq!(Iban::parse(&iban.printed()).unwrap(), iban);
        }

        /// MOD 97-10 catches every change of one digit into another digit or one letter into
        /// another letter: the number changes by d * 10^k with 0 < d < 97, never a multiple of 97.
        #[test]
        fn any_same_class_substitution_is_caught(raw in valid_iban(), pos in any::<prop::sample::Index>(), step in 1u8..9) {
            let mut bytes = raw.clone().into_bytes();
            let i = 2 + pos.index(bytes.len() - 2);
            bytes[i] = match bytes[i] {
                d @ b'0'..=b'9' => b'0' + (d - b'0' + step) % 10,
                l => b'A' + (l - b'A' + step) % 26,
            };
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Iban::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Iban::parse(&s);
            let _ = Bic::parse(&s);
        }

        #[test]
        fn valid_bics_parse(s in "[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?") {
            let bic = Bic::parse(&s.to_ascii_lowercase()).unwrap();
            prop_assert_eq!(bic.as_str(), s.as_str());
        }
    }
}
