//! How to reach a debtor: email address, E.164 phone number, language, IANA timezone and postal
//! address. Each is parsed once and trusted afterwards.

use super::ids::string_newtype_impls;
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An email address as the email channel will send to it: parsed by `lettre::Address` (the RFC
/// 5321 local part and domain rules the SMTP transport applies, internationalised domains
/// included), with a dot in the domain, since a debtor is never reached at `name@localhost`.
/// Whether the mailbox exists is for the SMTP server to say: its hard bounce is the real test.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new(format!("'{raw}' is not an email address like name@example.org"));
        if raw.len() > 254 {
            return Err(invalid());
        }
        let address: lettre::Address = raw.parse().map_err(|_| invalid())?;
        if !address.domain().contains('.') || address.user().len() > 64 {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }

    /// An address read back from the store, parsed on its way in: only the shape is checked
    /// again, so rows written under older rules still read.
    pub fn from_store(raw: &str) -> Result<Self, Invalid> {
        match raw.rsplit_once('@') {
            Some((user, domain)) if !user.is_empty() && !domain.is_empty() => Ok(Self(raw.to_owned())),
            _ => Err(Invalid::new(format!("'{raw}' is not an email address"))),
        }
    }
}

/// A phone number that exists in its country's numbering plan (libphonenumber's metadata, through
/// the `phonenumber` crate), held in E.164: `+4915112345678`. Written with spaces, dashes or
/// brackets (`+49 (151) 1234-5678`) it is normalised; without the leading `+` and country code it
/// is refused, since an invoice does not say which country a national number belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// Any valid number: landline, mobile or otherwise.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::parse_number(raw).map(|(phone, _)| phone)
    }

    /// A number that can receive SMS and WhatsApp messages: mobile, or one of the numbering plans
    /// (the USA's, Canada's) where landline and mobile numbers cannot be told apart. A landline
    /// is refused here rather than at the provider, which bills the failed send.
    pub fn parse_mobile(raw: &str) -> Result<Self, Invalid> {
        use phonenumber::Type;
        let (phone, kind) = Self::parse_number(raw)?;
        match kind {
            Type::Mobile | Type::FixedLineOrMobile => Ok(phone),
            other => Err(Invalid::new(format!(
                "'{raw}' is a {} number; text messages need a mobile number",
                kind_name(other)
            ))),
        }
    }

    /// A number read back from the store, parsed on its way in: only the E.164 shape is checked
    /// again (the numbering plans' metadata is not consulted on every read, and rows written
    /// under older rules still read).
    pub fn from_store(raw: &str) -> Result<Self, Invalid> {
        let digits = raw.strip_prefix('+').unwrap_or("");
        if !(2..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(format!("'{raw}' is not an E.164 phone number")));
        }
        Ok(Self(raw.to_owned()))
    }

    fn parse_number(raw: &str) -> Result<(Self, phonenumber::Type), Invalid> {
        let invalid = || Invalid::new(format!("'{raw}' is not a phone number like +4915112345678"));
        // The metadata's patterns run on the digits; an absurdly long text is not worth it.
        if raw.len() > 40 || !raw.trim_start().starts_with('+') {
            return Err(invalid());
        }
        let number = phonenumber::parse(None, raw).map_err(|_| invalid())?;
        if number.extension().is_some() || !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        let kind = number.number_type(&phonenumber::metadata::DATABASE);
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        // Some plans' patterns admit more digits than E.164 allows (15 after the "+", ITU-T
        // E.164 § 6); no provider delivers to such a number, and the store would not read it.
        let kept = Self::from_store(&e164).map_err(|_| invalid())?;
        Ok((kept, kind))
    }
}

