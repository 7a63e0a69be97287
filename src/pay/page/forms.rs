//! The pay-page's forms as the browser posts them, checked into typed answers or, per field, the
//! words key of what is wrong (shown next to the field in the debtor's language).

use crate::domain::{DisputeReason, PromiseError, PromiseRules};
use crate::pay::contact::ContactRequest;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Every field of every form, in page order: the keys of the page's `errors` and `values`.
pub const FIELDS: [&str; 8] =
    ["promised_on", "months", "reason", "details", "phone", "email", "window", "message"];

/// The most instalments the page lets a debtor ask for (beyond the creditor's rules it is a
/// request).
pub const MAX_MONTHS_ASKED: u32 = 24;

/// The contact windows offered, by value.
pub const WINDOWS: [&str; 4] = ["any", "morning", "afternoon", "evening"];

/// Longest message with a contact request, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// What is wrong, per field: `(field, words key, extra placeholder value)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, (&'static str, Option<String>)>);

impl FieldErrors {
    fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.entry(field).or_insert((key, None));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The promise form.
#[derive(Debug, Default, Deserialize)]
pub struct PromiseForm {
    #[serde(default)]
    pub form_token: String,
    #[serde(default)]
    pub promised_on: String,
}

/// The instalments form.
#[derive(Debug, Default, Deserialize)]
pub struct InstalmentForm {
    #[serde(default)]
    pub form_token: String,
    #[serde(default)]
    pub months: String,
}

impl InstalmentForm {
    /// The number of instalments chosen (2 to [`MAX_MONTHS_ASKED`]).
    pub fn check(&self) -> Result<u32, FieldErrors> {
        let mut errors = FieldErrors::default();
        match self.months.trim().parse::<u32>() {
            Ok(months) if (2..=MAX_MONTHS_ASKED).contains(&months) => Ok(months),
            _ if self.months.trim().is_empty() => {
                errors.add("months", "error_months");
                Err(errors)
            }
            _ => {
                errors.add("months", "error_choice");
                Err(errors)
            }
        }
    }

    pub fn values(&self) -> Vec<(&'static str, &str)> {
        vec![("months", &self.months)]
    }
}

/// The dispute form.
#[derive(Debug, Default, Deserialize)]
pub struct DisputeForm {
    #[serde(default)]
    pub form_token: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub details: String,
}

/// The contact form.
#[derive(Debug, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub form_token: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub window: String,
    #[serde(default)]
    pub message: String,
}

impl PromiseForm {
    /// The promised date, checked against `rules` on the debtor's `today`.
    pub fn check(&self, today: NaiveDate, rules: PromiseRules) -> Result<NaiveDate, FieldErrors> {
        let mut errors = FieldErrors::default();
        let raw = self.promised_on.trim();
        if raw.is_empty() {
            errors.add("promised_on", "error_required");
            return Err(errors);
        }
        let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") else {
            errors.add("promised_on", "error_date");
            return Err(errors);
        };
        match rules.check(today, date) {
            Ok(()) => Ok(date),
            Err(PromiseError::InThePast) => {
                errors.add("promised_on", "error_past");
                Err(errors)
            }
            Err(PromiseError::TooFar { max_days }) => {
                errors.0.insert("promised_on", ("error_too_far", Some(max_days.to_string())));
                Err(errors)
            }
        }
    }

    pub fn values(&self) -> Vec<(&'static str, &str)> {
        vec![("promised_on", &self.promised_on)]
    }
}

impl DisputeForm {
    pub fn check(&self) -> Result<(DisputeReason, String), FieldErrors> {
        let mut errors = FieldErrors::default();
        let reason = DisputeReason::parse(self.reason.trim());
        if self.reason.trim().is_empty() {
            errors.add("reason", "error_required");
        } else if reason.is_none() {
            errors.add("reason", "error_choice");
        }
        if self.details.chars().count() > crate::pay::dispute::MAX_DETAILS_CHARS {
            errors.add("details", "error_too_long");
        }
        match reason {
            Some(reason) if errors.is_empty() => Ok((reason, self.details.trim().to_owned())),
            _ => Err(errors),
        }
    }

