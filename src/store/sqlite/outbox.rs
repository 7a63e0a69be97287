//! The reminders outbox on SQLite: planning due cases, leasing due reminders for dispatch, and
//! recording what channel workers did.

use crate::store::records::*;
use crate::store::rows::{CONSENT_COLUMNS, DEBTOR_COLUMNS, MESSENGER_INBOUND, PREVIOUS_SEND};
use crate::store::same_sql::revive_cancelled;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};

type Tx = Transaction<'static, Sqlite>;

/// The read of up to `$2` cases due at `$1`, with their invoice, debtor, consents and Messenger
/// window.
pub(super) fn due_cases_sql() -> String {
    format!(
        "SELECT c.id AS case_id, c.state, c.stages_planned, c.opened_at, i.tenant, i.number, i.due_on, i.currency, \
         i.amount_due, i.amount_paid, i.plan, {DEBTOR_COLUMNS}, {CONSENT_COLUMNS}, {MESSENGER_INBOUND}, {PREVIOUS_SEND} \
         FROM cases c JOIN invoices i ON i.id = c.invoice_id \
         JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
         WHERE c.state IN ('open', 'reminding') AND c.next_action_at <= $1 \
         ORDER BY c.next_action_at LIMIT $2"
    )
}

/// Inserts new reminders one by one; a (case, stage, channel, instalment) already there is left alone, or
/// revived (see [`revive_cancelled`]).
pub(super) async fn insert_reminders(
    tx: &mut Tx,
    reminders: &[(i64, NewReminder)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (case_id, r) in reminders {
        sqlx::query(concat!(
            "INSERT INTO reminders (case_id, tenant, stage, stage_name, tone, fee, channel, send_at, local_hour, \
             context, propensity, policy_version, status, attempts, idempotency_key, created_at, updated_at, allowed, \
             send_by, instalment, escalates_after_days) \
             VALUES ($1, (SELECT tenant FROM cases WHERE id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
               'scheduled', 0, $12, $13, $13, $14, $15, $16, $17) \
             ON CONFLICT (case_id, stage, channel, instalment) ",
            revive_cancelled!()
        ))
        .bind(case_id)
        .bind(r.stage as i64)
        .bind(&r.stage_name)
        .bind(r.tone.as_str())
        .bind(r.fee.to_string())
        .bind(r.channel.as_str())
        .bind(r.send_at)
        .bind(r.local_hour as i64)
        .bind(r.context.to_string())
        .bind(r.propensity)
        .bind(r.policy_version.as_str())
        .bind(idempotency_key(*case_id, r.stage, r.instalment))
        .bind(now)
        .bind(r.allowed.to_string())
        .bind(r.send_by)
        .bind(i64::from(r.instalment))
        .bind(r.escalates_after_days.map(i64::from))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Leases up to `$3` reminders due at `$2` until `$1`.
pub(super) const LEASE_DUE_REMINDERS: &str = "UPDATE reminders SET lease_until = $1, updated_at = $2 \
     WHERE id IN (SELECT id FROM reminders WHERE status = 'scheduled' AND send_at <= $2 \
       AND (lease_until IS NULL OR lease_until < $2) AND (send_by IS NULL OR send_by > $2) \
       ORDER BY send_at LIMIT $3) \
     RETURNING id, channel";

/// Marks leased reminders queued (those still scheduled and leased: a channel worker may have
/// recorded one already, and one never claimed was never published).
pub(super) async fn mark_queued(tx: &mut Tx, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE reminders SET status = 'queued', lease_until = NULL, queued_at = $2, updated_at = $2 \
         WHERE id IN (SELECT value FROM json_each($1)) AND status = 'scheduled' AND lease_until IS NOT NULL",
    )
    .bind(super::tx::id_list(ids))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
