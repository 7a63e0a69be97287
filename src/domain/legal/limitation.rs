//! When a claim becomes time-barred (Verjährung, §§ 195, 199 BGB), and whether that is near
//! enough that the creditor must act: reminders do not stop the clock, only e.g. a court dunning
//! procedure does (§ 204 BGB).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How many days before the limitation date a case is flagged by default.
pub const LIMITATION_WARNING_DAYS: u32 = 90;

/// The regular limitation of one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limitation {
    /// The day the claim arose (became due), from which the period's start is derived.
    pub arose_on: NaiveDate,
    /// The last day on which the claim is not yet time-barred: 31 December of the third year
    /// after the year it arose (§ 195: three years; § 199 (1): from the end of that year).
    pub last_day: NaiveDate,
}

impl Limitation {
    /// The regular period of §§ 195, 199 (1) BGB, assuming the creditor knew of the claim and the
    /// debtor when it arose (true of its own invoices). Suspension (§§ 203 ff.) is not modelled.
    pub fn regular(arose_on: NaiveDate) -> Self {
        let last_day =
            NaiveDate::from_ymd_opt(arose_on.year() + 3, 12, 31).expect("years far from chrono's limits");
        Self { arose_on, last_day }
    }

    /// True from `days` days before the last day up to and including it: the window in which a
    /// case is flagged so the creditor can still act (`days` is [`LIMITATION_WARNING_DAYS`]
    /// unless configured). False once the claim is time-barred; see [`Limitation::time_barred`].
    pub fn limitation_near(&self, today: NaiveDate, days: u32) -> bool {
        today <= self.last_day && (self.last_day - today).num_days() <= i64::from(days)
    }

    /// True after the last day: the debtor may refuse to pay (§ 214 BGB).
    pub fn time_barred(&self, today: NaiveDate) -> bool {
        today > self.last_day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn end_of_the_third_year_after_the_year_it_arose() {
        assert_eq!(Limitation::regular(day(2023, 5, 10)).last_day, day(2026, 12, 31));
        assert_eq!(Limitation::regular(day(2023, 1, 1)).last_day, day(2026, 12, 31));
        assert_eq!(Limitation::regular(day(2023, 12, 31)).last_day, day(2026, 12, 31));
    }

    #[test]
    fn near_within_the_window_only() {
        let l = Limitation::regular(day(2023, 5, 10));
        assert!(!l.limitation_near(day(2026, 10, 1), LIMITATION_WARNING_DAYS)); // 91 days before
        assert!(l.limitation_near(day(2026, 10, 2), LIMITATION_WARNING_DAYS)); // 90 days before
        assert!(l.limitation_near(day(2026, 12, 31), LIMITATION_WARNING_DAYS));
        assert!(!l.limitation_near(day(2027, 1, 1), LIMITATION_WARNING_DAYS));
        assert!(l.time_barred(day(2027, 1, 1)));
        assert!(!l.time_barred(day(2026, 12, 31)));
    }
}
