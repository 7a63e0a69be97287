//! Amounts on the console's pages, written by one function for every page: a German page writes
//! money as the pay-page and the reminders write it in German (`deliver::locale`: `1.234,56 €`),
//! an English page as the API writes money, with the currency's code (`1234.56 EUR`). The
//! templates call it as the filter `money` (`{{ case.amount_due | money(case.currency) }}`), the
//! timeline and the audit page directly. An amount that is no number, or a currency mahnwerk does
//! not know, is written as given.

use super::i18n::Lang;
use crate::deliver::locale::Locale;
use crate::domain::{Currency, Money};
use rust_decimal::Decimal;
use std::str::FromStr;

/// `amount` of `currency` as a page in `lang` writes it.
pub fn amount_text(lang: Lang, amount: &str, currency: &str) -> String {
    let (Ok(value), Ok(known)) = (Decimal::from_str(amount.trim()), Currency::parse(currency.trim())) else {
        return format!("{amount} {currency}").trim().to_owned();
    };
    match lang {
        Lang::De => Locale::of("de").money(&Money::new(value, known)),
        Lang::En => format!("{:.*} {}", known.minor_units() as usize, value, known.code()),
    }
}

/// An amount whose currency the page does not know (an audit entry's open amount), with at least
/// two decimals: `129,90` on a German page, `129.90` on an English one.
pub fn number_text(lang: Lang, amount: &str) -> String {
    let Ok(value) = Decimal::from_str(amount.trim()) else { return amount.to_owned() };
    let places = value.scale().max(2) as usize;
    match lang {
        Lang::De => Locale::of("de").decimal(value, places),
        Lang::En => format!("{value:.places$}"),
    }
}

/// The templates' filter `money`: `{{ amount | money(currency) }}` in the page's language (the
/// context's `lang`).
pub fn money_filter(state: &minijinja::State, amount: minijinja::Value, currency: String) -> String {
    let lang = match state.lookup("lang").as_ref().and_then(|l| l.as_str().map(str::to_owned)).as_deref() {
        Some("de") => Lang::De,
        _ => Lang::En,
    };
    amount_text(lang, &amount.to_string(), &currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_pages_write_euros_as_germans_do_english_pages_as_the_api() {
        assert_eq!(amount_text(Lang::De, "129.90", "EUR"), "129,90 €");
        assert_eq!(amount_text(Lang::De, "1234.5", "EUR"), "1.234,50 €");
        assert_eq!(amount_text(Lang::De, "12", "CHF"), "12,00 CHF");
        assert_eq!(amount_text(Lang::En, "129.9", "EUR"), "129.90 EUR");
        assert_eq!(amount_text(Lang::En, "1234.50", "EUR"), "1234.50 EUR");
        assert_eq!(amount_text(Lang::De, "500", "JPY"), "500 JPY");
        assert_eq!(amount_text(Lang::De, "lots", "EUR"), "lots EUR", "not a number: as given");
        assert_eq!(number_text(Lang::De, "129.9"), "129,90");
        assert_eq!(number_text(Lang::En, "0"), "0.00");
        assert_eq!(number_text(Lang::De, "12.345"), "12,345");
    }
}
