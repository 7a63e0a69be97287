//! A promise to pay by a date, made on the pay-page: within the creditor's limit it pauses
//! dunning until the date plus the grace ([`PromiseRules`]); a payment that closes the case keeps
//! it ([`super::record_payment`]); the scheduler breaks it when the grace runs out unpaid
//! ([`crate::schedule::resume_broken_promises`]).

use crate::domain::{CaseEvent, CaseState, PromiseError, PromiseRules, PromiseState};
use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::CaseUpdate;
use crate::store::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};

/// What a promise did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromiseOutcome {
    /// Recorded: dunning pauses until `resume_at`.
    Made { resume_at: DateTime<Utc> },
    /// The date is outside the creditor's rules; nothing changed.
    Refused(PromiseError),
    /// The case takes no promise (paid, cancelled, disputed, escalated); nothing changed.
    NotOpen(CaseState),
    /// No such case.
    UnknownCase,
}

/// Records the debtor's promise to pay case `case_id` by `promised_on` (checked against `today`,
/// the debtor's date, and `rules`), in one transaction: an earlier open promise or instalment
/// plan is replaced, the case's pending reminders are cancelled, the case pauses until the grace
/// after the date ends, and `promise.made` is emitted.
pub async fn promise_to_pay(
    store: &dyn Store,
    case_id: i64,
    promised_on: NaiveDate,
    today: NaiveDate,
    rules: PromiseRules,
    now: DateTime<Utc>,
) -> Result<PromiseOutcome, StoreError> {
    if let Err(refused) = rules.check(today, promised_on) {
        return Ok(PromiseOutcome::Refused(refused));
    }
    let mut tx = store.begin().await?;
    let Some(case) = tx.lock_case(case_id).await? else {
        return Ok(PromiseOutcome::UnknownCase);
    };
    // A paused case may hold an earlier promise, which this one replaces.
    let paused = match case.state {
        CaseState::Paused => CaseState::Paused,
        state => match state.apply(CaseEvent::Paused) {
            Ok(paused) if state.accepts_reminders() => paused,
            _ => return Ok(PromiseOutcome::NotOpen(state)),
        },
    };
    tx.end_promise(case_id, PromiseState::Replaced, now).await?;
    tx.end_instalments(case_id, PromiseState::Replaced, now).await?;
    let resume_at = rules.resume_at(promised_on);
    tx.insert_promise(case_id, promised_on, resume_at, now).await?;
    tx.cancel_pending_reminders(case_id, now).await?;
    tx.save_case(&CaseUpdate {
        case_id,
        state: paused,
        stages_planned: case.stages_planned,
        next_action_at: Some(resume_at),
        updated_at: now,
    })
    .await?;
    let made = case.subject().event(now, EventBody::PromiseMade { promised_on, resume_at });
    tx.append_events(&[NewEvent::from(&made)]).await?;
    tx.commit().await?;
    Ok(PromiseOutcome::Made { resume_at })
}
