//! Instalment plans a debtor chooses on the pay-page: within the creditor's rules (at most
//! `max_months` instalments, each at least `min_amount`) the plan is accepted at once; each
//! instalment has its own due date; a missed one (unpaid when its grace ran out) makes the rest
//! due and dunning resumes. Outside the rules it is a request for the creditor. Each instalment
//! has its own reminders ([`InstalmentNotice`]): some days before its due date, and on it if it
//! is still unpaid then.

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
    /// Days before an instalment's due date its first reminder goes out (1 to 28, default 3;
    /// `[pay] instalment_reminder_days`).
    pub reminder_days: u32,
}

impl Default for InstalmentRules {
    fn default() -> Self {
        Self { max_months: 6, min_amount: Decimal::new(2_500, 2), reminder_days: 3 }
    }
}

/// Which of an instalment's two reminders; stored as the reminder's `stage` (0 and 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstalmentNotice {
    /// `reminder_days` before the due date: the instalment is coming up.
    Upcoming,
    /// On the due date, if it is still unpaid: the instalment is due today.
    Due,
}

impl InstalmentNotice {
    pub const ALL: [Self; 2] = [Self::Upcoming, Self::Due];

    /// The value of the reminder's `stage` column.
    pub fn stage(self) -> u32 {
        match self {
            Self::Upcoming => 0,
            Self::Due => 1,
        }
    }

    /// The notice a stored `stage` names; `None` for any other value.
    pub fn from_stage(stage: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|notice| notice.stage() == stage)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Due => "due",
        }
    }

    /// The debtor's day this notice of an instalment due on `due_on` goes out.
    pub fn day(self, due_on: NaiveDate, reminder_days: u32) -> NaiveDate {
        match self {
            Self::Upcoming => {
                due_on.checked_sub_days(Days::new(u64::from(reminder_days))).unwrap_or(NaiveDate::MIN)
            }
            Self::Due => due_on,
        }
    }
}

/// One instalment of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    /// Its key on the case, from 1: a plan agreed after an earlier one numbers on from it
    /// ([`numbered_after`]), so a new plan's instalments and their reminders never collide with
    /// a replaced or broken plan's.
    pub seq: u32,
    /// Its number in its own plan, from 1: what the debtor reads ("instalment 2 of 3").
    pub number: u32,
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
                number: i + 1,
                due_on: first.checked_add_months(Months::new(i)).unwrap_or(NaiveDate::MAX),
                amount: if i + 1 == months { total - each * Decimal::from(months - 1) } else { each },
            })
            .collect())
    }
}

/// `plan` keyed on after the case's earlier plans, whose last instalment had the key
/// `last_seq` (0 when the case had none): the numbers the debtor reads stay 1 to N.
pub fn numbered_after(plan: Vec<Instalment>, last_seq: u32) -> Vec<Instalment> {
    plan.into_iter()
        .map(|instalment| Instalment { seq: last_seq + instalment.number, ..instalment })
        .collect()
}

/// The key (`seq`) of the last instalment, in order, that `paid` (paid towards the plan) covers
/// in full; 0 when it covers none. On a case's first plan that is how many it covers.
pub fn instalments_paid(instalments: &[Instalment], paid: Decimal) -> u32 {
    let mut owed = Decimal::ZERO;
    let mut covered = 0;
    for instalment in instalments {
        owed += instalment.amount;
        if paid < owed {
            break;
        }
        covered = instalment.seq;
    }
    covered
}

/// What is still open of the instalment `seq` with `paid` paid towards the plan (payments count
/// towards the instalments in order); zero when it is paid or not in the plan.
pub fn open_of(instalments: &[Instalment], paid: Decimal, seq: u32) -> Decimal {
    let before: Decimal = instalments.iter().filter(|i| i.seq < seq).map(|i| i.amount).sum();
    let Some(instalment) = instalments.iter().find(|i| i.seq == seq) else { return Decimal::ZERO };
    (instalment.amount - (paid - before).max(Decimal::ZERO)).max(Decimal::ZERO)
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

    #[test]
    fn payments_cover_the_instalments_in_order() {
        let plan = InstalmentRules::default().plan(day("2026-01-31"), dec("100.00"), 3, 2).unwrap();
        assert_eq!(instalments_paid(&plan, dec("0")), 0);
        assert_eq!(instalments_paid(&plan, dec("33.32")), 0);
        assert_eq!(instalments_paid(&plan, dec("33.33")), 1);
        assert_eq!(instalments_paid(&plan, dec("70")), 2);
        assert_eq!(instalments_paid(&plan, dec("100")), 3);
        assert_eq!(open_of(&plan, dec("20"), 1), dec("13.33"));
        assert_eq!(open_of(&plan, dec("20"), 2), dec("33.33"));
        assert_eq!(open_of(&plan, dec("43.33"), 2), dec("23.33"));
        assert_eq!(open_of(&plan, dec("43.33"), 1), dec("0"));
        assert_eq!(open_of(&plan, dec("0"), 4), dec("0"), "no such instalment");
    }

    #[test]
    fn a_later_plan_is_keyed_on_after_the_earlier_ones_and_still_reads_one_of_n() {
        let plan = InstalmentRules::default().plan(day("2026-01-31"), dec("100.00"), 3, 2).unwrap();
        let later = numbered_after(plan.clone(), 5);
        assert_eq!(later.iter().map(|i| (i.seq, i.number)).collect::<Vec<_>>(), [(6, 1), (7, 2), (8, 3)]);
        assert_eq!(
            later.iter().map(|i| (i.due_on, i.amount)).collect::<Vec<_>>(),
            plan.iter().map(|i| (i.due_on, i.amount)).collect::<Vec<_>>()
        );
        assert_eq!(numbered_after(plan.clone(), 0), plan, "a case's first plan keeps 1 to N");
        // Payments count by the keys: the last one covered, and what is open of one.
        assert_eq!(instalments_paid(&later, dec("70")), 7);
        assert_eq!(open_of(&later, dec("20"), 6), dec("13.33"));
        assert_eq!(open_of(&later, dec("20"), 1), dec("0"), "not a key of this plan");
    }

    #[test]
    fn an_instalment_s_notices_fall_before_and_on_its_due_date() {
        let due = day("2026-03-07");
        assert_eq!(InstalmentNotice::Upcoming.day(due, 3), day("2026-03-04"));
        assert_eq!(InstalmentNotice::Due.day(due, 3), due);
        for notice in InstalmentNotice::ALL {
            assert_eq!(InstalmentNotice::from_stage(notice.stage()), Some(notice));
        }
        assert_eq!(InstalmentNotice::from_stage(2), None);
    }
}
