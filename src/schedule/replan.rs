//! Planning a stage again: after a dead address or an opt-out (the delivery's fallback) or a
//! reminder too late to send after downtime (catch-up), the case becomes due for that stage now,
//! and the planner decides it anew with what is known then.

use crate::store::tx::{CaseUpdate, FinishedReminder, LockedCase};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Makes the case due now for the reminder's stage again, if the case is still open and that
/// stage is its newest: a later stage already planned keeps its course, a closed case stays
/// closed, and an instalment reminder hands no stage back (it is none). Returns the case
/// (locked), if it exists.
pub async fn replan_stage(
    tx: &mut dyn StoreTx,
    reminder: &FinishedReminder,
    now: DateTime<Utc>,
) -> Result<Option<LockedCase>, StoreError> {
    let Some(case) = tx.lock_case(reminder.case_id).await? else { return Ok(None) };
    if reminder.instalment == 0 && case.state.accepts_reminders() && case.stages_planned == reminder.stage + 1
    {
        let update = CaseUpdate {
            case_id: case.case_id,
            state: case.state,
            stages_planned: reminder.stage,
            next_action_at: Some(now),
            updated_at: now,
        };
        tx.save_case(&update).await?;
    }
    Ok(Some(case))
}
