//! The rules that differ between countries, behind one trait, so the breakdown is computed once
//! for all of them. Germany is the first implementation.

use super::{DayCount, DefaultFacts, InDefault, LegalError, Limitation, RateSpan};
use crate::domain::{Currency, DebtorKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One country's law of late payment, as the breakdown needs it. The order in which a payment
/// is applied is German (§§ 366, 367 BGB) and lives in `allocation`; a country with another
/// order would add a method here rather than the breakdown branching on the country.
pub trait Jurisdiction {
    /// ISO 3166 code of the country, shown in the breakdown.
    fn code(&self) -> &'static str;

    /// Refuses a currency the rules are not written for.
    fn check_currency(&self, currency: Currency) -> Result<(), LegalError>;

    /// The start of default, if the facts put the debtor in default at all.
    fn in_default_from(&self, facts: &DefaultFacts) -> Option<InDefault>;

    /// The default interest rate for `debtor` on `day`, and how long it holds.
    fn default_rate(&self, debtor: DebtorKind, day: NaiveDate) -> Result<RateSpan, LegalError>;

    fn day_count(&self) -> DayCount;

    /// A fixed sum owed once per claim when the debtor falls into default, if the law has one.
    fn flat_fee(&self, debtor: DebtorKind) -> Option<Decimal>;

    /// The most a reminder may cost the debtor, whatever it cost the creditor.
    fn reminder_fee_cap(&self) -> Decimal;

    fn limitation(&self, arose_on: NaiveDate) -> Limitation;
}
