//! German law of late payment: default under § 286 BGB, interest under §§ 288, 247 BGB, the flat
//! fee of § 288 (5), capped reminder fees, and limitation under §§ 195, 199 BGB.

use super::default::in_default_from;
use super::{
    BaseRateTable, DayCount, DefaultFacts, InDefault, Jurisdiction, LegalError, Limitation, Percent, RateSpan,
};
use crate::domain::{Currency, DebtorKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// § 288 (5) BGB: 40 EUR owed by a business debtor in default on a payment claim.
pub const FLAT_FEE_EUR: Decimal = Decimal::from_parts(4000, 0, 0, false, 2);

/// The default cap on one reminder's fee: courts accept about this as a letter's actual cost
/// (paper, print, postage); staff time is not recoverable.
pub const REMINDER_FEE_CAP_EUR: Decimal = Decimal::from_parts(250, 0, 0, false, 2);

/// The law each creditor's claims are computed under, by tenant (`[creditors.<tenant>.legal]`).
pub type TenantLaw = dyn Fn(&crate::domain::TenantId) -> Germany + Send + Sync;

/// The statute with its defaults for every tenant: for callers without creditor settings.
pub fn statutory_law(_tenant: &crate::domain::TenantId) -> Germany {
    Germany::default()
}

/// What a creditor may configure about the German rules; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GermanyConfig {
    /// Base rates beyond (or correcting) the shipped Bundesbank table. Default: none.
    pub extra_base_rates: Vec<(NaiveDate, Percent)>,
    /// Default: [`DayCount::Act365`].
    pub day_count: DayCount,
    /// Most a reminder may cost the debtor, in EUR; at least 0. Default: 2.50.
    pub reminder_fee_cap: Decimal,
}

impl Default for GermanyConfig {
    fn default() -> Self {
        Self {
            extra_base_rates: Vec::new(),
            day_count: DayCount::Act365,
            reminder_fee_cap: REMINDER_FEE_CAP_EUR,
        }
    }
}

/// The German rules with their configuration checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Germany {
    base_rates: BaseRateTable,
    day_count: DayCount,
    reminder_fee_cap: Decimal,
}

impl Default for Germany {
    fn default() -> Self {
        Self {
            base_rates: BaseRateTable::bundesbank(),
            day_count: DayCount::Act365,
            reminder_fee_cap: REMINDER_FEE_CAP_EUR,
        }
    }
}

impl Germany {
    pub fn new(config: GermanyConfig) -> Result<Self, LegalError> {
        let cap = config.reminder_fee_cap;
        if cap < Decimal::ZERO || cap.normalize().scale() > 2 {
            return Err(LegalError::Amount { field: "reminder_fee_cap".into(), amount: cap });
        }
        Ok(Self {
            base_rates: BaseRateTable::with_entries(config.extra_base_rates)?,
            day_count: config.day_count,
            reminder_fee_cap: cap,
        })
    }

    pub fn base_rates(&self) -> &BaseRateTable {
        &self.base_rates
    }

    /// § 288 (1) and (2) BGB: 5 points over the base rate, 9 when no consumer is party to the
    /// contract (the creditor here is a business, so the debtor's kind decides).
    pub fn margin(debtor: DebtorKind) -> Percent {
        match debtor {
            DebtorKind::Consumer => Percent::points(5),
            DebtorKind::Business => Percent::points(9),
        }
    }
}

impl Jurisdiction for Germany {
    fn code(&self) -> &'static str {
        "DE"
    }

    fn check_currency(&self, currency: Currency) -> Result<(), LegalError> {
        if currency.code() == "EUR" {
            Ok(())
        } else {
            Err(LegalError::Currency { currency: currency.code().to_owned() })
        }
    }

    fn in_default_from(&self, facts: &DefaultFacts) -> Option<InDefault> {
        in_default_from(facts)
    }

    fn default_rate(&self, debtor: DebtorKind, day: NaiveDate) -> Result<RateSpan, LegalError> {
        let span = self.base_rates.on(day)?;
        Ok(RateSpan {
            base: span.rate,
            rate: span.rate + Self::margin(debtor),
            until: span.until,
            past_table_end: span.past_table_end,
        })
    }

    fn day_count(&self) -> DayCount {
        self.day_count
    }

    /// § 288 (5) applies only where no consumer is the debtor.
    fn flat_fee(&self, debtor: DebtorKind) -> Option<Decimal> {
        (debtor == DebtorKind::Business).then_some(FLAT_FEE_EUR)
    }

    fn reminder_fee_cap(&self) -> Decimal {
        self.reminder_fee_cap
    }

    fn limitation(&self, arose_on: NaiveDate) -> Limitation {
        Limitation::regular(arose_on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_by_debtor_kind() {
        let de = Germany::default();
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        assert_eq!(de.default_rate(DebtorKind::Consumer, day).unwrap().rate, Percent::hundredths(862));
        assert_eq!(de.default_rate(DebtorKind::Business, day).unwrap().rate, Percent::hundredths(1262));
    }

    #[test]
    fn configuration_is_checked() {
        let bad = GermanyConfig { reminder_fee_cap: Decimal::new(-1, 0), ..GermanyConfig::default() };
        assert!(Germany::new(bad).is_err());
        let half_cent = GermanyConfig { reminder_fee_cap: Decimal::new(2505, 3), ..GermanyConfig::default() };
        assert!(Germany::new(half_cent).is_err());
        assert_eq!(Germany::new(GermanyConfig::default()).unwrap(), Germany::default());
        assert_eq!(FLAT_FEE_EUR.to_string(), "40.00");
        assert_eq!(REMINDER_FEE_CAP_EUR.to_string(), "2.50");
    }
}
