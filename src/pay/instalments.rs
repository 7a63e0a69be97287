//! Instalments chosen on the pay-page: within the creditor's rules ([`InstalmentRules`]) the plan
//! is agreed at once, the case pauses until the first instalment's grace ends, and every
//! instalment gets its own reminders ([`crate::schedule::instalment_reminders`]); the scheduler
//! checks each instalment when its grace ends ([`crate::schedule::resume_broken_promises`]); a
//! payment that covers an instalment cancels its reminders still to go out
//! ([`cancel_paid_reminders`]), one that closes the case completes the plan
//! ([`super::record_payment`]). Outside the rules the debtor's wish reaches the creditor as
//! `instalment.requested`.

use crate::domain::{
    instalments_paid, numbered_after, CaseEvent, CaseState, InstalmentError, InstalmentRules, PromiseRules,
    PromiseState,
};
use crate::runtime::events::InstalmentLine;
use crate::runtime::{EventBody, NewEvent};
use crate::schedule::instalment_reminders;
use crate::store::tx::CaseUpdate;
use crate::store::{Store, StoreError, StoreTx};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// What choosing instalments did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstalmentOutcome {
    /// Agreed: dunning pauses; the first instalment is due on `first_due`.
    Agreed {
        first_due: NaiveDate,
    },
    /// Outside the rules: sent to the creditor as `instalment.requested`; nothing else changed.
    Requested(InstalmentError),
    /// The case takes no plan (paid, cancelled, disputed, escalated); nothing changed.
    NotOpen(CaseState),
    UnknownCase,
}

/// What the debtor chose: `total` (what the page showed as owed) in `months` instalments from
/// `today` (their date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentChoice {
    pub total: Decimal,
    pub months: u32,
    pub today: NaiveDate,
}

/// The debtor of case `case_id` chooses instalments. Within `rules`, in one transaction: an open promise
/// or plan ends (replaced), the plan is stored, pending reminders are cancelled and each
/// instalment's own are planned (on the channel of the case's latest stage reminder), the case
/// pauses until the first instalment's grace (`grace`'s days) ends, and `instalments.agreed` is
/// emitted.
pub async fn choose_instalments(
    store: &dyn Store,
    case_id: i64,
    choice: InstalmentChoice,
    rules: InstalmentRules,
    grace: PromiseRules,
    now: DateTime<Utc>,
) -> Result<InstalmentOutcome, StoreError> {
    let mut tx = store.begin().await?;
    let Some(case) = tx.lock_case(case_id).await? else {
        return Ok(InstalmentOutcome::UnknownCase);
    };
    let paused = match case.state {
        CaseState::Paused => CaseState::Paused,
        state => match state.apply(CaseEvent::Paused) {
            Ok(paused) if state.accepts_reminders() => paused,
            _ => return Ok(InstalmentOutcome::NotOpen(state)),
        },
    };
    let InstalmentChoice { total, months, today } = choice;
    let currency = case.amount_due.currency();
    let plan = match rules.plan(today, total, months, currency.minor_units()) {
        Ok(plan) => plan,
        Err(outside) => {
            let body = EventBody::InstalmentRequested { months, amount: total, currency };
            tx.append_events(&[NewEvent::from(&case.subject().event(now, body))]).await?;
            tx.commit().await?;
            return Ok(InstalmentOutcome::Requested(outside));
        }
    };
    tx.end_promise(case_id, PromiseState::Replaced, now).await?;
    tx.end_instalments(case_id, PromiseState::Replaced, now).await?;
    let plan = numbered_after(plan, tx.last_instalment_seq(case_id).await?);
    tx.insert_instalments(case_id, &plan, case.amount_paid, now).await?;
    tx.cancel_pending_reminders(case_id, now).await?;
    if let Some(route) = tx.reminder_route(case_id).await? {
        let reminders = instalment_reminders(&plan, &route, rules.reminder_days, now);
        let reminders: Vec<_> = reminders.into_iter().map(|reminder| (case_id, reminder)).collect();
        tx.insert_reminders(&reminders, now).await?;
    }
    let first_due = plan[0].due_on;
    tx.save_case(&CaseUpdate {
        case_id,
        state: paused,
        stages_planned: case.stages_planned,
        next_action_at: Some(grace.resume_at(first_due)),
        updated_at: now,
    })
    .await?;
    let lines =
        plan.iter().map(|i| InstalmentLine { seq: i.number, due_on: i.due_on, amount: i.amount }).collect();
    let agreed = case.subject().event(now, EventBody::InstalmentsAgreed { instalments: lines });
    tx.append_events(&[NewEvent::from(&agreed)]).await?;
    tx.commit().await?;
    Ok(InstalmentOutcome::Agreed { first_due })
}

/// A payment on case `case_id` (paused) brought what was paid on its invoice to `paid`: the reminders
/// still to go out of the instalments of its open plan that this now covers are cancelled (an
/// instalment paid in time is not reminded of). Nothing without an open plan.
pub async fn cancel_paid_reminders(
    tx: &mut dyn StoreTx,
    case_id: i64,
    paid: rust_decimal::Decimal,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(plan) = tx.open_instalments(case_id).await? else { return Ok(()) };
    let covered = instalments_paid(&plan.instalments, paid - plan.paid_before);
    if covered > 0 {
        tx.cancel_instalment_reminders(case_id, Some(covered), now).await?;
    }
    Ok(())
}
