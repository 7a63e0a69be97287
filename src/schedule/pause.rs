//! An operator's hand on the schedule: pause a case (no reminder is planned or sent until it is
//! resumed), resume it, and the Mahnstopp that pauses every case of one debtor.
//!
//! A pause uses the state a promise to pay uses ([`CaseState::Paused`]), but with no time to
//! resume (`next_action_at` empty), so neither the planner (which claims open and reminding
//! cases) nor the promise check (which claims paused cases whose time came) ever picks it up.
//! Reminders still to go out are cancelled the way catch-up cancels a late one, and their stage
//! is planned anew on resume: a pause never swallows a stage. Resuming ends an open promise or
//! instalment plan (the operator's word replaces the debtor's) and makes the case due at once.
//!
//! The Mahnstopp is a stored fact (`crate::store::mahnstopps`), not a reading of the audit log:
//! while one is in force the planner holds every case of the debtor it finds due
//! ([`hold_for_mahnstopp`]: a new invoice, a broken promise, a case an operator resumed), paused
//! the same way, so that lifting it (`super::lift_stop`) resumes those too.
//!
//! Each step runs inside the caller's transaction, so the audit entry commits with it.

use crate::domain::{CaseEvent, CaseState, DebtorId, PromiseState, TenantId};
use crate::store::mahnstopps::Mahnstopp;
use crate::store::tx::{CaseUpdate, Unsent};
use crate::store::{DueCase, StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Why a paused reminder ended unsent, as its record says.
const PAUSED: &str = "the case was paused by an operator";

/// What pausing or resuming one case did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseOutcome {
    /// Done: the state before and after, and how many pending reminders were cancelled.
    Done { before: CaseState, after: CaseState, reminders_cancelled: usize },
    /// The case is in a state that does not allow it (pausing a paused, disputed, escalated or
    /// closed case; resuming one that is not paused); nothing changed.
    NotAllowed(CaseState),
    /// The tenant has no such case.
    UnknownCase,
}

