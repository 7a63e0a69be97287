//! The reminders outbox on SQLite: planning due cases, leasing due reminders for dispatch, and
//! recording what channel workers did.

use super::intake::event;
use super::reports::CONSENTS;
use crate::domain::CaseEvent;
use crate::store::records::*;
use crate::store::rows::{DueCaseRow, DEBTOR_COLUMNS, MESSENGER_INBOUND};
use crate::store::{Decide, StoreError};
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};
use std::time::Duration;

type Tx = Transaction<'static, Sqlite>;

pub(super) async fn plan_due_cases(
    tx: &mut Tx,
    now: DateTime<Utc>,
    limit: u32,
    decide: Decide<'_>,
) -> Result<usize, StoreError> {
    let sql = format!(
        "SELECT c.id AS case_id, c.state, c.stages_planned, i.tenant, i.number, i.due_on, i.currency, \
         i.amount_due, i.amount_paid, i.plan, {DEBTOR_COLUMNS}, {CONSENTS}, {MESSENGER_INBOUND} \
         FROM cases c JOIN invoices i ON i.id = c.invoice_id \
         JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
         WHERE c.state IN ('open', 'reminding') AND c.next_action_at <= $1 \
         ORDER BY c.next_action_at LIMIT $2"
    );
    let rows: Vec<DueCaseRow> =
        sqlx::query_as(&sql).bind(now).bind(limit as i64).fetch_all(&mut **tx).await?;
    let count = rows.len();
    for row in rows {
        let case = row.into_due_case()?;
        match decide(&case) {
            CaseDecision::Remind(reminder) => insert_reminder(tx, &case, &reminder, now).await?,
            CaseDecision::Escalate => {
                let state = case.state.apply(CaseEvent::PlanExhausted).unwrap_or(case.state);
                sqlx::query(
                    "UPDATE cases SET state = $1, next_action_at = NULL, updated_at = $2 WHERE id = $3",
                )
                .bind(state.as_str())
                .bind(now)
                .bind(case.case_id)
                .execute(&mut **tx)
                .await?;
                event(tx, now, "case.escalated", case.case_id, serde_json::json!({})).await?;
            }
            CaseDecision::Wait { until } => {
                sqlx::query("UPDATE cases SET next_action_at = $1, updated_at = $2 WHERE id = $3")
                    .bind(until)
                    .bind(now)
                    .bind(case.case_id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Ok(count)
}

async fn insert_reminder(
    tx: &mut Tx,
    case: &DueCase,
    r: &NewReminder,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let state = case.state.apply(CaseEvent::ReminderPlanned).unwrap_or(case.state);
    sqlx::query(
        "INSERT INTO reminders (case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context, \
         propensity, policy_version, status, attempts, idempotency_key, created_at, updated_at, allowed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'scheduled', 0, $12, $13, $13, $14) \
         ON CONFLICT (case_id, stage, channel) DO NOTHING",
    )
    .bind(case.case_id)
    .bind(r.stage as i64)
    .bind(&r.stage_name)
    .bind(r.tone.as_str())
    .bind(r.fee.to_string())
    .bind(r.channel.as_str())
    .bind(r.send_at)
    .bind(r.local_hour as i64)
    .bind(r.context.to_string())
    .bind(r.propensity)
    .bind(&r.policy_version)
    .bind(idempotency_key(case.case_id, r.stage))
    .bind(now)
    .bind(r.allowed.to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE cases SET state = $1, stages_planned = $2, next_action_at = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(state.as_str())
    .bind(r.stage as i64 + 1)
    .bind(r.next_action_at)
    .bind(now)
    .bind(case.case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn claim_due_reminders(
    tx: &mut Tx,
    now: DateTime<Utc>,
    limit: u32,
    lease: Duration,
) -> Result<Vec<ClaimedReminder>, StoreError> {
    let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "UPDATE reminders SET lease_until = $1, updated_at = $2 WHERE id IN (\
           SELECT id FROM reminders WHERE status = 'scheduled' AND send_at <= $2 \
           AND (lease_until IS NULL OR lease_until < $2) ORDER BY send_at LIMIT $3) \
         RETURNING id, channel",
    )
    .bind(lease_until)
    .bind(now)
    .bind(limit as i64)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(id, channel)| Ok(ClaimedReminder { id, channel: crate::store::rows::channel(&channel)? }))
        .collect()
}

pub(super) async fn record_deliveries(
    tx: &mut Tx,
    reports: &[DeliveryReport],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut sent = Vec::new();
    for report in reports {
        let id = report.reminder_id;
        match &report.result {
            DeliveryResult::Sent { provider_id } => {
                // Recorded as sent even if a payment cancelled it meanwhile: it did go out.
                let updated = sqlx::query(
                    "UPDATE reminders SET status = 'sent', provider_id = $1, sent_at = $2, attempts = attempts + 1, \
                     lease_until = NULL, last_error = NULL, updated_at = $2 WHERE id = $3 AND status <> 'sent'",
                )
                .bind(provider_id)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
                if updated.rows_affected() > 0 {
                    sent.push(id);
                }
            }
            DeliveryResult::Skipped { reason } => {
                sqlx::query(
                    "UPDATE reminders SET status = 'skipped', last_error = $1, lease_until = NULL, updated_at = $2 \
                     WHERE id = $3 AND status IN ('scheduled', 'queued')",
                )
                .bind(reason)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            DeliveryResult::Retry { error, retry_at } => {
                sqlx::query(
                    "UPDATE reminders SET status = 'scheduled', send_at = $1, attempts = attempts + 1, \
                     last_error = $2, lease_until = NULL, updated_at = $3 \
                     WHERE id = $4 AND status IN ('scheduled', 'queued')",
                )
                .bind(retry_at)
                .bind(error)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            DeliveryResult::Failed { error } => {
                sqlx::query(
                    "UPDATE reminders SET status = 'failed', attempts = attempts + 1, last_error = $1, \
                     lease_until = NULL, updated_at = $2 WHERE id = $3 AND status IN ('scheduled', 'queued')",
                )
                .bind(error)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
            DeliveryResult::Unreachable { error, address } => {
                super::fallback::fall_back(tx, id, error, address, now).await?;
            }
            DeliveryResult::OptedOut { reason } => {
                super::fallback::opted_out(tx, id, reason, now).await?;
            }
        }
    }
    sent_events(tx, &sent, now).await
}

/// One `reminders.sent` event per tenant and channel for the reminders in `ids`, just recorded
/// as sent (see [`crate::queue::SENT_EVENT`]).
async fn sent_events(tx: &mut Tx, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO events (at, kind, case_id, data) \
         SELECT $2, 'reminders.sent', NULL, json_object('tenant', tenant, 'channel', channel, 'sent_at', $3, \
           'reminders', json_group_array(json(item))) \
         FROM (SELECT i.tenant, r.channel, json_object('reminder_id', r.id, 'case_id', r.case_id, \
                 'invoice_number', i.number, 'stage', r.stage + 1) AS item \
               FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
               WHERE r.id IN (SELECT value FROM json_each($1)) ORDER BY i.tenant, r.channel, r.id) \
         GROUP BY tenant, channel ORDER BY tenant, channel",
    )
    .bind(serde_json::to_string(ids).expect("integers serialise"))
    .bind(now)
    .bind(crate::store::records::event_time(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