/// How a refused number's kind is named in the error.
fn kind_name(kind: phonenumber::Type) -> &'static str {
    use phonenumber::Type;
    match kind {
        Type::FixedLine => "landline",
        Type::TollFree => "toll-free",
        Type::PremiumRate => "premium-rate",
        Type::SharedCost => "shared-cost",
        Type::PersonalNumber => "personal (forwarding)",
        Type::Voip => "VoIP",
        Type::Pager => "pager",
        Type::Voicemail => "voicemail",
        _ => "non-mobile",
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
        assert_eq!(PhoneE164::parse("+4915112345678").unwrap().as_str(), "+4915112345678");
        assert_eq!(PhoneE164::parse("+49 (151) 1234-5678").unwrap().as_str(), "+4915112345678");
        assert_eq!(PhoneE164::parse("+49 30 12345678").unwrap().as_str(), "+493012345678");
        assert!(PhoneE164::parse("015112345678").is_err(), "no country code");
        assert!(PhoneE164::parse("+0151123456").is_err());
        assert!(PhoneE164::parse("+49 151 123").is_err(), "too short for a German mobile");
        assert!(PhoneE164::parse("+1234567890123456").is_err());
        assert!(PhoneE164::parse("+4900000000").is_err(), "impossible in the German plan");
        assert!(PhoneE164::parse("+4915112345678 ext. 12").is_err());
    }

    #[test]
    fn text_messages_need_a_mobile_number() {
        assert_eq!(PhoneE164::parse_mobile("+4915112345678").unwrap().as_str(), "+4915112345678");
        assert_eq!(PhoneE164::parse_mobile("+447400123456").unwrap().as_str(), "+447400123456");
        assert!(PhoneE164::parse_mobile("+12015550123").is_ok(), "US numbers may be mobile");
        // The demo's simulated debtors' ranges (mahnwerk-models' `phone_e164`).
        for simulated in ["+4366412345678", "+41791234567", "+33612345678", "+447400123456", "+4915112345678"]
        {
            assert!(PhoneE164::parse_mobile(simulated).is_ok(), "{simulated}");
        }
        let landline = PhoneE164::parse_mobile("+493012345678").unwrap_err().to_string();
        assert!(landline.contains("landline") && landline.contains("mobile"), "{landline}");
        let free = PhoneE164::parse_mobile("+498001234567").unwrap_err().to_string();
        assert!(free.contains("toll-free"), "{free}");
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
        /// Whatever is accepted is E.164: `+`, no leading zero, at most 15 digits, and parsing it
        /// again gives the same number.
        #[test]
        fn accepted_phones_are_e164(digits in "[0-9]{0,17}", spaced in any::<bool>()) {
            let raw = if spaced { format!("+{} {}", &digits[..digits.len().min(2)], &digits[digits.len().min(2)..]) } else { format!("+{digits}") };
            if let Ok(phone) = PhoneE164::parse(&raw) {
                let e164 = phone.as_str();
                prop_assert!(e164.starts_with('+') && !e164[1..].starts_with('0'), "{}", e164);
                prop_assert!((2..=15).contains(&e164[1..].len()) && e164[1..].bytes().all(|b| b.is_ascii_digit()), "{}", e164);
                prop_assert_eq!(PhoneE164::parse(e164).unwrap(), phone.clone());
            }
        }

        #[test]
        fn email_round_trips(local in "[a-z0-9_+-]{1,10}(\\.[a-z0-9_+-]{1,10}){0,2}", domain in "[a-z0-9]{1,10}\\.[a-z]{2,6}") {
            let raw = format!("{local}@{domain}");
            let parsed = Email::parse(&raw).unwrap();
            prop_assert_eq!(parsed.as_str(), raw.as_str());
        }

        #[test]
        fn parsers_never_panic(raw in "\\PC{0,40}") {
            let _ = Email::parse(&raw);
            let _ = PhoneE164::parse(&raw);
            let _ = PhoneE164::parse_mobile(&raw);
            let _ = Language::parse(&raw);
            let _ = Timezone::parse(&raw);
            let _ = CountryCode::parse(&raw);
        }
    }
}
