//! Identifiers that arrive from creditors: tenant slugs, invoice numbers and debtor ids.

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A creditor's slug: 1-64 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if raw.is_empty() || raw.len() > 64 {
            return Err(Invalid::new("must be 1 to 64 characters"));
        }
        if !raw.chars().all(ok_char) || raw.starts_with(['-', '_']) {
            return Err(Invalid::new("may hold only a-z, 0-9, '-' and '_', starting with a letter or digit"));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A creditor's own reference (invoice number, customer number): 1-64 printable characters, no
/// leading or trailing space. Kept as given; it appears on letters and bank transfers.
pub(super) fn parse_reference(raw: &str) -> Result<String, Invalid> {
    if raw.is_empty() || raw.chars().count() > 64 {
        return Err(Invalid::new("must be 1 to 64 characters"));
    }
    if raw.chars().any(char::is_control) {
        return Err(Invalid::new("must not contain control characters"));
    }
    if raw.trim() != raw {
        return Err(Invalid::new("must not start or end with a space"));
    }
    Ok(raw.to_owned())
}

/// An invoice number as the creditor issued it, unique per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoiceNumber(String);

impl InvoiceNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_reference(raw).map(Self)
    }
}

/// The creditor's id for a debtor (customer number), unique per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DebtorId(String);

impl DebtorId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_reference(raw).map(Self)
    }
}

macro_rules! string_newtype_impls {
    ($($ty:ident),*) => {$(
        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = Invalid;
            fn try_from(raw: String) -> Result<Self, Invalid> {
                Self::parse(&raw)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
pub(crate) use string_newtype_impls;

string_newtype_impls!(TenantId, InvoiceNumber, DebtorId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tenant_slugs() {
        assert!(TenantId::parse("acme").is_ok());
        assert!(TenantId::parse("acme-gmbh_2").is_ok());
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse("Acme").is_err());
        assert!(TenantId::parse("-acme").is_err());
        assert!(TenantId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn invoice_numbers() {
        assert!(InvoiceNumber::parse("RE-2026-0042").is_ok());
        assert!(InvoiceNumber::parse(" RE-1").is_err());
        assert!(InvoiceNumber::parse("RE\n1").is_err());
        assert!(InvoiceNumber::parse("").is_err());
    }

    proptest! {
        #[test]
        fn tenant_parse_accepts_exactly_slugs(raw in "\\PC{0,70}") {
            let valid = !raw.is_empty() && raw.len() <= 64
                && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                && !raw.starts_with(['-', '_']);
            prop_assert_eq!(TenantId::parse(&raw).is_ok(), valid);
        }

        #[test]
        fn invoice_number_round_trips(raw in "[A-Za-z0-9][A-Za-z0-9 /._-]{0,62}[A-Za-z0-9]") {
            let parsed = InvoiceNumber::parse(&raw).unwrap();
            prop_assert_eq!(parsed.as_str(), raw.as_str());
        }
    }
}
