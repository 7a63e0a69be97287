//! The rules for a claim no shipped jurisdiction is written for (an invoice in a currency the
//! creditor's law does not cover): no statutory interest and no flat fee; reminders charge what
//! the plan says, from default on, uncapped; default and limitation as in German law, the most
//! common reading of both. Better a plain statement of principal and fees than invented interest.

use super::default::in_default_from;
use super::{DayCount, DefaultFacts, InDefault, Jurisdiction, LegalError, Limitation, Percent, RateSpan};
use crate::domain::{Currency, DebtorKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// No statute of late payment: see the module.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoStatute;

impl Jurisdiction for NoStatute {
    fn code(&self) -> &'static str {
        "none"
    }

    fn check_currency(&self, _currency: Currency) -> Result<(), LegalError> {
        Ok(())
    }

    fn in_default_from(&self, facts: &DefaultFacts) -> Option<InDefault> {
        in_default_from(facts)
    }

    fn default_rate(&self, _debtor: DebtorKind, _day: NaiveDate) -> Result<RateSpan, LegalError> {
        let zero = Percent::hundredths(0);
        Ok(RateSpan { base: zero, rate: zero, until: None, past_table_end: false })
    }

    fn day_count(&self) -> DayCount {
        DayCount::Act365
    }

    fn flat_fee(&self, _debtor: DebtorKind) -> Option<Decimal> {
        None
    }

    fn reminder_fee_cap(&self) -> Decimal {
        Decimal::MAX
    }

    fn limitation(&self, arose_on: NaiveDate) -> Limitation {
        Limitation::regular(arose_on)
    }
}
