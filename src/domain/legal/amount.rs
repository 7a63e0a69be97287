//! The two numbers the legal rules work in: amounts rounded to cents by one stated rule, and
//! interest rates in percent per year.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Add;

/// Rounds an amount to cents, half away from zero ("kaufmännisch": 0.005 -> 0.01).
///
/// Why not `Decimal::round_dp`: that rounds half to even (banker's rounding), which a debtor
/// checking a claim statement by hand does not expect. The engine rounds each interest period
/// once, with this rule, and sums the rounded periods, so every figure a letter prints adds up
/// to the total it prints.
pub fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Zero with two decimal places, so every amount in a breakdown prints with cents ("0.00").
pub const ZERO_CENTS: Decimal = Decimal::from_parts(0, 0, 0, false, 2);

/// A rate in percent per year (`Percent(1.27)` is 1.27 %), kept exact as a decimal. May be
/// negative: the German base rate was below zero from 2013 to 2022.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Percent(pub Decimal);

impl Percent {
    /// `hundredths` of a percent: `Percent::hundredths(127)` is 1.27 %.
    pub const fn hundredths(hundredths: i64) -> Self {
        Self(Decimal::from_parts(hundredths.unsigned_abs() as u32, 0, 0, hundredths < 0, 2))
    }

    /// Whole percentage points: `Percent::points(5)` is 5 %.
    pub fn points(points: i64) -> Self {
        Self(Decimal::from(points))
    }
}

impl Add for Percent {
    type Output = Percent;
    fn add(self, other: Percent) -> Percent {
        Percent(self.0 + other.0)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} %", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_cents(d("0.005")), d("0.01"));
        assert_eq!(round_cents(d("0.015")), d("0.02"));
        assert_eq!(round_cents(d("0.025")), d("0.03"), "banker's rounding would give 0.02");
        assert_eq!(round_cents(d("0.0049999")), d("0.00"));
        assert_eq!(round_cents(d("-0.005")), d("-0.01"));
    }

    #[test]
    fn percent_from_hundredths() {
        assert_eq!(Percent::hundredths(127).0, d("1.27"));
        assert_eq!(Percent::hundredths(-88).0, d("-0.88"));
        assert_eq!(Percent::hundredths(-88) + Percent::points(9), Percent(d("8.12")));
        assert_eq!(Percent::hundredths(362).to_string(), "3.62 %");
    }
}
