//! A debtor's promise to pay by a date (from the pay-page): within the creditor's limit it pauses
//! dunning until the date plus a grace; it ends kept (paid), broken (the grace ran out unpaid)
//! or replaced (a later promise, or a dispute).

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

/// Where a promise stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseState {
    Open,
    Kept,
    Broken,
    Replaced,
}

impl PromiseState {
    pub const ALL: [PromiseState; 4] = [Self::Open, Self::Kept, Self::Broken, Self::Replaced];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Kept => "kept",
            Self::Broken => "broken",
            Self::Replaced => "replaced",
        }
    }
}

/// The creditor's limits on promises (`[pay] promise_max_days`, `promise_grace_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromiseRules {
    /// The latest date a debtor may promise, in days from today (default 14).
    pub max_days: u32,
    /// Days after the promised date before dunning resumes (default 3).
    pub grace_days: u32,
}

impl Default for PromiseRules {
    fn default() -> Self {
        Self { max_days: 14, grace_days: 3 }
    }
}

/// Why a promised date is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PromiseError {
    #[error("the date is in the past")]
    InThePast,
    #[error("the date is more than {max_days} days away")]
    TooFar { max_days: u32 },
}

impl PromiseRules {
    /// Checks `promised_on` against `today` (the debtor's).
    pub fn check(&self, today: NaiveDate, promised_on: NaiveDate) -> Result<(), PromiseError> {
        if promised_on < today {
            return Err(PromiseError::InThePast);
        }
        if promised_on > self.latest(today) {
            return Err(PromiseError::TooFar { max_days: self.max_days });
        }
        Ok(())
    }

    /// The latest date that may be promised `today`.
    pub fn latest(&self, today: NaiveDate) -> NaiveDate {
        today.checked_add_days(Days::new(u64::from(self.max_days))).unwrap_or(NaiveDate::MAX)
    }

    /// When dunning resumes if nothing is paid: the end of the grace after the promised date
    /// (midnight UTC after its last day).
    pub fn resume_at(&self, promised_on: NaiveDate) -> DateTime<Utc> {
        let day =
            promised_on.checked_add_days(Days::new(u64::from(self.grace_days) + 1)).unwrap_or(NaiveDate::MAX);
        day.and_time(NaiveTime::MIN).and_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_promise_within_the_limit_resumes_after_the_grace() {
        let rules = PromiseRules::default();
        let today = day("2026-12-06");
        assert_eq!(rules.check(today, today), Ok(()));
        assert_eq!(rules.check(today, day("2026-12-20")), Ok(()));
        assert_eq!(rules.check(today, day("2026-12-21")), Err(PromiseError::TooFar { max_days: 14 }));
        assert_eq!(rules.check(today, day("2026-12-05")), Err(PromiseError::InThePast));
        assert_eq!(rules.resume_at(day("2026-12-20")).to_rfc3339(), "2026-12-24T00:00:00+00:00");
    }
}
