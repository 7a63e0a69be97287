//! Instalment plans a debtor chooses on the pay-page: within the creditor's rules (at most
//! `max_months` instalments, each at least `min_amount`) the plan is accepted at once; each
//! instalment has its own due date; a missed one (unpaid when its grace ran out) makes the rest
//! due and dunning resumes. Outside the rules it is a request for the creditor.

use chrono::{Days, Months, NaiveDate};
use rust_decimal::Decimal;

/// Days from the day the plan is agreed to the first instalment's due date; later instalments
/// fall due monthly after it.
pub const FIRST_DUE_AFTER_DAYS: u64 = 7;

/// The creditor's rules (`[pay] instalments = { max_months, min_amount }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentRules {
    /// Most instalments a debtor may choose on their own; below 2 the option is not offered.
    pub max_months: u32,
    /// Smallest instalment, in the invoice's currency.
    pub min_amount: Decimal,
}

impl Default for InstalmentRules {
    fn default() -> Self {
        Self { max_months: 6, min_amount: Decimal::new(2_500, 2) }
    }
}

/// One instalment of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// 1-based.
    pub seq: u32,
    pub due_on: NaiveDate,
    pub amount: Decimal,
}

/// Why a plan is outside the creditor's rules (it becomes a request for the creditor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstalmentError {
    #[error("between 2 and {max_months} instalments may be chosen")]
    Months { max_months: u32 },
    #[error("each instalment must be at least {min_amount}")]
    BelowMinimum { min_amount: Decimal },
}

/// Where a plan stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStanding {
    /// Every instalment whose grace ran out is paid; the next one not yet paid is `next`.
    OnTrack { next: Instalment },
    /// Everything is paid.
    Completed,
    /// `missed` was not paid when its grace ran out.
    Missed { missed: Instalment },
}

impl InstalmentRules {
    /// Whether a debtor may choose instalments at all.
    pub fn offered(&self) -> bool {
        self.max_months >= 2
    }

    /// The most instalments `total` can be split into under these rules (0 when none).
    pub fn most_months(&self, total: Decimal) -> u32 {
        (2..=self.max_months)
            .rev()
            .find(|&months| total / Decimal::from(months) >= self.min_amount)
            .unwrap_or(0)
    }

    /// `total` in `months` instalments from `today`, in amounts of `decimals` places (the last
    /// takes the rounding), or why that is outside the rules.
    pub fn plan(
        &self,
        today: NaiveDate,
        total: Decimal,
        months: u32,
        decimals: u32,
    ) -> Result<Vec<Instalment>, InstalmentError> {
        if months < 2 || months > self.max_months {
            return Err(InstalmentError::Months { max_months: self.max_months });
        }
        let each = (total / Decimal::from(months))
            .round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToZero);
        if each < self.min_amount {
            return Err(InstalmentError::BelowMinimum { min_amount: self.min_amount });
        }
        let first = today.checked_add_days(Days::new(FIRST_DUE_AFTER_DAYS)).unwrap_or(NaiveDate::MAX);
        Ok((0..months)
            .map(|i| Instalment {
                seq: i + 1,
                due_on: first.checked_add_months(Months::new(i)).unwrap_or(NaiveDate::MAX),
                amount: if i + 1 == months { total - each * Decimal::from(months - 1) } else { each },
            })
            .collect())
    }
}

/// Where `instalments` stand on `today` with `paid` paid towards them, each given `grace_days`
/// after its due date.
pub fn standing(
    instalments: &[Instalment],
    paid: Decimal,
    today: NaiveDate,
    grace_days: u32,
) -> PlanStanding {
    let mut owed = Decimal::ZERO;
    for instalment in instalments {
        owed += instalment.amount;
        if paid >= owed {
            continue;
        }
        let grace_end =
            instalment.due_on.checked_add_days(Days::new(u64::from(grace_days))).unwrap_or(NaiveDate::MAX);
        return if today > grace_end {
            PlanStanding::Missed { missed: *instalment }
        } else {
            PlanStanding::OnTrack { next: *instalment }
        };
    }
    PlanStanding::Completed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_plan_splits_the_total_monthly_with_the_rounding_last() {
        let rules = InstalmentRules::default();
        let plan = rules.plan(day("2026-01-31"), dec("100.00"), 3, 2).unwrap();
        assert_eq!(
            plan.iter().map(|i| i.amount).collect::<Vec<_>>(),
            [dec("33.33"), dec("33.33"), dec("33.34")]
        );
        assert_eq!(
            plan.iter().map(|i| i.due_on).collect::<Vec<_>>(),
            [day("2026-02-07"), day("2026-03-07"), day("2026-04-07")]
        );
        assert_eq!(plan.iter().map(|i| i.amount).sum::<Decimal>(), dec("100.00"));
        assert_eq!(
            rules.plan(day("2026-01-31"), dec("100.00"), 5, 2),
            Err(InstalmentError::BelowMinimum { min_amount: dec("25.00") })
        );
        assert_eq!(
            rules.plan(day("2026-01-31"), dec("1000"), 7, 2),
            Err(InstalmentError::Months { max_months: 6 })
        );
        assert_eq!(
            rules.plan(day("2026-01-31"), dec("1000"), 1, 2),
            Err(InstalmentError::Months { max_months: 6 })
        );
        assert_eq!(rules.most_months(dec("100.00")), 4);
        assert_eq!(rules.most_months(dec("40.00")), 0);
    }

    #[test]
    fn an_instalment_is_missed_only_when_its_grace_ran_out_unpaid() {
        let plan = InstalmentRules::default().plan(day("2026-01-01"), dec("90"), 3, 2).unwrap();
        let first = plan[0];
        assert_eq!(standing(&plan, dec("0"), day("2026-01-11"), 3), PlanStanding::OnTrack { next: first });
        assert_eq!(standing(&plan, dec("0"), day("2026-01-12"), 3), PlanStanding::Missed { missed: first });
        assert_eq!(standing(&plan, dec("30"), day("2026-01-12"), 3), PlanStanding::OnTrack { next: plan[1] });
        assert_eq!(
            standing(&plan, dec("59.99"), day("2026-03-01"), 3),
            PlanStanding::Missed { missed: plan[1] }
        );
        assert_eq!(standing(&plan, dec("90"), day("2027-01-01"), 3), PlanStanding::Completed);
    }
}
