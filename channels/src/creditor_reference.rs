//! The ISO 11649 RF creditor reference: the structured payment reference printed on a letter and
//! carried in the EPC QR code, so an incoming transfer can be matched to its case without reading
//! free text.
//!
//! Format `RF` + two check digits + 1 to 21 letters or digits. The check digits are computed like
//! an IBAN's: move `RF00` to the end, turn letters into numbers (A = 10 … Z = 35), take the
//! remainder modulo 97 and subtract it from 98. The electronic form has no spaces; the printed
//! form groups by four from the left (`RF18 5390 0754 7034`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::iban::{check_digits_in_range, compact_upper, group_by_four, mod97};

/// Longest reference part after `RF` and the check digits.
pub const MAX_REFERENCE_LEN: usize = 21;

/// A creditor reference whose check digits are correct. Holds the electronic form, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RfReference(String);

/// Why a text is not (or cannot become) an RF creditor reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RfError {
    #[error("creditor reference is empty")]
    Empty,
    #[error("creditor reference contains {ch:?}: only letters and digits are allowed")]
    InvalidCharacter { ch: char },
    #[error(
        "creditor reference has {found} characters after RF and the check digits, at most 21 are allowed"
    )]
    TooLong { found: usize },
    #[error("creditor reference must start with RF and two check digits")]
    MissingPrefix,
    #[error("creditor reference check digits {digits:?} are never issued (valid range 02 to 98)")]
    ImpossibleCheckDigits { digits: String },
    #[error("creditor reference check digits do not match: mistyped or incomplete")]
    ChecksumMismatch,
}

impl RfReference {
    /// Builds the reference for `raw`, the creditor's own 1 to 21 letters or digits (case is not
    /// significant; it is stored upper case). Separators such as `-` or `/` are refused rather
    /// than dropped, because dropping them can make two invoice numbers collide.
    pub fn from_reference(raw: &str) -> Result<Self, RfError> {
        let reference = strict_upper(raw)?;
        if reference.is_empty() {
            return Err(RfError::Empty);
        }
        if reference.len() > MAX_REFERENCE_LEN {
            return Err(RfError::TooLong { found: reference.len() });
        }
        let remainder = mod97(&format!("{reference}RF00"));
        Ok(RfReference(format!("RF{:02}{reference}", 98 - remainder)))
    }

    /// Reads a reference in electronic (`RF18539007547034`) or printed (`RF18 5390 0754 7034`)
    /// form, in any letter case, and verifies its check digits.
    pub fn parse(input: &str) -> Result<Self, RfError> {
        let compact = compact_upper(input).map_err(|ch| RfError::InvalidCharacter { ch })?;
        if compact.is_empty() {
            return Err(RfError::Empty);
        }
        let bytes = compact.as_bytes();
        if bytes.len() < 4 || &bytes[..2] != b"RF" || !bytes[2..4].iter().all(u8::is_ascii_digit) {
            return Err(RfError::MissingPrefix);
        }
        let reference_len = compact.len() - 4;
        if reference_len == 0 {
            return Err(RfError::Empty);
        }
        if reference_len > MAX_REFERENCE_LEN {
            return Err(RfError::TooLong { found: reference_len });
        }
        check_digits_in_range(&compact[2..4]).map_err(|digits| RfError::ImpossibleCheckDigits { digits })?;
        if mod97(&format!("{}{}", &compact[4..], &compact[..4])) != 1 {
            return Err(RfError::ChecksumMismatch);
        }
        Ok(RfReference(compact))
    }

    /// The electronic form, e.g. `RF18539007547034`: what goes into the QR code and payment data.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two check digits.
    pub fn check_digits(&self) -> &str {
        &self.0[2..4]
    }

    /// The creditor's part after the check digits.
    pub fn reference(&self) -> &str {
        &self.0[4..]
    }

    /// The printed form for paper: groups of four from the left, e.g. `RF18 5390 0754 7034`.
    pub fn printed(&self) -> String {
        group_by_four(&self.0)
    }
}

/// Upper-cases a creditor's raw reference; unlike parsing, spaces are not skipped.
fn strict_upper(raw: &str) -> Result<String, RfError> {
    raw.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() {
                Ok(ch.to_ascii_uppercase())
            } else {
                Err(RfError::InvalidCharacter { ch })
            }
        })
        .collect()
}

impl fmt::Display for RfReference {
    /// The electronic form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RfReference {
    type Err = RfError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RfReference::parse(s)
    }
}

impl TryFrom<String> for RfReference {
    type Error = RfError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RfReference::parse(&s)
    }
}

impl From<RfReference> for String {
    fn from(rf: RfReference) -> String {
        rf.0
    }
}

