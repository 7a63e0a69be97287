//! The operator's "switch plan": a case follows another dunning plan from its next stage on.
//! The stages already planned stay as they were (their count is the index of the next stage in
//! the new plan); reminders still to go out are withdrawn the way a pause withdraws them, and a
//! case being reminded becomes due at once, so the planner plans its next stage under the new
//! plan with the usual channels, hours and waiting period. A paused or disputed case keeps its
//! hold and follows the new plan when it resumes.

use super::pause::withdraw_pending;
use crate::domain::{CaseState, PlanName, TenantId};
use crate::store::tx::CaseUpdate;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Why a withdrawn reminder ended unsent, as its record says.
const SWITCHED: &str = "the case's plan was switched by an operator";

/// What switching a case's plan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchOutcome {
    /// Switched: the plan before, and how many pending reminders were withdrawn.
    Done { plan_before: PlanName, reminders_withdrawn: usize },
    /// The case follows that plan already; nothing changed.
    Unchanged,
    /// The case is closed or escalated: no stage of any plan follows; nothing changed.
    NotAllowed(CaseState),
    /// The tenant has no such case.
    UnknownCase,
}

/// Makes `plan` (which the caller checked is in the plan book) the plan of `tenant`'s case
/// `case_id`, inside the caller's transaction.
pub async fn switch_plan(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    case_id: i64,
    plan: &PlanName,
    now: DateTime<Utc>,
) -> Result<SwitchOutcome, StoreError> {
    let Some(locked) = tx.lock_tenant_case(tenant, case_id).await? else {
        return Ok(SwitchOutcome::UnknownCase);
    };
    if locked.state.is_final() || locked.state == CaseState::Escalated {
        return Ok(SwitchOutcome::NotAllowed(locked.state));
    }
    let Some(case) = tx.planning_case(tenant, case_id).await? else {
        return Ok(SwitchOutcome::UnknownCase);
    };
    if &case.plan == plan {
        return Ok(SwitchOutcome::Unchanged);
    }
    tx.set_invoice_plan(locked.invoice_id, plan).await?;
    let mut withdrawn = 0;
    if locked.state.accepts_reminders() {
        let (stages_planned, count) =
            withdraw_pending(tx, case_id, locked.stages_planned, SWITCHED, now).await?;
        withdrawn = count;
        tx.save_case(&CaseUpdate {
            case_id,
            state: locked.state,
            stages_planned,
            next_action_at: Some(now),
            updated_at: now,
        })
        .await?;
    }
    Ok(SwitchOutcome::Done { plan_before: case.plan, reminders_withdrawn: withdrawn })
}
