//! Default interest as periods: each run of days with one principal and one rate becomes one
//! line, with its own rounded amount, so a claim statement can be checked line by line.

use super::{round_cents, LegalError, Percent};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How a period's days become a fraction of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Actual days / 365, also in leap years: the common German practice (and the courts'
    /// default), so 366 days of a leap year earn slightly more than one year's rate.
    #[default]
    Act365,
    /// Actual days / 360.
    Act360,
    /// Actual days / days of the calendar year they fall in (365 or 366); periods are split at
    /// 1 January so each part has one year's length.
    ActAct,
}

impl DayCount {
    /// The denominator for days in `year`.
    pub fn basis(self, year: i32) -> i64 {
        match self {
            Self::Act365 => 365,
            Self::Act360 => 360,
            Self::ActAct if NaiveDate::from_ymd_opt(year, 2, 29).is_some() => 366,
            Self::ActAct => 365,
        }
    }
}

/// The default interest rate in force on a day and the run of days it stays in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSpan {
    /// The reference rate (in Germany the base rate of § 247 BGB).
    pub base: Percent,
    /// The rate charged: the base rate plus the margin for the debtor's kind.
    pub rate: Percent,
    /// First day after the run; `None` when open-ended (past the end of the rate table).
    pub until: Option<NaiveDate>,
    /// The base rate is the last published one, carried past the table's end.
    pub past_table_end: bool,
}

/// One line of interest: `principal` at `rate` from `from` to `until`, both days included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestPeriod {
    pub from: NaiveDate,
    /// The last day of the period (included).
    pub until: NaiveDate,
    pub days: i64,
    pub principal: Decimal,
    pub base_rate: Percent,
    pub rate: Percent,
    /// The day count's denominator used for this period (365, 366 or 360).
    pub basis: i64,
    /// principal x rate / 100 x days / basis, rounded half up to cents (see [`round_cents`]).
    pub amount: Decimal,
    /// The base rate of this period is assumed: the table ended before it.
    pub rate_past_table_end: bool,
}

/// The interest on `principal` for each day from `from` up to but excluding `until`, split
/// wherever the rate changes (and at each 1 January for [`DayCount::ActAct`]). Nothing for an
/// empty range or a principal of zero. A rate below zero (a base rate under -5 %) earns nothing:
/// default interest is owed to the creditor, never by it.
pub fn accrue(
    principal: Decimal,
    from: NaiveDate,
    until: NaiveDate,
    day_count: DayCount,
    rate_on: impl Fn(NaiveDate) -> Result<RateSpan, LegalError>,
) -> Result<Vec<InterestPeriod>, LegalError> {
    let mut periods = Vec::new();
    if principal <= Decimal::ZERO {
        return Ok(periods);
    }
    let mut start = from;
    while start < until {
        let span = rate_on(start)?;
        let mut end = span.until.map_or(until, |u| u.min(until));
        if day_count == DayCount::ActAct {
            let new_year =
                NaiveDate::from_ymd_opt(start.year() + 1, 1, 1).expect("years far from chrono's limits");
            end = end.min(new_year);
        }
        let days = (end - start).num_days();
        let basis = day_count.basis(start.year());
        let rate = span.rate.0.max(Decimal::ZERO);
        let amount = round_cents(principal * rate * Decimal::from(days) / Decimal::from(100 * basis));
        periods.push(InterestPeriod {
            from: start,
            until: end.pred_opt().expect("end is after start"),
            days,
            principal,
            base_rate: span.base,
            rate: span.rate,
            basis,
            amount,
            rate_past_table_end: span.past_table_end,
        });
        start = end;
    }
    Ok(periods)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn dec(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap()
    }

    /// 10 % a year throughout, changing nothing: isolates the day count.
    fn flat_ten(_: NaiveDate) -> Result<RateSpan, LegalError> {
        Ok(RateSpan {
            base: Percent::points(1),
            rate: Percent::points(10),
            until: None,
            past_table_end: false,
        })
    }

    #[test]
    fn leap_year_day_counts() {
        // 2024 is a leap year: 366 days of 1000.00 at 10 %.
        let (from, until) = (day(2024, 1, 1), day(2025, 1, 1));
        let total = |dc| -> Decimal {
            accrue(dec("1000.00"), from, until, dc, flat_ten).unwrap().iter().map(|p| p.amount).sum()
        };
        assert_eq!(total(DayCount::Act365), dec("100.27")); // 1000 x 0.10 x 366/365 = 100.2739...
        assert_eq!(total(DayCount::ActAct), dec("100.00")); // 1000 x 0.10 x 366/366
        assert_eq!(total(DayCount::Act360), dec("101.67")); // 1000 x 0.10 x 366/360 = 101.666...
    }

    #[test]
    fn act_act_splits_at_new_year() {
        // 31 days in 2023 (/365) and 31 in 2024 (/366).
        let periods =
            accrue(dec("1000.00"), day(2023, 12, 1), day(2024, 2, 1), DayCount::ActAct, flat_ten).unwrap();
        let lines: Vec<_> = periods.iter().map(|p| (p.from, p.until, p.days, p.basis, p.amount)).collect();
        assert_eq!(
            lines,
            vec![
                (day(2023, 12, 1), day(2023, 12, 31), 31, 365, dec("8.49")), // 8.4931...
                (day(2024, 1, 1), day(2024, 1, 31), 31, 366, dec("8.47")),   // 8.4699...
            ]
        );
    }

    #[test]
    fn nothing_on_nothing() {
        assert!(accrue(Decimal::ZERO, day(2024, 1, 1), day(2025, 1, 1), DayCount::Act365, flat_ten)
            .unwrap()
            .is_empty());
        assert!(accrue(dec("5"), day(2024, 1, 1), day(2024, 1, 1), DayCount::Act365, flat_ten)
            .unwrap()
            .is_empty());
    }
}
