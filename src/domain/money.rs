//! Money: an exact decimal amount in an ISO 4217 currency. Never a float.

use super::Invalid;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Active ISO 4217 codes with their minor units (digits after the decimal point).
const ISO_4217: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// An ISO 4217 currency code that is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency {
    code: &'static str,
    minor_units: u32,
}

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        ISO_4217
            .iter()
            .find(|(code, _)| *code == raw)
            .map(|&(code, minor_units)| Self { code, minor_units })
            .ok_or_else(|| Invalid::new(format!("'{raw}' is not an ISO 4217 currency code in use")))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point in this currency (2 for EUR, 0 for JPY).
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl TryFrom<String> for Currency {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

// By hand: derived with `try_from`, the `&'static str` field would tie the deserializer's
// lifetime to `'static`, and no type holding a `Currency` could be deserialized from a buffer.
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> String {
        value.code.to_owned()
    }
}

/// An amount in a currency. Amounts are exact decimals with no more digits than the currency has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Parses a decimal string such as `"1234.50"` in `currency`. Rejects exponents, thousands
    /// separators and more fractional digits than the currency has.
    pub fn parse(raw: &str, currency: Currency) -> Result<Self, Invalid> {
        let plain = raw.strip_prefix('-').unwrap_or(raw);
        let well_formed = !plain.is_empty()
            && plain.split('.').count() <= 2
            && plain.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !plain.starts_with('.')
            && !plain.ends_with('.');
        if !well_formed {
            return Err(Invalid::new(format!("'{raw}' is not a decimal amount like \"1234.50\"")));
        }
        let amount = Decimal::from_str(raw).map_err(|e| Invalid::new(format!("'{raw}': {e}")))?;
        if amount.scale() > currency.minor_units() && amount.normalize().scale() > currency.minor_units() {
            return Err(Invalid::new(format!(
                "'{raw}' has more than {} decimal places for {}",
                currency.minor_units(),
                currency
            )));
        }
        Ok(Self { amount, currency })
    }

    /// Wraps an amount computed by the service (sums, fees); rounds to the currency's minor units.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount: amount.round_dp(currency.minor_units()), currency }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.*} {}", self.currency.minor_units() as usize, self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn currencies() {
        assert_eq!(Currency::parse("EUR").unwrap().minor_units(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(Money::parse("1234.50", eur()).unwrap().to_string(), "1234.50 EUR");
        assert_eq!(Money::parse("7", eur()).unwrap().amount(), Decimal::new(7, 0));
        assert!(Money::parse("1.234", eur()).is_err());
        assert!(Money::parse("1,50", eur()).is_err());
        assert!(Money::parse("1e3", eur()).is_err());
        assert!(Money::parse(".5", eur()).is_err());
        assert!(Money::parse("", eur()).is_err());
        assert!(Money::parse("12.5", Currency::parse("JPY").unwrap()).is_err());
        assert!(!Money::parse("-3.00", eur()).unwrap().is_positive());
    }

    proptest! {
        #[test]
        fn cents_round_trip(cents in 0i64..10_000_000_000) {
            let raw = format!("{}.{:02}", cents / 100, cents % 100);
            let money = Money::parse(&raw, eur()).unwrap();
            prop_assert_eq!(money.amount(), Decimal::new(cents, 2));
        }

        #[test]
        fn never_panics(raw in "\\PC{0,30}") {
            let _ = Money::parse(&raw, eur());
        }
    }
}
