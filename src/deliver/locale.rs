//! Amounts and dates as the debtor's language writes them: `1.234,56 €` in German, `€1,234.56`
//! in English, `1 234,56 €` in French, and so on, for the languages reminders are shipped in.
//!
//! Only characters of the GSM-7 alphabet are used for grouping (a plain space, not the
//! typographic narrow space), so an amount never pushes an SMS into UCS-2 by itself.

use crate::domain::Money;
use chrono::NaiveDate;

/// The languages with shipped templates, English first (the fallback).
pub const LANGUAGES: [&str; 8] = ["en", "de", "fr", "es", "it", "nl", "pl", "tr"];

/// How one language writes numbers, money and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    thousands: char,
    decimal: char,
    /// Currency sign before the number (`€1,234.56`, `€ 1.234,56`) rather than after it.
    symbol_first: bool,
    /// A space between a leading sign and the number (Dutch `€ 12,50`).
    symbol_space: bool,
    /// chrono format of a date.
    date: &'static str,
}

impl Locale {
    /// The locale of a language tag's primary subtag (`de-AT` writes like `de`); English for
    /// anything else.
    pub fn of(language: &str) -> Self {
        let primary = language.split(['-', '_']).next().unwrap_or(language);
        let (thousands, decimal, symbol_first, symbol_space, date) = match primary {
            "de" => ('.', ',', false, false, "%d.%m.%Y"),
            "fr" => (' ', ',', false, false, "%d/%m/%Y"),
            "es" | "it" => ('.', ',', false, false, "%d/%m/%Y"),
            "nl" => ('.', ',', true, true, "%d-%m-%Y"),
            "pl" => (' ', ',', false, false, "%d.%m.%Y"),
            "tr" => ('.', ',', false, false, "%d.%m.%Y"),
            _ => (',', '.', true, false, "%-d %B %Y"),
        };
        Self { thousands, decimal, symbol_first, symbol_space, date }
    }

    /// `money` with its currency, e.g. `1.234,56 €` (German) or `€1,234.56` (English). Currencies
    /// without a common sign are written with their ISO code, after the number with a space.
    pub fn money(&self, money: &Money) -> String {
        let number = self.number(money);
        let code = money.currency().code();
        match (symbol(code), self.symbol_first) {
            (Some(sign), true) if self.symbol_space => format!("{sign} {number}"),
            (Some(sign), true) => format!("{sign}{number}"),
            (Some(sign), false) => format!("{number} {sign}"),
            (None, _) => format!("{number} {code}"),
        }
    }

    /// The amount without currency, with the currency's decimals, grouped by thousands.
    pub fn number(&self, money: &Money) -> String {
        let digits = money.currency().minor_units() as usize;
        let plain = format!("{:.*}", digits, money.amount().abs());
        let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
        let mut out = String::new();
        if money.amount().is_sign_negative() && !money.amount().is_zero() {
            out.push('-');
        }
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(self.thousands);
            }
            out.push(c);
        }
        if !frac.is_empty() {
            out.push(self.decimal);
            out.push_str(frac);
        }
        out
    }

    /// A plain number with `places` decimals, e.g. `11,27` (German) or `11.27` (English).
    pub fn decimal(&self, value: rust_decimal::Decimal, places: usize) -> String {
        format!("{:.*}", places, value.round_dp(places as u32)).replace('.', &self.decimal.to_string())
    }

    /// A date, e.g. `15.10.2026` (German) or `15 October 2026` (English).
    pub fn date(&self, date: NaiveDate) -> String {
        date.format(self.date).to_string()
    }
}

/// The signs written instead of a code; all but the zloty's in GSM-7.
fn symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "EUR" => "€",
        "GBP" => "£",
        "USD" => "$",
        "PLN" => "zł",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;
    use rust_decimal::Decimal;

    fn money(cents: i64, code: &str) -> Money {
        let currency = Currency::parse(code).unwrap();
        Money::new(Decimal::new(cents, currency.minor_units()), currency)
    }

    #[test]
    fn each_language_writes_money_its_way() {
        let amount = money(123_456, "EUR");
        let written: Vec<String> = LANGUAGES.iter().map(|l| Locale::of(l).money(&amount)).collect();
        assert_eq!(
            written,
            [
                "€1,234.56",
                "1.234,56 €",
                "1 234,56 €",
                "1.234,56 €",
                "1.234,56 €",
                "€ 1.234,56",
                "1 234,56 €",
                "1.234,56 €"
            ]
        );
        assert_eq!(Locale::of("de-AT").money(&money(500, "EUR")), "5,00 €");
        assert_eq!(Locale::of("pl").money(&money(4990, "PLN")), "49,90 zł");
        assert_eq!(Locale::of("de").money(&money(1_234_567, "JPY")), "1.234.567 JPY");
        assert_eq!(Locale::of("en").money(&money(-250, "CHF")), "-2.50 CHF");
        assert_eq!(Locale::of("xx").money(&money(99, "USD")), "$0.99");
    }

    #[test]
    fn dates_in_the_language_s_format() {
        let date = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
        assert_eq!(Locale::of("de").date(date), "05.10.2026");
        assert_eq!(Locale::of("en").date(date), "5 October 2026");
        assert_eq!(Locale::of("fr").date(date), "05/10/2026");
        assert_eq!(Locale::of("nl").date(date), "05-10-2026");
    }
}
