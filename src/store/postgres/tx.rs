//! The store's narrow steps on PostgreSQL (see [`crate::store::tx`]): rows are locked with
//! `FOR UPDATE` (in id order where a step takes several), and lists go in as arrays.

use crate::domain::{ChannelKind, DisputeReason, DisputeResolution, InvoiceNumber, PromiseState, TenantId};
use crate::runtime::{DecisionLine, NewEvent, Subject};
use crate::store::bank::{BankLineStatus, InvoiceCandidate, LineSettlement, NewBankLine, StoredBankLine};
use crate::store::reports::address_expression;
use crate::store::rows::DueCaseRow;
use crate::store::same_sql::impl_store_tx;
use crate::store::same_sql_bank::{
    impl_bank_steps, BankLineRow, CandidateRow, BANK_LINE_COLUMNS, CANDIDATES,
};
use crate::store::same_sql_bookings::impl_booking_steps;
use crate::store::same_sql_console::impl_console_steps;
use crate::store::same_sql_conversions::impl_conversion_steps;
use crate::store::same_sql_debtor_data::impl_debtor_data_steps;
use crate::store::same_sql_holds::impl_hold_steps;
use crate::store::same_sql_instalment_reminders::impl_instalment_reminder_steps;
use crate::store::same_sql_mahnstopps::impl_mahnstopp_steps;
use crate::store::same_sql_marketing::impl_marketing_steps;
use crate::store::same_sql_payments::impl_payment_steps;
use crate::store::same_sql_recommend::impl_recommend_steps;
use crate::store::same_sql_shop_webhooks::impl_shop_webhook_steps;
use crate::store::same_sql_super_admins::impl_super_admin_steps;
use crate::store::same_sql_tenant_stats::impl_tenant_stats_steps;
use crate::store::tx::*;
use crate::store::tx_rows::{
    claimed_reminders, finished, unsent_attempts, unsent_status, DecisionRow, LateReminderRow, LockedCaseRow,
    SentRowRaw,
};
use crate::store::{
    ClaimedReminder, DueCase, LateReminder, NewReminder, ProviderReport, ReportOutcome, StoreError,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{Postgres, Transaction};

/// A write transaction on PostgreSQL, and the due reminders it holds locked.
pub struct PgTx(Transaction<'static, Postgres>, Vec<i64>);

impl PgTx {
    pub(super) fn new(tx: Transaction<'static, Postgres>) -> Self {
        Self(tx, Vec::new())
    }
}

/// The dialect's part of the steps in `crate::store::same_sql`.
/// How the third placeholder becomes an event body (see `crate::store::same_sql_debtor_data`).
const EVENT_DATA_3: &str = "CAST($3 AS JSON)";
const LOCK_CASE: &str = " FOR UPDATE OF i, c";
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
pub(super) const IN_IDS: &str = "= ANY($1)";
const LOCK_ROWS: &str = " FOR UPDATE";
/// Is one of the list bound as `$2` (an array).
const IN_LIST_2: &str = "= ANY($2)";
/// A reminder `r`'s invoice `i`, looked up by key (see [`super`]).
const REMINDER_INVOICE: &str = "CROSS JOIN LATERAL (SELECT i.tenant, i.number, i.debtor_id FROM cases c \
     JOIN invoices i ON i.id = c.invoice_id WHERE c.id = r.case_id OFFSET 0) i";
/// The debtor's `unreachable` object (JSON text) with `$1` (channel) set to `$2` (address).
const WITH_UNREACHABLE: &str =
    "(COALESCE(unreachable::jsonb, '{}'::jsonb) || jsonb_build_object($1::text, $2::text))::text";

impl PgTx {
    fn money(amount: Decimal) -> Decimal {
        amount
    }

    pub(super) fn ids(ids: &[i64]) -> Vec<i64> {
        ids.to_vec()
    }

    fn texts(texts: &[String]) -> Vec<String> {
        texts.to_vec()
    }
}

/// A case with its invoice; the caller appends the condition and the lock.
const LOCKED_CASE: &str =
    "SELECT c.id AS case_id, i.id AS invoice_id, i.tenant, i.number, i.debtor_id, c.state, \
     c.stages_planned, c.next_action_at, i.currency, i.amount_due::text AS amount_due, \
     i.amount_paid::text AS amount_paid FROM invoices i JOIN cases c ON c.invoice_id = i.id";

impl_store_tx!(PgTx {
    async fn save_cases(&mut self, updates: &[CaseUpdate]) -> Result<(), StoreError> {
        super::outbox::save_cases(&mut self.0, updates).await
    }

    async fn lock_due_reminders(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Option<Vec<ClaimedReminder>>, StoreError> {
        let claimed = super::outbox::lock_due_reminders(&mut self.0, now, limit).await?;
        self.1.extend(claimed.iter().map(|r| r.id));
        Ok(Some(claimed))
    }

    async fn mark_queued(&mut self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        super::outbox::mark_queued(&mut self.0, ids, &self.1, now).await
    }

    async fn lock_reminders(&mut self, ids: &[i64]) -> Result<(), StoreError> {
        sqlx::query("SELECT id FROM reminders WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(ids)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn mark_sent(
        &mut self,
        sent: &[(i64, &str)],
        defaults: &[(i64, crate::domain::legal::InDefault)],
        now: DateTime<Utc>,
    ) -> Result<Vec<SentRow>, StoreError> {
        if sent.is_empty() {
            return Ok(Vec::new());
        }
        // The default dates go in the same statement. A case is locked after its reminders
        // here, the reverse of a payment's order (case, then its pending reminders): one that a
        // payment holds is skipped, not waited for, so the two cannot deadlock; that payment
        // stores the date instead if it can tell it.
        // Recorded as sent even if a payment cancelled it meanwhile: it did go out. A replayed
        // report finds the rows sent already and returns nothing for them. Each sent reminder's
        // invoice is looked up by key (see [`super`]).
        let rows: Vec<SentRowRaw> = sqlx::query_as(
            "WITH sent AS ( \
               UPDATE reminders SET status = 'sent', provider_id = u.provider_id, sent_at = $3, \
                 attempts = attempts + 1, lease_until = NULL, last_error = NULL, updated_at = $3 \
               FROM UNNEST($1::int8[], $2::text[]) AS u(id, provider_id) \
               WHERE reminders.id = u.id AND reminders.status <> 'sent' \
               RETURNING reminders.id, reminders.case_id, reminders.stage, reminders.channel, reminders.instalment), \
             fixed AS ( \
               UPDATE cases SET default_on = d.default_on, default_ground = d.ground \
               FROM UNNEST($4::int8[], $5::date[], $6::text[]) AS d(case_id, default_on, ground) \
               WHERE cases.id = d.case_id AND cases.id IN ( \
                 SELECT id FROM cases WHERE id = ANY($4) AND default_on IS NULL ORDER BY id FOR UPDATE SKIP LOCKED)) \
             SELECT sent.id, sent.case_id, sent.stage, sent.channel, j.tenant, j.number, j.debtor_id, sent.instalment \
             FROM sent CROSS JOIN LATERAL (SELECT i.tenant, i.number, i.debtor_id FROM cases c \
               JOIN invoices i ON i.id = c.invoice_id WHERE c.id = sent.case_id OFFSET 0) j ORDER BY sent.id",
        )
        .bind(sent.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(sent.iter().map(|(_, provider_id)| *provider_id).collect::<Vec<_>>())
        .bind(now)
        .bind(defaults.iter().map(|(case_id, _)| *case_id).collect::<Vec<_>>())
        .bind(defaults.iter().map(|(_, d)| d.from).collect::<Vec<_>>())
        .bind(defaults.iter().map(|(_, d)| d.ground.as_str()).collect::<Vec<_>>())
        .fetch_all(&mut *self.0)
        .await?;
        rows.into_iter().map(SentRowRaw::into_row).collect()
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

});

impl_bank_steps!(PgTx);

/// What locks the paid cases a hook runner claims (see `crate::store::same_sql_recommend`).
const LOCK_PAID: &str = " FOR UPDATE OF p SKIP LOCKED";
impl_recommend_steps!(PgTx);
/// What keeps the console's short reads from starting parallel workers (see
/// `ConsoleSteps::plan_short_reads`).
const NO_PARALLEL_WORKERS: &str = "SET LOCAL max_parallel_workers_per_gather = 0";
impl_console_steps!(PgTx);
impl_debtor_data_steps!(PgTx);
impl_booking_steps!(PgTx);
/// How a tenant's case amounts, payments and what earned reminders brought are read (see
/// `crate::store::same_sql_tenant_stats`).
const CASE_AMOUNTS: &str = crate::store::same_sql_tenant_stats::CASE_GROUPS;
const PAYMENTS: &str = crate::store::same_sql_tenant_stats::PAYMENT_GROUPS;
const EARNED: [&str; 2] = crate::store::same_sql_tenant_stats::EARNED_SUMS;
impl_tenant_stats_steps!(PgTx);
impl_hold_steps!(PgTx);
/// What keeps the Mahnstopps the planner found in force from being lifted until it commits.
const SHARE_MAHNSTOPP: &str = " FOR SHARE OF m";
impl_mahnstopp_steps!(PgTx);
impl_payment_steps!(PgTx);
impl_instalment_reminder_steps!(PgTx);
/// What locks the thank-you messages a sender leases.
const LOCK_THANKS: &str = " FOR UPDATE OF t SKIP LOCKED";
impl_marketing_steps!(PgTx);
/// What locks the shop webhook deliveries a sender leases.
const LOCK_SHOP: &str = " FOR UPDATE SKIP LOCKED";
impl_shop_webhook_steps!(PgTx);
impl_conversion_steps!(PgTx);
impl_super_admin_steps!(PgTx);
