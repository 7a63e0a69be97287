//! The overview's DSO trend: days sales outstanding per calendar month (UTC) for the last twelve
//! months, this one included, each month computed as the statistics compute their one figure
//! ([`super::stats::dso_days`]) over the payments in money made in that month (the store adds
//! them up per month: [`PaymentSums`]).

use super::stats::dso_days;
use crate::store::tenant_stats::PaymentSums;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

/// How many months the trend shows.
pub const MONTHS: u32 = 12;

/// One month of the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthDso {
    /// The first day of the month.
    pub month: NaiveDate,
    /// `None` when no money was paid in the month.
    pub dso_days: Option<f64>,
}

fn first_month(now: DateTime<Utc>) -> NaiveDate {
    let this_month = now.date_naive().with_day(1).expect("every month has a first day");
    this_month - Months::new(MONTHS - 1)
}

/// The trend at `now` from `payments` (any may be given; those outside the twelve months and
/// those that are no money are left out), oldest month first.
pub fn dso_by_month(payments: &[PaymentSums], now: DateTime<Utc>) -> Vec<MonthDso> {
    let first = first_month(now);
    (0..MONTHS)
        .map(|i| {
            let month = first + Months::new(i);
            MonthDso { month, dso_days: dso_days(payments.iter().filter(|p| p.month == month)) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentSource;
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    /// One payment as the store groups it: its month, its amount and its amount times its days.
    fn pay(
        source: PaymentSource,
        amount: i64,
        paid: (i32, u32, u32),
        issued: (i32, u32, u32),
    ) -> PaymentSums {
        let paid_on = NaiveDate::from_ymd_opt(paid.0, paid.1, paid.2).unwrap();
        let days = (paid_on - NaiveDate::from_ymd_opt(issued.0, issued.1, issued.2).unwrap()).num_days();
        PaymentSums {
            source,
            currency: "EUR".into(),
            month: paid_on.with_day(1).unwrap(),
            amount: Decimal::new(amount, 0),
            amount_days: Decimal::new(amount * days, 0),
        }
    }

    #[test]
    fn each_month_is_the_amount_weighted_days_of_its_payments_in_money() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let payments = [
            // Too old: November 2025 is the thirteenth month back.
            pay(PaymentSource::Bank, 100, (2025, 11, 30), (2025, 11, 1)),
            // January: 10 days for 100, 40 days for 50 -> (1000 + 2000) / 150 = 20.0.
            pay(PaymentSource::Bank, 100, (2026, 1, 11), (2026, 1, 1)),
            pay(PaymentSource::Stripe, 50, (2026, 1, 31), (2025, 12, 22)),
            // A credit is no money: January stays 20.0.
            pay(PaymentSource::Credit, 1000, (2026, 1, 15), (2025, 1, 1)),
            // December so far: 3 days for 30, 4 days for 10 -> 130 / 40 = 3.25 -> 3.3.
            pay(PaymentSource::Amqp, 30, (2026, 12, 4), (2026, 12, 1)),
            pay(PaymentSource::Bank, 10, (2026, 12, 5), (2026, 12, 1)),
            // Only a write-off in March: no figure.
            pay(PaymentSource::WriteOff, 10, (2026, 3, 3), (2026, 1, 1)),
        ];
        let trend = dso_by_month(&payments, now);
        assert_eq!(trend.len(), 12);
        assert_eq!(trend[0].month, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(trend[11].month, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(trend[0].dso_days, Some(20.0));
        assert_eq!(trend[2].dso_days, None, "March: a write-off only");
        assert_eq!(trend[11].dso_days, Some(3.3));
        assert_eq!(trend.iter().filter(|m| m.dso_days.is_some()).count(), 2);
    }

    #[test]
    fn a_year_back_from_january_starts_in_february() {
        let now = Utc.with_ymd_and_hms(2027, 1, 31, 23, 59, 0).unwrap();
        let trend = dso_by_month(&[], now);
        assert_eq!(trend[0].month, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        assert_eq!(trend.last().unwrap().month, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert!(trend.iter().all(|m| m.dso_days.is_none()));
    }
}
