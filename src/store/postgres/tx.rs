//! The store's narrow steps on PostgreSQL (see [`crate::store::tx`]): rows are locked with
//! `FOR UPDATE` (in id order where a step takes several), and lists go in as arrays.

use crate::domain::{ChannelKind, InvoiceNumber, TenantId};
use crate::runtime::{DecisionLine, NewEvent, Subject};
use crate::store::reports::address_expression;
use crate::store::tx::*;
use crate::store::tx_rows::{
    finished, unsent_attempts, unsent_status, DecisionRow, LockedCaseRow, SentRowRaw, RETRY_LATER,
};
use crate::store::{DueCase, NewReminder, ProviderReport, ReportOutcome, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Postgres, Transaction};

/// A write transaction on PostgreSQL.
pub struct PgTx(pub(super) Transaction<'static, Postgres>);

/// A case with its invoice; the caller appends the condition and the lock.
const LOCKED_CASE: &str =
    "SELECT c.id AS case_id, i.id AS invoice_id, i.tenant, i.number, i.debtor_id, c.state, \
     c.stages_planned, c.next_action_at, i.currency, i.amount_due::text AS amount_due, \
     i.amount_paid::text AS amount_paid FROM invoices i JOIN cases c ON c.invoice_id = i.id";

#[async_trait]
impl StoreTx for PgTx {
    async fn claim_due_cases(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueCase>, StoreError> {
        super::outbox::claim_due_cases(&mut self.0, now, limit).await
    }

    async fn insert_reminders(
        &mut self,
        reminders: &[(i64, NewReminder)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        super::outbox::insert_reminders(&mut self.0, reminders, now).await
    }

    async fn save_cases(&mut self, updates: &[CaseUpdate]) -> Result<(), StoreError> {
        super::outbox::save_cases(&mut self.0, updates).await
    }

    async fn insert_overdue(&mut self, run: &[Arrival<'_>]) -> Result<Vec<bool>, StoreError> {
        super::intake::insert_invoices(&mut self.0, run).await
    }

    async fn lock_reminders(&mut self, ids: &[i64]) -> Result<(), StoreError> {
        sqlx::query("SELECT id FROM reminders WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(ids)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn retry_later(
        &mut self,
        reminder_id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(RETRY_LATER)
            .bind(retry_at)
            .bind(error)
            .bind(now)
            .bind(reminder_id)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn mark_sent(
        &mut self,
        sent: &[(i64, &str)],
        now: DateTime<Utc>,
    ) -> Result<Vec<SentRow>, StoreError> {
        if sent.is_empty() {
            return Ok(Vec::new());
        }
        // Recorded as sent even if a payment cancelled it meanwhile: it did go out. A replayed
        // report finds the rows sent already and returns nothing for them. Each sent reminder's
        // invoice is looked up by key (see [`super`]).
        let rows: Vec<SentRowRaw> = sqlx::query_as(
            "WITH sent AS ( \
               UPDATE reminders SET status = 'sent', provider_id = u.provider_id, sent_at = $3, \
                 attempts = attempts + 1, lease_until = NULL, last_error = NULL, updated_at = $3 \
               FROM UNNEST($1::int8[], $2::text[]) AS u(id, provider_id) \
               WHERE reminders.id = u.id AND reminders.status <> 'sent' \
               RETURNING reminders.id, reminders.case_id, reminders.stage, reminders.channel) \
             SELECT sent.id, sent.case_id, sent.stage, sent.channel, j.tenant, j.number, j.debtor_id \
             FROM sent CROSS JOIN LATERAL (SELECT i.tenant, i.number, i.debtor_id FROM cases c \
               JOIN invoices i ON i.id = c.invoice_id WHERE c.id = sent.case_id OFFSET 0) j ORDER BY sent.id",
        )
        .bind(sent.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(sent.iter().map(|(_, provider_id)| *provider_id).collect::<Vec<_>>())
        .bind(now)
        .fetch_all(&mut *self.0)
        .await?;
        rows.into_iter().map(SentRowRaw::into_row).collect()
    }

    async fn record_provider_report(
        &mut self,
        report: &ProviderReport,
        now: DateTime<Utc>,
    ) -> Result<(ReportOutcome, Vec<(FinishedReminder, DateTime<Utc>)>), StoreError> {
        super::reports::record(&mut self.0, report, now).await
    }

    async fn lock_case_by_invoice(
        &mut self,
        tenant: &TenantId,
        number: &InvoiceNumber,
    ) -> Result<Option<LockedCase>, StoreError> {
        let sql = format!("{LOCKED_CASE} WHERE i.tenant = $1 AND i.number = $2 FOR UPDATE OF i, c");
        let row: Option<LockedCaseRow> = sqlx::query_as(&sql)
            .bind(tenant.as_str())
            .bind(number.as_str())
            .fetch_optional(&mut *self.0)
            .await?;
        row.map(LockedCaseRow::into_locked).transpose()
    }

    async fn lock_case(&mut self, case_id: i64) -> Result<Option<LockedCase>, StoreError> {
        let sql = format!("{LOCKED_CASE} WHERE c.id = $1 FOR UPDATE OF i, c");
        let row: Option<LockedCaseRow> =
            sqlx::query_as(&sql).bind(case_id).fetch_optional(&mut *self.0).await?;
        row.map(LockedCaseRow::into_locked).transpose()
    }

    async fn save_case(&mut self, update: &CaseUpdate) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE cases SET state = $1, stages_planned = $2, next_action_at = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(update.state.as_str())
        .bind(update.stages_planned as i32)
        .bind(update.next_action_at)
        .bind(update.updated_at)
        .bind(update.case_id)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn insert_payment(&mut self, payment: &NewPayment<'_>) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO payments (tenant, invoice_id, amount, currency, paid_at, source, reference, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant, source, reference) DO NOTHING",
        )
        .bind(payment.tenant.as_str())
        .bind(payment.invoice_id)
        .bind(payment.amount.amount())
        .bind(payment.amount.currency().code())
        .bind(payment.paid_at)
        .bind(payment.source)
        .bind(payment.reference)
        .bind(payment.recorded_at)
        .execute(&mut *self.0)
        .await?
        .rows_affected();
        Ok(inserted > 0)
    }

    async fn set_amount_paid(&mut self, invoice_id: i64, amount_paid: Decimal) -> Result<(), StoreError> {
        sqlx::query("UPDATE invoices SET amount_paid = $1 WHERE id = $2")
            .bind(amount_paid)
            .bind(invoice_id)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn cancel_pending_reminders(
        &mut self,
        case_id: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        // Locked in id order first, as the dispatcher and the channel workers lock them.
        let cancelled = sqlx::query(
            "UPDATE reminders SET status = 'cancelled', lease_until = NULL, updated_at = $1 WHERE id = ANY(ARRAY(\
               SELECT id FROM reminders WHERE case_id = $2 AND status IN ('scheduled', 'queued') ORDER BY id FOR UPDATE))",
        )
        .bind(now)
        .bind(case_id)
        .execute(&mut *self.0)
        .await?;
        Ok(cancelled.rows_affected())
    }

    async fn unsettled_reminders(&mut self, case_id: i64) -> Result<Vec<UnsettledReminder>, StoreError> {
        let rows: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, sent_at FROM reminders WHERE case_id = $1 AND status = 'sent' AND reward IS NULL \
             AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC",
        )
        .bind(case_id)
        .fetch_all(&mut *self.0)
        .await?;
        Ok(rows.into_iter().map(|(id, sent_at)| UnsettledReminder { id, sent_at }).collect())
    }

    async fn unsettled_sent_before(
        &mut self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM reminders WHERE status = 'sent' AND reward IS NULL AND sent_at < $1 \
             ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(cutoff)
        .bind(limit as i64)
        .fetch_all(&mut *self.0)
        .await?)
    }

    async fn set_reward(&mut self, ids: &[i64], reward: f64) -> Result<Vec<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut set: Vec<i64> = sqlx::query_scalar(
            "UPDATE reminders SET reward = $2 WHERE id = ANY($1) AND reward IS NULL RETURNING id",
        )
        .bind(ids)
        .bind(reward)
        .fetch_all(&mut *self.0)
        .await?;
        set.sort_unstable();
        Ok(set)
    }

    async fn decisions(&mut self, ids: &[i64]) -> Result<Vec<(Subject, DecisionLine)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Each reminder's invoice looked up by key (see [`super`]).
        let rows: Vec<DecisionRow> = sqlx::query_as(
            "SELECT r.id, r.case_id, j.tenant, j.number, j.debtor_id, r.context::text AS context, r.created_at, \
             r.allowed::text AS allowed, \
             r.sent_at, r.channel, r.local_hour, r.stage, r.propensity, r.reward, r.policy_version \
             FROM reminders r CROSS JOIN LATERAL (SELECT i.tenant, i.number, i.debtor_id FROM cases c \
               JOIN invoices i ON i.id = c.invoice_id WHERE c.id = r.case_id OFFSET 0) j \
             WHERE r.id = ANY($1) ORDER BY r.id",
        )
        .bind(ids)
        .fetch_all(&mut *self.0)
        .await?;
        rows.into_iter().map(DecisionRow::into_line).collect()
    }

    async fn finish_unsent(
        &mut self,
        reminder_id: i64,
        how: Unsent,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<FinishedReminder>, StoreError> {
        let row: Option<(i64, i32, String)> = sqlx::query_as(
            "UPDATE reminders SET status = $1, attempts = attempts + $2, last_error = $3, lease_until = NULL, \
             updated_at = $4 WHERE id = $5 AND status IN ('scheduled', 'queued') RETURNING case_id, stage, channel",
        )
        .bind(unsent_status(how))
        .bind(unsent_attempts(how) as i32)
        .bind(error)
        .bind(now)
        .bind(reminder_id)
        .fetch_optional(&mut *self.0)
        .await?;
        row.map(|(case_id, stage, channel)| finished(reminder_id, case_id, stage, &channel)).transpose()
    }

    async fn debtor_address(
        &mut self,
        case_id: i64,
        channel: ChannelKind,
    ) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT {} FROM cases c JOIN invoices i ON i.id = c.invoice_id \
             JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE c.id = $1",
            address_expression(channel)
        );
        let address: Option<Option<String>> =
            sqlx::query_scalar(&sql).bind(case_id).fetch_optional(&mut *self.0).await?;
        Ok(address.flatten())
    }

    async fn mark_unreachable(
        &mut self,
        case_id: i64,
        channel: ChannelKind,
        address: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE debtors \
             SET unreachable = (COALESCE(unreachable::jsonb, '{}'::jsonb) || jsonb_build_object($1::text, $2::text))::text \
             WHERE (tenant, id) = (SELECT i.tenant, i.debtor_id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                                   WHERE c.id = $3)",
        )
        .bind(channel.as_str())
        .bind(address)
        .bind(case_id)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn append_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO events (at, kind, case_id, data) SELECT t.at, t.kind, t.case_id, t.data::json \
             FROM UNNEST($1::timestamptz[], $2::text[], $3::int8[], $4::text[]) AS t(at, kind, case_id, data)",
        )
        .bind(events.iter().map(|e| e.occurred_at).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.kind).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.case_id).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.data.as_str()).collect::<Vec<_>>())
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await?;
        Ok(())
    }
}
