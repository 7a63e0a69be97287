//! Payment service providers: the pay-page hands the debtor to a PSP's hosted checkout (card,
//! wallet, SEPA Direct Debit) and learns of the payment from the PSP's webhook. A [`Psp`] starts
//! one checkout; what a webhook reports is each provider's own module.
//!
//! # Layout
//! - [`stripe`]: Stripe Checkout Sessions (`POST /v1/checkout/sessions`).
//! - [`stripe_signature`]: checking the `Stripe-Signature` header of Stripe's webhooks.
//! - [`stripe_events`]: what a verified Stripe event does (records the payment through
//!   [`crate::pay::record_payment`], or says it is pending or failed), once per event id.

pub mod stripe;
pub mod stripe_events;
pub mod stripe_signature;

use crate::domain::{Currency, InvoiceNumber, Money, TenantId};
use async_trait::async_trait;
use rust_decimal::Decimal;
use std::time::Duration;

/// One checkout to start: what the debtor pays, for what, and where the PSP sends them back.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutRequest {
    pub tenant: TenantId,
    pub invoice_number: InvoiceNumber,
    /// The reminder whose pay-link the debtor followed; comes back in the webhook.
    pub reminder_id: i64,
    /// What to charge, in the invoice's currency.
    pub amount: Money,
    /// The line the debtor sees on the PSP's page, e.g. the invoice number.
    pub description: String,
    /// Prefills the PSP's form and receipt; `None` lets the debtor type one.
    pub customer_email: Option<String>,
    /// The page's language as a two-letter code (`de`); the PSP falls back where it has none.
    pub locale: String,
    /// Where the PSP sends the debtor after paying, and after giving up.
    pub success_url: String,
    pub cancel_url: String,
    /// The same key for a retried call of the same attempt: the PSP creates one session.
    pub idempotency_key: String,
}

/// A started checkout: the PSP's id for it and the URL to send the debtor to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub id: String,
    pub url: String,
}

/// Why a checkout could not be started, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PspError {
    /// The request itself is wrong (an amount the PSP cannot charge, a bad URL): the same request
    /// fails again.
    #[error("checkout request: {0}")]
    Invalid(String),
    /// The PSP refused it (4xx), with its own message, e.g. a payment method not enabled on the
    /// account, or a wrong API key.
    #[error("{provider} refused the checkout ({status}): {message}")]
    Refused { provider: &'static str, status: u16, message: String },
    /// The PSP asks to slow down (429); `retry_after` when it said for how long.
    #[error("{provider} is rate-limiting checkouts")]
    RateLimited { provider: &'static str, retry_after: Option<Duration> },
    /// The PSP could not be reached, timed out or failed (5xx, an answer we cannot read): worth
    /// another try.
    #[error("{provider} unavailable: {reason}")]
    Unavailable { provider: &'static str, reason: String },
}

impl PspError {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, PspError::RateLimited { .. } | PspError::Unavailable { .. })
    }
}

/// A payment service provider's hosted checkout.
#[async_trait]
pub trait Psp: Send + Sync {
    /// The provider's name, as logs and `PaymentSource` call it (`stripe`).
    fn name(&self) -> &'static str;

    /// The payment methods a checkout offers, as the PSP names them (`card`, `sepa_debit`,
    /// `paypal`), for the page to say what the button leads to.
    fn payment_methods(&self) -> &[String];

    /// Starts a checkout for `request`; the debtor is sent to the returned URL.
    async fn start_checkout(&self, request: &CheckoutRequest) -> Result<Checkout, PspError>;
}

/// `amount` of `currency` in its minor units (cents for EUR, yen for JPY), exactly: an amount
/// with more fractional digits than the currency has, zero or less, or too large is refused
/// rather than rounded. ([`Money`] rounds computed amounts to the currency already; this is the
/// last check before a PSP charges it.)
pub fn minor_units(amount: Decimal, currency: Currency) -> Result<i64, PspError> {
    let digits = currency.minor_units();
    let scaled = amount
        .checked_mul(Decimal::from(10_i64.pow(digits)))
        .ok_or_else(|| PspError::Invalid(format!("amount: {amount} is too large")))?;
    if scaled.fract() != Decimal::ZERO {
        return Err(PspError::Invalid(format!(
            "amount: {amount} has more than {digits} decimal places for {currency}"
        )));
    }
    let units =
        i64::try_from(scaled).map_err(|_| PspError::Invalid(format!("amount: {amount} is too large")))?;
    if units <= 0 {
        return Err(PspError::Invalid(format!("amount: {amount} is not a positive amount")));
    }
    Ok(units)
}

/// An amount given in `currency`'s minor units, as PSPs report them (`1234` EUR cents is 12.34).
pub fn from_minor_units(units: i64, currency: Currency) -> Money {
    Money::new(Decimal::new(units, currency.minor_units()), currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn units(raw: &str, code: &str) -> Result<i64, PspError> {
        minor_units(Decimal::from_str(raw).unwrap(), Currency::parse(code).unwrap())
    }

    #[test]
    fn minor_units_are_exact() {
        assert_eq!(units("1234.50", "EUR"), Ok(123_450));
        assert_eq!(units("0.01", "EUR"), Ok(1));
        assert_eq!(units("19.9", "EUR"), Ok(1990));
        assert_eq!(units("12.340", "EUR"), Ok(1234));
        assert_eq!(units("5000", "JPY"), Ok(5000));
        assert_eq!(units("1.234", "BHD"), Ok(1234));
    }

    #[test]
    fn fractions_of_a_cent_zero_negative_and_huge_are_refused() {
        for (raw, code, why) in [
            ("12.345", "EUR", "more than 2 decimal places for EUR"),
            ("0.001", "EUR", "more than 2 decimal places"),
            ("12.5", "JPY", "more than 0 decimal places for JPY"),
            ("0", "EUR", "not a positive"),
            ("-5.00", "EUR", "not a positive"),
            ("100000000000000000", "EUR", "too large"),
        ] {
            let error = units(raw, code).unwrap_err();
            assert!(matches!(error, PspError::Invalid(_)) && !error.is_transient());
            let error = error.to_string();
            assert!(error.contains("amount:") && error.contains(why), "{raw}: {error}");
        }
    }

    #[test]
    fn minor_units_back_to_money() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(from_minor_units(123_450, eur), Money::parse("1234.50", eur).unwrap());
        assert_eq!(from_minor_units(500, Currency::parse("JPY").unwrap()).amount(), Decimal::from(500));
        for cents in [1_i64, 99, 100, 12_345, 9_999_999_999] {
            let money = from_minor_units(cents, eur);
            assert_eq!(minor_units(money.amount(), money.currency()), Ok(cents));
        }
    }
}
