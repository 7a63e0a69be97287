//! Instalment reminders at delivery: whether one still goes out (its plan open, the instalment
//! not yet paid, the case paused for the plan), and the facts it states: which instalment of how
//! many, what is still open of it, and when it is due.

use crate::domain::{open_of, CaseState, InstalmentNotice};
use crate::store::DeliveryJob;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What an instalment reminder says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentFacts {
    /// The instalment's number in its plan, from 1.
    pub number: u32,
    /// How many instalments the plan has.
    pub of: u32,
    /// What is still open of it (its amount, less a part already paid).
    pub open: Decimal,
    pub due_on: NaiveDate,
    pub notice: InstalmentNotice,
}

/// The facts of `job`'s instalment; `None` for a stage's reminder, or when its plan ended.
pub fn facts(job: &DeliveryJob) -> Option<InstalmentFacts> {
    if job.instalment == 0 {
        return None;
    }
    let plan = job.plan.as_ref()?;
    let instalment = plan.instalments.iter().find(|i| i.seq == job.instalment)?;
    Some(InstalmentFacts {
        number: instalment.number,
        of: plan.instalments.len() as u32,
        open: open_of(&plan.instalments, job.amount_paid - plan.paid_before, instalment.seq),
        due_on: instalment.due_on,
        notice: InstalmentNotice::from_stage(job.stage)?,
    })
}

/// Why `job` is not to be sent now, if it is not: a stage's reminder goes out only while the
/// case takes reminders; an instalment reminder only while its plan is open (the case paused for
/// it) and the instalment not paid.
pub fn reason_not_to_send(job: &DeliveryJob) -> Option<String> {
    if job.instalment == 0 {
        return (!job.case_state.accepts_reminders()).then(|| format!("case is {}", job.case_state));
    }
    match facts(job) {
        None => Some("instalment plan ended".to_owned()),
        Some(facts) if facts.open.is_zero() => Some(format!("instalment {} is paid", facts.number)),
        Some(_) if job.case_state != CaseState::Paused => Some(format!("case is {}", job.case_state)),
        Some(_) => None,
    }
}
