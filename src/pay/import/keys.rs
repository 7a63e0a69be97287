//! The key that makes a bank line unique per tenant, so that importing a statement twice records
//! nothing twice: the bank's own references (entry and transaction), or, where the bank gives
//! none, `sha256:` and a hash of the normalised line, numbered when the same line occurs again in
//! one file (two equal transfers on one day are two payments).
//!
//! The key is also the payment's reference (`<key>/<n>` for the n-th share of a split).

use super::normalise::name_key;
use super::StatementLine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Gives each line of one file its key.
#[derive(Debug, Default)]
pub struct LineKeys {
    /// How often each hashed line occurred so far (by the hash's first eight bytes).
    seen: HashMap<u64, u32>,
}

impl LineKeys {
    pub fn key(&mut self, line: &StatementLine) -> String {
        if let Some(reference) = &line.bank_reference {
            return reference.clone();
        }
        let hash = hash_line(line);
        let prefix = u64::from_be_bytes(hash[..8].try_into().expect("eight bytes"));
        let n = self.seen.entry(prefix).or_default();
        *n += 1;
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        if *n == 1 {
            format!("sha256:{hex}")
        } else {
            format!("sha256:{hex}#{n}")
        }
    }
}

/// SHA-256 of the line as it compares: date, amount (without trailing zeros), currency, payer's
/// name key, references and text with their spaces collapsed.
fn hash_line(line: &StatementLine) -> [u8; 32] {
    let collapse = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let normalised = format!(
        "{}|{}|{}|{}|{}|{}",
        line.booked_on,
        line.amount.amount().normalize(),
        line.amount.currency().code(),
        name_key(line.debtor_name.as_deref().unwrap_or("")),
        collapse(&line.references.join(" ")),
        collapse(&line.text),
    );
    Sha256::digest(normalised.as_bytes()).into()
}

/// The payment reference of share `n` (from 1) of `shares` of the line keyed `key`.
pub fn payment_reference(key: &str, n: usize, shares: usize) -> String {
    if shares > 1 {
        format!("{key}/{n}")
    } else {
        key.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Money};
    use chrono::NaiveDate;

    fn line(amount: &str, text: &str) -> StatementLine {
        StatementLine {
            bank_reference: None,
            booked_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
            amount: Money::new(amount.parse().unwrap(), Currency::parse("EUR").unwrap()),
            debtor_name: Some("Erika Mustermann".into()),
            payer_iban: None,
            references: Vec::new(),
            text: text.into(),
            end_to_end_id: None,
        }
    }

    #[test]
    fn the_bank_s_reference_is_the_key() {
        let mut keys = LineKeys::default();
        let with_ref =
            StatementLine { bank_reference: Some("2026110300042/E2E-1".into()), ..line("10", "x") };
        assert_eq!(keys.key(&with_ref), "2026110300042/E2E-1");
    }

    #[test]
    fn hashed_keys_ignore_formatting_and_number_repeats() {
        let mut first = LineKeys::default();
        let a = first.key(&line("10.00", "RE 1  Danke"));
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64, "{a}");
        // The same line again in the same file is another payment; a fresh reading of the file
        // gives the same keys again.
        let again = first.key(&line("10.0", "RE 1 Danke"));
        assert_eq!(again, format!("{a}#2"));
        let mut second = LineKeys::default();
        assert_eq!(second.key(&line("10", "RE 1 Danke")), a);
        assert_ne!(second.key(&line("10.01", "RE 1 Danke")), a);
    }

    #[test]
    fn shares_are_numbered_only_when_split() {
        assert_eq!(payment_reference("K", 1, 1), "K");
        assert_eq!(payment_reference("K", 2, 2), "K/2");
    }
}
