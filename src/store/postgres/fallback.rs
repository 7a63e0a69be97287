//! A reminder that cannot go out on its channel, and the stage handed back to the planner to
//! choose another one: the address turned out dead (failed, the address remembered as
//! unreachable for the debtor), or the debtor opted out between planning and sending (skipped).

use super::intake::event;
use crate::domain::ChannelKind;
use crate::store::reports::address_expression;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};

type Tx = Transaction<'static, Postgres>;

/// The address is dead: the reminder failed, `address` is remembered as unreachable for the
/// debtor, and the stage is planned again.
pub(super) async fn fall_back(
    tx: &mut Tx,
    reminder_id: i64,
    error: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let failed: Option<(i64, i32, String)> = sqlx::query_as(
        "UPDATE reminders SET status = 'failed', attempts = attempts + 1, last_error = $1, \
         lease_until = NULL, updated_at = $2 WHERE id = $3 AND status IN ('scheduled', 'queued') \
         RETURNING case_id, stage, channel",
    )
    .bind(error)
    .bind(now)
    .bind(reminder_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((case_id, stage, channel)) = failed else { return Ok(()) };
    dead_address(tx, case_id, stage, &channel, address, reminder_id, now).await
}

/// Remembers `address` as unreachable on `channel` for the case's debtor, hands `stage` back to
/// the planner and writes the `channel.unreachable` event.
pub(super) async fn dead_address(
    tx: &mut Tx,
    case_id: i64,
    stage: i32,
    channel: &str,
    address: &str,
    reminder_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE debtors \
         SET unreachable = (COALESCE(unreachable::jsonb, '{}'::jsonb) || jsonb_build_object($1::text, $2::text))::text \
         WHERE (tenant, id) = (SELECT i.tenant, i.debtor_id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                               WHERE c.id = $3)",
    )
    .bind(channel)
    .bind(address)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    replan(tx, case_id, stage, now).await?;
    let data = serde_json::json!({"reminder_id": reminder_id, "channel": channel, "stage": stage + 1});
    event(tx, now, "channel.unreachable", case_id, data).await
}

/// A sent reminder's address turned out dead later: a failed delivery receipt whose code says
/// so. The debtor's address on the channel as it is now is the one remembered (providers'
/// receipts name the message, not reliably the address; a corrected address from a newer
/// invoice in between would be marked too, and used again with the next correction). The stage
/// is planned again only while the case is open and the stage is its newest (see [`replan`]).
pub(super) async fn dead_after_sending(
    tx: &mut Tx,
    reminder_id: i64,
    case_id: i64,
    stage: i32,
    channel: ChannelKind,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // A returned letter names the postal address dead, as a bounce names the email address.
    let address = address_expression(channel);
    let sql = format!(
        "SELECT {address} FROM cases c JOIN invoices i ON i.id = c.invoice_id \
         JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE c.id = $1"
    );
    let address: Option<Option<String>> =
        sqlx::query_scalar(&sql).bind(case_id).fetch_optional(&mut **tx).await?;
    let Some(Some(address)) = address else { return Ok(()) };
    dead_address(tx, case_id, stage, channel.as_str(), &address, reminder_id, now).await
}

/// The debtor opted out of the channel after planning: the reminder is skipped with `reason`
/// and the stage planned again; the planner reads the ledger and leaves the channel out.
pub(super) async fn opted_out(
    tx: &mut Tx,
    reminder_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let skipped: Option<(i64, i32, String)> = sqlx::query_as(
        "UPDATE reminders SET status = 'skipped', last_error = $1, lease_until = NULL, updated_at = $2 \
         WHERE id = $3 AND status IN ('scheduled', 'queued') RETURNING case_id, stage, channel",
    )
    .bind(reason)
    .bind(now)
    .bind(reminder_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((case_id, stage, channel)) = skipped else { return Ok(()) };
    replan(tx, case_id, stage, now).await?;
    let data = serde_json::json!({"reminder_id": reminder_id, "channel": channel, "stage": stage + 1});
    event(tx, now, "channel.opted_out", case_id, data).await
}

/// Makes the case due now for `stage` again, if the case is still open and that stage is its
/// newest: a later stage already planned keeps its course, a closed case stays closed.
async fn replan(tx: &mut Tx, case_id: i64, stage: i32, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE cases SET stages_planned = $1, next_action_at = $2, updated_at = $2 \
         WHERE id = $3 AND stages_planned = $1 + 1 AND state IN ('open', 'reminding')",
    )
    .bind(stage)
    .bind(now)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
