//! A reminder that cannot go out on its channel, and the stage handed back to the planner to
//! choose another one: the address turned out dead (failed; the address is remembered as
//! unreachable for the debtor, so the planner leaves the channel out), or the debtor opted out
//! between planning and sending (skipped; the planner reads the consent ledger).

use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::{CaseUpdate, FinishedReminder, LockedCase, Unsent};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// The address `address` is dead: the pending reminder fails with `error`, the address is
/// remembered as unreachable, the stage is planned again, and `channel.unreachable` says so.
pub async fn unreachable(
    tx: &mut dyn StoreTx,
    reminder_id: i64,
    error: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(reminder) = tx.finish_unsent(reminder_id, Unsent::Failed, error, now).await? else {
        return Ok(());
    };
    dead_address(tx, reminder, address, now).await
}

/// A sent reminder's address turned out dead later (a failed receipt that says so, a returned
/// letter). The debtor's address on the channel as it is now is the one remembered: providers'
/// receipts name the message, not reliably the address.
pub async fn dead_after_sending(
    tx: &mut dyn StoreTx,
    reminder: FinishedReminder,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(address) = tx.debtor_address(reminder.case_id, reminder.channel).await? else {
        return Ok(());
    };
    dead_address(tx, reminder, &address, at).await
}

/// The debtor opted out of the reminder's channel after planning: skipped with `reason`, the
/// stage planned again, and `channel.opted_out` says so.
pub async fn opted_out(
    tx: &mut dyn StoreTx,
    reminder_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(reminder) = tx.finish_unsent(reminder_id, Unsent::Skipped, reason, now).await? else {
        return Ok(());
    };
    let Some(case) = replan(tx, &reminder, now).await? else { return Ok(()) };
    let body = EventBody::ChannelOptedOut {
        reminder_id: reminder.id,
        channel: reminder.channel,
        stage: reminder.stage + 1,
    };
    tx.append_events(&[NewEvent::from(&case.subject().event(now, body))]).await
}

async fn dead_address(
    tx: &mut dyn StoreTx,
    reminder: FinishedReminder,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.mark_unreachable(reminder.case_id, reminder.channel, address).await?;
    let Some(case) = replan(tx, &reminder, now).await? else { return Ok(()) };
    let body = EventBody::ChannelUnreachable {
        reminder_id: reminder.id,
        channel: reminder.channel,
        stage: reminder.stage + 1,
    };
    tx.append_events(&[NewEvent::from(&case.subject().event(now, body))]).await
}

/// Makes the case due now for the reminder's stage again, if the case is still open and that
/// stage is its newest: a later stage already planned keeps its course, a closed case stays
/// closed. Returns the case (locked), if it exists.
async fn replan(
    tx: &mut dyn StoreTx,
    reminder: &FinishedReminder,
    now: DateTime<Utc>,
) -> Result<Option<LockedCase>, StoreError> {
    let Some(case) = tx.lock_case(reminder.case_id).await? else { return Ok(None) };
    if case.state.accepts_reminders() && case.stages_planned == reminder.stage + 1 {
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
