//! A payment on its way holds the dunning: when a PSP reports a payment as pending (SEPA Direct
//! Debit), no reminder is planned or sent for the case until the PSP reports again or the hold's
//! days run out ([`PendingHold`]). A case that takes reminders pauses until then, its pending
//! reminders withdrawn so that their stage is planned anew; a case paused already (a promise, an
//! instalment plan, an operator) stays paused, and the hold is looked at when its time comes.
//! The scheduler ends holds whose time ran out (`crate::schedule::resume_broken_promises`).

use crate::domain::{CaseEvent, CaseState, HoldState, PaymentSource, PendingHold};
use crate::schedule::pause::withdraw_pending;
use crate::store::tx::{CaseUpdate, LockedCase};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Why a reminder withdrawn for a hold ended unsent, as its record says.
const HELD: &str = "a payment on its way holds the case";

/// Holds `case` for the pending payment (`source`, `reference`) from `now`; returns until when,
/// or `None` when the case takes no reminders anyway (disputed, escalated, closed) or that
/// payment held it before.
pub async fn hold_for_pending(
    tx: &mut dyn StoreTx,
    case: &LockedCase,
    (source, reference): (PaymentSource, &str),
    rules: PendingHold,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let held_until = rules.until(now);
    let paused = match case.state {
        CaseState::Paused => CaseState::Paused,
        state if state.accepts_reminders() => match state.apply(CaseEvent::Paused) {
            Ok(paused) => paused,
            Err(_) => return Ok(None),
        },
        _ => return Ok(None),
    };
    if !tx.insert_hold(case.case_id, source, reference, held_until, now).await? {
        return Ok(None);
    }
    let (stages_planned, next_action_at) = if case.state == CaseState::Paused {
        // Woken no later than the hold ends; an operator's pause (no time) stays as it is.
        (case.stages_planned, case.next_action_at.map(|at| at.min(held_until)))
    } else {
        let (stages_planned, _) = withdraw_pending(tx, case.case_id, case.stages_planned, HELD, now).await?;
        (stages_planned, Some(held_until))
    };
    tx.save_case(&CaseUpdate {
        case_id: case.case_id,
        state: paused,
        stages_planned,
        next_action_at,
        updated_at: now,
    })
    .await?;
    Ok(Some(held_until))
}

/// The PSP reported on the pending payment (`source`, `reference`): its hold on `case` ends as
/// `state`, and a case paused with a time to resume is looked at by the scheduler at once: with
/// nothing else holding it, dunning resumes with the next stage. Returns whether a hold was open.
pub async fn release_hold(
    tx: &mut dyn StoreTx,
    case: &LockedCase,
    (source, reference): (PaymentSource, &str),
    state: HoldState,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if !tx.end_hold(case.case_id, source, reference, state, now).await? {
        return Ok(false);
    }
    if case.state == CaseState::Paused && case.next_action_at.is_some() {
        tx.save_case(&CaseUpdate {
            case_id: case.case_id,
            state: case.state,
            stages_planned: case.stages_planned,
            next_action_at: Some(now),
            updated_at: now,
        })
        .await?;
    }
    Ok(true)
}
