//! The operator's "resend on a channel": a new reminder of the case's current stage on a chosen
//! channel, written into the outbox like any planned reminder and dispatched, rendered and sent
//! by the usual path (the channel worker re-checks the case before sending). Whether the channel
//! may be used is the planner's rule ([`Planner::resend`]): the plan's channels, reachability,
//! consent and Messenger's window; the hour is the policy's among the allowed ones. The case's
//! own course is left alone: its next stage waits its plan's gap after the latest send, which may
//! be this one.

use super::planner::{Planner, ResendRefused};
use crate::domain::{CaseState, ChannelKind, TenantId};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// What resending did.
#[derive(Debug, Clone, PartialEq)]
pub enum ResendOutcome {
    /// Written: the stage (1-based) and when the reminder goes out.
    Done { stage: u32, send_at: DateTime<Utc> },
    /// The planner would not offer the channel; nothing changed.
    Refused(ResendRefused),
    /// The stage has a reminder on this channel already (still to go out, or sent): its status.
    AlreadyThere { stage: u32, status: String },
    /// The case takes no reminders (paused, disputed, escalated, closed); nothing changed.
    NotAllowed(CaseState),
    /// The tenant has no such case.
    UnknownCase,
}

/// Resends `tenant`'s case `case_id`'s current stage on `channel`, inside the caller's
/// transaction.
pub async fn resend_reminder(
    tx: &mut dyn StoreTx,
    planner: &Planner,
    tenant: &TenantId,
    case_id: i64,
    channel: ChannelKind,
    now: DateTime<Utc>,
) -> Result<ResendOutcome, StoreError> {
    let Some(locked) = tx.lock_tenant_case(tenant, case_id).await? else {
        return Ok(ResendOutcome::UnknownCase);
    };
    if !locked.state.accepts_reminders() {
        return Ok(ResendOutcome::NotAllowed(locked.state));
    }
    let Some(case) = tx.planning_case(tenant, case_id).await? else {
        return Ok(ResendOutcome::UnknownCase);
    };
    let reminder = match planner.resend(&case, channel, now) {
        Ok(reminder) => reminder,
        Err(refused) => return Ok(ResendOutcome::Refused(refused)),
    };
    // One reminder per stage and channel (the outbox's key): only one cancelled before it went
    // out is taken up again.
    if let Some((status, sent)) = tx.stage_reminder(case_id, reminder.stage, channel).await? {
        if status != "cancelled" || sent {
            return Ok(ResendOutcome::AlreadyThere { stage: reminder.stage + 1, status });
        }
    }
    let (stage, send_at) = (reminder.stage + 1, reminder.send_at);
    tx.insert_reminders(&[(case_id, reminder)], now).await?;
    Ok(ResendOutcome::Done { stage, send_at })
}