impl AsRef<str> for RfReference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_standards_example() {
        // ISO 11649's worked example: reference 539007547034 gets check digits 18.
        let rf = RfReference::from_reference("539007547034").unwrap();
        assert_eq!(rf.to_string(), "RF18539007547034");
        assert_eq!(rf.printed(), "RF18 5390 0754 7034");
        assert_eq!(rf.check_digits(), "18");
        assert_eq!(rf.reference(), "539007547034");
        assert_eq!(RfReference::parse("RF18 5390 0754 7034").unwrap(), rf);
        assert_eq!(RfReference::parse("rf18539007547034").unwrap(), rf);
    }

    #[test]
    fn published_examples_validate() {
        // Examples from the EPC QR samples, the XMLdation SEPA guide and the mobilefish validator.
        for ok in ["RF18539007547034", "RF712348231", "RF45G72UUR", "RF6518K5", "RF48 5000 0567 8901 2345"] {
            assert!(RfReference::parse(ok).is_ok(), "{ok}");
        }
        // The longest reference: 21 zeros.
        let zeros = RfReference::from_reference(&"0".repeat(21)).unwrap();
        assert_eq!(zeros.as_str(), "RF04000000000000000000000");
        assert_eq!(zeros.printed(), "RF04 0000 0000 0000 0000 0000 0");
        assert_eq!(RfReference::from_reference("1").unwrap().as_str(), "RF741");
        assert_eq!(RfReference::from_reference("a").unwrap().as_str(), "RF25A");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(RfReference::from_reference(""), Err(RfError::Empty));
        assert_eq!(RfReference::from_reference("RE-2024-17"), Err(RfError::InvalidCharacter { ch: '-' }));
        assert_eq!(RfReference::from_reference("5390 0754"), Err(RfError::InvalidCharacter { ch: ' ' }));
        assert_eq!(RfReference::from_reference(&"9".repeat(22)), Err(RfError::TooLong { found: 22 }));
        assert_eq!(RfReference::parse("RF17 5390 0754 7034"), Err(RfError::ChecksumMismatch));
        assert_eq!(RfReference::parse("RX18539007547034"), Err(RfError::MissingPrefix));
        assert_eq!(RfReference::parse("RF1"), Err(RfError::MissingPrefix));
        assert_eq!(RfReference::parse("RF18"), Err(RfError::Empty));
        assert_eq!(RfReference::parse("RF18-5390"), Err(RfError::InvalidCharacter { ch: '-' }));
        assert_eq!(
            RfReference::parse("RF00539007547034"),
            Err(RfError::ImpossibleCheckDigits { digits: "00".into() })
        );
        // 01 is congruent to 98: RF98 + 1 is valid, RF01 + 1 only fails the range check.
        let ninety_eight = (0..1000)
            .map(|n| RfReference::from_reference(&n.to_string()).unwrap())
            .find(|rf| rf.check_digits() == "98")
            .unwrap();
        let one = format!("RF01{}", ninety_eight.reference());
        assert_eq!(RfReference::parse(&one), Err(RfError::ImpossibleCheckDigits { digits: "01".into() }));
    }

    #[test]
    fn serde_goes_through_parse() {
        let rf: RfReference = serde_json::from_str("\"RF18 5390 0754 7034\"").unwrap();
        assert_eq!(serde_json::to_string(&rf).unwrap(), "\"RF18539007547034\"");
        assert!(serde_json::from_str::<RfReference>("\"RF19539007547034\"").is_err());
    }

    proptest! {
        #[test]
        fn built_references_parse_back(raw in "[0-9A-Za-z]{1,21}") {
            let rf = RfReference::from_reference(&raw).unwrap();
            prop_assert_eq!(rf.reference(), raw.to_ascii_uppercase());
            prop_assert!(rf.as_str().len() <= 25);
            prop_assert_eq!(&RfReference::parse(rf.as_str()).unwrap(), &rf);
            prop_assert_eq!(&RfReference::parse(&rf.printed()).unwrap(), &rf);
            prop_assert_eq!(&RfReference::parse(&rf.as_str().to_ascii_lowercase()).unwrap(), &rf);
            let digits: u8 = rf.check_digits().parse().unwrap();
            prop_assert!((2..=98).contains(&digits));
        }

        /// Changing one digit into another digit, or one letter into another letter, anywhere
        /// after `RF`, is always detected (the value moves by d * 10^k, 0 < d < 97).
        #[test]
        fn any_same_class_substitution_is_caught(raw in "[0-9A-Z]{1,21}", pos in any::<prop::sample::Index>(), step in 1u8..9) {
            let rf = RfReference::from_reference(&raw).unwrap();
            let mut bytes = rf.as_str().as_bytes().to_vec();
            let i = 2 + pos.index(bytes.len() - 2);
            bytes[i] = match bytes[i] {
                d @ b'0'..=b'9' => b'0' + (d - b'0' + step) % 10,
                l => b'A' + (l - b'A' + step) % 26,
            };
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(RfReference::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = RfReference::parse(&s);
            let _ = RfReference::from_reference(&s);
        }
    }
}
