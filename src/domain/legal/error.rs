//! Why the legal engine could not compute what is owed: inputs it refuses rather than guess at.

use chrono::NaiveDate;

/// An input the engine will not compute with; each variant names the field or fact at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegalError {
    /// The German default rate is defined by the base rate of § 247 BGB, which exists since
    /// 2002; earlier interest needs the rules before the reform of the law of obligations.
    #[error("no base rate for {day}: the table starts on {first}")]
    BeforeBaseRateTable { day: NaiveDate, first: NaiveDate },
    /// The base rate changes only on 1 January and 1 July (§ 247 (1) BGB).
    #[error("base rate entry on {day}: the base rate changes only on 1 January and 1 July")]
    BaseRateNotOnChangeDay { day: NaiveDate },
    /// Extra base rates must continue the table half-year by half-year: a later entry with an
    /// earlier one left out would carry the rate before the gap silently through it.
    #[error(
        "base rate entry on {next}: the half-year from {missing} is missing (give every half-year in turn)"
    )]
    BaseRateGap { missing: NaiveDate, next: NaiveDate },
    /// Amounts are cents: negative amounts or fractions of a cent are a caller's mistake.
    #[error("{field}: {amount} is not a non-negative amount in cents")]
    Amount { field: String, amount: rust_decimal::Decimal },
    /// The 40 EUR of § 288 (5) and the fee cap are euros; no conversion rule is built in.
    #[error("currency {currency}: the German rules here are written for EUR")]
    Currency { currency: String },
    #[error("invoice {invoice} appears twice in one account")]
    DuplicateInvoice { invoice: String },
    #[error("payment of {received_on} names invoice {invoice}, which is not in the account")]
    UnknownInvoice { invoice: String, received_on: NaiveDate },
    #[error("reminder of invoice {invoice} was received on {received_on}, before it was sent on {sent_on}")]
    ReminderReceivedBeforeSent { invoice: String, sent_on: NaiveDate, received_on: NaiveDate },
    /// A payment naming no invoice needs claims to be applied over (§ 366 (2) BGB).
    #[error("{field}: no open claim to apply a payment naming no invoice to")]
    NoClaims { field: String },
    /// One account is in one currency.
    #[error("invoice {invoice} is in {found}, the account in {expected}")]
    MixedCurrency { invoice: String, found: String, expected: String },
    /// A payment the breakdown of its own day does not list (a payment dated after that day).
    #[error("payment of {received_on} is not in the breakdown of its day")]
    PaymentNotApplied { received_on: NaiveDate },
}