    pub fn values(&self) -> Vec<(&'static str, &str)> {
        vec![("reason", &self.reason), ("details", &self.details)]
    }
}

impl ContactForm {
    pub fn check(&self) -> Result<ContactRequest, FieldErrors> {
        let mut errors = FieldErrors::default();
        let phone = self.phone.trim();
        let email = self.email.trim();
        if phone.is_empty() && email.is_empty() {
            errors.add("phone", "error_phone_or_email");
        }
        if !phone.is_empty() && !plausible_phone(phone) {
            errors.add("phone", "error_phone");
        }
        if !email.is_empty() && !plausible_email(email) {
            errors.add("email", "error_email");
        }
        let window = if self.window.trim().is_empty() { "any" } else { self.window.trim() };
        if !WINDOWS.contains(&window) {
            errors.add("window", "error_choice");
        }
        if self.message.chars().count() > MAX_MESSAGE_CHARS {
            errors.add("message", "error_too_long");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let given = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Ok(ContactRequest {
            phone: given(phone),
            email: given(email),
            window: window.to_owned(),
            message: self.message.trim().to_owned(),
        })
    }

    pub fn values(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("phone", &self.phone),
            ("email", &self.email),
            ("window", &self.window),
            ("message", &self.message),
        ]
    }
}

/// 6 to 20 digits, optionally a leading `+`, with spaces, dashes, dots, slashes and brackets
/// between them: what people type for a phone number anywhere.
fn plausible_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = text.chars().enumerate().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '/' | '(' | ')') || (c == '+' && i == 0)
    });
    allowed && (6..=20).contains(&digits)
}

/// One `@` with something before it and a dotted domain after it, no spaces, at most 254
/// characters (RFC 5321's path limit).
fn plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_promise_names_what_is_wrong_with_its_date() {
        let rules = PromiseRules::default();
        let today = day("2026-12-06");
        let form = |date: &str| PromiseForm { form_token: String::new(), promised_on: date.into() };
        assert_eq!(form("2026-12-10").check(today, rules), Ok(day("2026-12-10")));
        let key = |date: &str| form(date).check(today, rules).unwrap_err().0["promised_on"].0;
        assert_eq!(key(""), "error_required");
        assert_eq!(key("10.12.2026"), "error_date");
        assert_eq!(key("2026-12-01"), "error_past");
        assert_eq!(key("2027-03-01"), "error_too_far");
    }

    #[test]
    fn a_dispute_needs_a_known_reason() {
        let form = |reason: &str, details: &str| DisputeForm {
            form_token: String::new(),
            reason: reason.into(),
            details: details.into(),
        };
        assert_eq!(
            form("defective", " broken screen ").check(),
            Ok((DisputeReason::Defective, "broken screen".into()))
        );
        assert_eq!(form("", "").check().unwrap_err().0["reason"].0, "error_required");
        assert_eq!(form("because", "").check().unwrap_err().0["reason"].0, "error_choice");
        assert_eq!(form("other", &"x".repeat(2001)).check().unwrap_err().0["details"].0, "error_too_long");
    }

    #[test]
    fn a_contact_request_needs_a_phone_or_an_email() {
        let form = |phone: &str, email: &str, window: &str| ContactForm {
            form_token: String::new(),
            phone: phone.into(),
            email: email.into(),
            window: window.into(),
            message: String::new(),
        };
        let ok = form("+49 (30) 123-4567", "", "morning").check().unwrap();
        assert_eq!(
            (ok.phone.as_deref(), ok.email, ok.window.as_str()),
            (Some("+49 (30) 123-4567"), None, "morning")
        );
        assert_eq!(form("", "", "").check().unwrap_err().0["phone"].0, "error_phone_or_email");
        assert_eq!(form("12", "", "").check().unwrap_err().0["phone"].0, "error_phone");
        assert_eq!(form("", "a@b", "").check().unwrap_err().0["email"].0, "error_email");
        assert_eq!(form("", "jo@example.org", "midnight").check().unwrap_err().0["window"].0, "error_choice");
        assert_eq!(form("", "jo@example.org", "").check().unwrap().window, "any");
    }
}