/// Pauses `tenant`'s case `case_id`: its pending reminders are cancelled (their stage to be
/// planned again on resume) and it waits, with no time to resume, until [`resume_case`].
pub async fn pause_case(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<PauseOutcome, StoreError> {
    let Some(case) = tx.lock_tenant_case(tenant, case_id).await? else {
        return Ok(PauseOutcome::UnknownCase);
    };
    if !case.state.accepts_reminders() {
        return Ok(PauseOutcome::NotAllowed(case.state));
    }
    let Ok(paused) = case.state.apply(CaseEvent::Paused) else {
        return Ok(PauseOutcome::NotAllowed(case.state));
    };
    let (stages_planned, cancelled) = withdraw_pending(tx, case_id, case.stages_planned, PAUSED, now).await?;
    tx.save_case(&CaseUpdate {
        case_id,
        state: paused,
        stages_planned,
        next_action_at: None,
        updated_at: now,
    })
    .await?;
    Ok(PauseOutcome::Done { before: case.state, after: paused, reminders_cancelled: cancelled })
}

/// Ends the case's pending reminders unsent (superseded, `why` their error), so that their
/// stages are planned anew when dunning resumes: a hold never swallows a stage. Returns the
/// case's `stages_planned` after it and how many reminders it withdrew.
pub async fn withdraw_pending(
    tx: &mut dyn StoreTx,
    case_id: i64,
    stages_planned: u32,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(u32, usize), StoreError> {
    let (mut stages_planned, mut withdrawn) = (stages_planned, 0);
    for reminder_id in tx.pending_reminders(case_id).await? {
        if let Some(finished) = tx.finish_unsent(reminder_id, Unsent::Superseded, why, now).await? {
            // An instalment reminder is no stage: nothing to plan anew.
            if finished.instalment == 0 {
                stages_planned = stages_planned.min(finished.stage);
            }
            withdrawn += 1;
        }
    }
    Ok((stages_planned, withdrawn))
}

/// Resumes `tenant`'s paused case `case_id`: an open promise or instalment plan ends (replaced),
/// and the case is due at once, so the next planning step plans its next stage. A Mahnstopp
/// holding the case lets go of it (its lift leaves the case as the operator left it; while the
/// Mahnstopp is in force the planner holds the case again when it comes due).
pub async fn resume_case(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<PauseOutcome, StoreError> {
    let Some(case) = tx.lock_tenant_case(tenant, case_id).await? else {
        return Ok(PauseOutcome::UnknownCase);
    };
    if case.state != CaseState::Paused {
        return Ok(PauseOutcome::NotAllowed(case.state));
    }
    let Ok(resumed) = case.state.apply(CaseEvent::Resumed) else {
        return Ok(PauseOutcome::NotAllowed(case.state));
    };
    tx.end_promise(case_id, PromiseState::Replaced, now).await?;
    tx.release_held_case(case_id, now).await?;
    if tx.end_instalments(case_id, PromiseState::Replaced, now).await? {
        tx.cancel_instalment_reminders(case_id, None, now).await?;
    }
    tx.save_case(&CaseUpdate {
        case_id,
        state: resumed,
        stages_planned: case.stages_planned,
        next_action_at: Some(now),
        updated_at: now,
    })
    .await?;
    Ok(PauseOutcome::Done { before: case.state, after: resumed, reminders_cancelled: 0 })
}

/// Mahnstopp: pauses every case of `tenant`'s debtor that still takes reminders and holds it
/// for the Mahnstopp, which is in force from now (or since it was made, when one is in force
/// already) until lifted; returns each paused case with its state before, or `None` when the
/// tenant has no such debtor. Cases that are closed, disputed, escalated or paused already are
/// left as they are.
pub async fn stop_debtor(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<Option<Vec<(i64, CaseState)>>, StoreError> {
    // The cases are locked before the Mahnstopp's row, in the planner's order (it claims cases,
    // then reads the row), so that the two never wait for each other in a circle.
    let Some(paused) = pause_debtor_cases(tx, tenant, debtor, now).await? else { return Ok(None) };
    let ids: Vec<i64> = paused.iter().map(|(case_id, _)| *case_id).collect();
    tx.hold_cases(tenant, debtor, &ids).await?;
    let stopped_at = match tx.lock_mahnstopp(tenant, debtor).await? {
        Some(stop) if stop.in_force() => stop.stopped_at,
        _ => now,
    };
    tx.save_mahnstopp(tenant, debtor, &Mahnstopp { stopped_at, lifted_at: None }).await?;
    Ok(Some(paused))
}

/// Pauses every case of `tenant`'s debtor that still takes reminders (the Mahnstopp's, and the
/// erasure's, which makes no Mahnstopp); returns each paused case with its state before, or
/// `None` when the tenant has no such debtor.
pub async fn pause_debtor_cases(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<Option<Vec<(i64, CaseState)>>, StoreError> {
    if tx.tenant_debtor(tenant, debtor).await?.is_none() {
        return Ok(None);
    }
    let mut paused = Vec::new();
    for case_id in tx.debtor_case_ids(tenant, debtor).await? {
        if let PauseOutcome::Done { before, .. } = pause_case(tx, tenant, case_id, now).await? {
            paused.push((case_id, before));
        }
    }
    Ok(Some(paused))
}

/// The planner's step for a due case whose debtor has a Mahnstopp in force: no reminder; the
/// case is paused as the Mahnstopp paused the debtor's other cases (pending reminders withdrawn,
/// no time to resume) and held for it, so that lifting the Mahnstopp resumes it. Returns the
/// case's update, for the planner to save with the others.
pub async fn hold_for_mahnstopp(
    tx: &mut dyn StoreTx,
    case: &DueCase,
    now: DateTime<Utc>,
) -> Result<CaseUpdate, StoreError> {
    let (stages_planned, _) = withdraw_pending(tx, case.case_id, case.stages_planned, PAUSED, now).await?;
    tx.hold_cases(&case.tenant, &case.debtor.id, &[case.case_id]).await?;
    Ok(CaseUpdate {
        case_id: case.case_id,
        state: case.state.apply(CaseEvent::Paused).unwrap_or(CaseState::Paused),
        stages_planned,
        next_action_at: None,
        updated_at: now,
    })
}
