//! The operator's "escalate now": a case still being reminded is handed over to collection at
//! once, as if its plan had run out. The state move (`PlanExhausted`), the claim statement and the
//! `case.escalated` event are the plan's own escalation's ([`super::plan`]); what differs is only
//! that reminders still to go out are cancelled first (the plan's escalation has none left).

use super::plan::{escalation, LawOf};
use crate::domain::{CaseEvent, CaseState, TenantId};
use crate::store::tx::CaseUpdate;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// What escalating a case did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalateOutcome {
    /// Escalated: the state before, and how many pending reminders were cancelled.
    Done { before: CaseState, reminders_cancelled: u64 },
    /// The case is not being reminded (paused, disputed, escalated or closed); nothing changed.
    NotAllowed(CaseState),
    /// The tenant has no such case.
    UnknownCase,
}

/// Escalates `tenant`'s case `case_id` now, inside the caller's transaction (the event is
/// appended to it), its claim statement computed under `law_of`'s law.
pub async fn escalate_case(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    case_id: i64,
    now: DateTime<Utc>,
    law_of: LawOf<'_>,
) -> Result<EscalateOutcome, StoreError> {
    let Some(locked) = tx.lock_tenant_case(tenant, case_id).await? else {
        return Ok(EscalateOutcome::UnknownCase);
    };
    let Ok(escalated) = locked.state.apply(CaseEvent::PlanExhausted) else {
        return Ok(EscalateOutcome::NotAllowed(locked.state));
    };
    let Some(case) = tx.planning_case(tenant, case_id).await? else {
        return Ok(EscalateOutcome::UnknownCase);
    };
    let cancelled = tx.cancel_pending_reminders(case_id, now).await?;
    tx.save_case(&CaseUpdate {
        case_id,
        state: escalated,
        stages_planned: locked.stages_planned,
        next_action_at: None,
        updated_at: now,
    })
    .await?;
    let event = escalation(tx, &case, now, law_of).await?;
    tx.append_events(&[event]).await?;
    Ok(EscalateOutcome::Done { before: locked.state, reminders_cancelled: cancelled })
}
