//! An operator's "not before": the case's next reminder is moved to a chosen time. Reminders
//! still to go out are withdrawn the way a pause withdraws them (their stage planned anew, so
//! nothing is swallowed), and the case becomes due at that time: the planner then plans the
//! stage as it plans every stage, with the policy's channel and the debtor's allowed hours, so
//! the reminder goes out at the first allowed moment on or after the chosen time.

use super::pause::withdraw_pending;
use crate::domain::{CaseState, TenantId};
use crate::store::tx::CaseUpdate;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Why a withdrawn reminder ended unsent, as its record says.
const RESCHEDULED: &str = "the next reminder was rescheduled by an operator";

/// What rescheduling a case did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RescheduleOutcome {
    /// Done: when the case was due before, and how many pending reminders were withdrawn.
    Done { due_before: Option<DateTime<Utc>>, reminders_withdrawn: usize },
    /// The case takes no reminders now (paused, disputed, escalated, closed); nothing changed.
    NotAllowed(CaseState),
    /// The tenant has no such case.
    UnknownCase,
}

/// Moves `tenant`'s case `case_id`'s next reminder to `at` (which the caller checked is after
/// `now`).
pub async fn reschedule_case(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    case_id: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<RescheduleOutcome, StoreError> {
    let Some(case) = tx.lock_tenant_case(tenant, case_id).await? else {
        return Ok(RescheduleOutcome::UnknownCase);
    };
    if !case.state.accepts_reminders() {
        return Ok(RescheduleOutcome::NotAllowed(case.state));
    }
    let (stages_planned, withdrawn) =
        withdraw_pending(tx, case_id, case.stages_planned, RESCHEDULED, now).await?;
    tx.save_case(&CaseUpdate {
        case_id,
        state: case.state,
        stages_planned,
        next_action_at: Some(at),
        updated_at: now,
    })
    .await?;
    Ok(RescheduleOutcome::Done { due_before: case.next_action_at, reminders_withdrawn: withdrawn })
}
