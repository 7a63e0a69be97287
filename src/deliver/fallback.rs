//! A reminder that cannot go out on its channel, and the stage handed back to the planner to
//! choose another one: the address turned out dead (failed; the address is remembered as
//! unreachable for the debtor, so the planner leaves the channel out), or the debtor opted out
//! between planning and sending (skipped; the planner reads the consent ledger).

use crate::runtime::{EventBody, NewEvent};
use crate::schedule::replan_stage;
use crate::store::tx::{FinishedReminder, Unsent};
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
    let Some(case) = replan_stage(tx, &reminder, now).await? else { return Ok(()) };
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
    let Some(case) = replan_stage(tx, &reminder, now).await? else { return Ok(()) };
    let body = EventBody::ChannelUnreachable {
        reminder_id: reminder.id,
        channel: reminder.channel,
        stage: reminder.stage + 1,
    };
    tx.append_events(&[NewEvent::from(&case.subject().event(now, body))]).await
}
