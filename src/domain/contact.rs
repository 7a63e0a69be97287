//! How to reach a debtor: email address, E.164 phone number, language, IANA timezone and postal
//! address. Each is parsed once and trusted afterwards.

use super::ids::string_newtype_impls;
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address in the `local@domain` form mail servers accept. Deliberately not a full RFC
/// 5322 parser: it rejects what is surely wrong (spaces, no `@`, no dot in the domain) and leaves
/// the rest to the SMTP server, whose hard bounce is the real test.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new(format!("'{raw}' is not an email address like name@example.org"));
        if raw.len() > 254 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A phone number in E.164: `+`, a country code not starting with 0, at most 15 digits in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneE164(String);

impl PhoneE164 {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let digits = raw.strip_prefix('+').unwrap_or("");
        let ok = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if !ok {
            return Err(Invalid::new(format!("'{raw}' is not an E.164 phone number like +4915112345678")));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A language as a lowercase ISO 639-1 code (`de`, `en`), optionally with a region (`de-AT`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let (primary, region) = match raw.split_once('-') {
            Some((p, r)) => (p, Some(r)),
            None => (raw, None),
        };
        let primary_ok = primary.len() == 2 && primary.chars().all(|c| c.is_ascii_lowercase());
        let region_ok = region.is_none_or(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_uppercase()));
        if !primary_ok || !region_ok {
            return Err(Invalid::new(format!("'{raw}' is not a language code like \"de\" or \"de-AT\"")));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The two-letter language without region, the key templates are chosen by.
    pub fn primary(&self) -> &str {
        &self.0[..2]
    }
}

/// A two-letter ISO 3166-1 country code, uppercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() != 2 || !raw.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(Invalid::new(format!("'{raw}' is not a country code like \"DE\"")));
        }
        Ok(Self(raw.to_owned()))
    }
}

string_newtype_impls!(Email, PhoneE164, Language, CountryCode);

/// An IANA timezone (`Europe/Berlin`). Times are stored in UTC and turned into local time only
/// to pick a send hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timezone(chrono_tz::Tz);

impl Timezone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| Invalid::new(format!("'{raw}' is not an IANA timezone like \"Europe/Berlin\"")))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl TryFrom<String> for Timezone {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<Timezone> for String {
    fn from(value: Timezone) -> String {
        value.0.name().to_owned()
    }
}

/// A postal address as printed on a letter: one or two street lines, postal code, city, country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub line1: String,
    pub line2: Option<String>,
    pub postal_code: String,
    pub city: String,
    pub country: CountryCode,
}

impl PostalAddress {
    /// Checks the printable parts; `country` is already parsed. Returns the name of the bad part.
    pub fn parse(
        line1: &str,
        line2: Option<&str>,
        postal_code: &str,
        city: &str,
        country: CountryCode,
    ) -> Result<Self, (&'static str, Invalid)> {
        let line = |name: &'static str, value: &str, max: usize| {
            let trimmed = value.trim();
            if trimmed.is_empty() || trimmed.chars().count() > max || trimmed.chars().any(char::is_control) {
                Err((name, Invalid::new(format!("must be 1 to {max} printable characters"))))
            } else {
                Ok(trimmed.to_owned())
            }
        };
        Ok(Self {
            line1: line("line1", line1, 70)?,
            line2: line2.map(|l| line("line2", l, 70)).transpose()?,
            postal_code: line("postal_code", postal_code, 12)?,
            city: line("city", city, 50)?,
            country,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        assert!(Email::parse("erika@example.org").is_ok());
        assert!(Email::parse("erika.m+bills@sub.example.co.uk").is_ok());
        assert!(Email::parse("erika@example").is_err());
        assert!(Email::parse("erika example@x.org").is_err());
        assert!(Email::parse("@example.org").is_err());
        assert!(Email::parse("a@-b.org").is_err());
        assert!(Email::parse("").is_err());
    }

    #[test]
    fn phones() {
        assert!(PhoneE164::parse("+4915112345678").is_ok());
        assert!(PhoneE164::parse("015112345678").is_err());
        assert!(PhoneE164::parse("+0151123456").is_err());
        assert!(PhoneE164::parse("+49 151 123").is_err());
        assert!(PhoneE164::parse("+1234567890123456").is_err());
    }

    #[test]
    fn languages_timezones_countries() {
        assert_eq!(Language::parse("de-AT").unwrap().primary(), "de");
        assert!(Language::parse("DE").is_err());
        assert!(Language::parse("deu").is_err());
        assert_eq!(Timezone::parse("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        assert!(Timezone::parse("Mars/Olympus").is_err());
        assert!(CountryCode::parse("DE").is_ok());
        assert!(CountryCode::parse("de").is_err());
    }

    proptest! {
        #[test]
        fn phone_accepts_exactly_e164(digits in "[0-9]{0,17}") {
            let raw = format!("+{digits}");
            let valid = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
            prop_assert_eq!(PhoneE164::parse(&raw).is_ok(), valid);
        }

        #[test]
        fn email_round_trips(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,6}") {
            let raw = format!("{local}@{domain}");
            let parsed = Email::parse(&raw).unwrap();
            prop_assert_eq!(parsed.as_str(), raw.as_str());
        }

        #[test]
        fn parsers_never_panic(raw in "\\PC{0,40}") {
            let _ = Email::parse(&raw);
            let _ = PhoneE164::parse(&raw);
            let _ = Language::parse(&raw);
            let _ = Timezone::parse(&raw);
            let _ = CountryCode::parse(&raw);
        }
    }
}
