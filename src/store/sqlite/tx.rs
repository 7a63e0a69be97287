//! The store's narrow steps on SQLite (see [`crate::store::tx`]): a write transaction
//! (`BEGIN IMMEDIATE`) already holds the only writer's lock, so nothing is locked row by row;
//! money is stored as text, and lists go in as JSON arrays (`json_each`).

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
use sqlx::{Sqlite, Transaction};

/// A write transaction on SQLite.
pub struct SqliteTx(pub(super) Transaction<'static, Sqlite>);

/// Ids as a JSON array, for `IN (SELECT value FROM json_each($n))`.
pub(super) fn id_list(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("integers serialise")
}

/// The dialect's part of the steps in `crate::store::same_sql`: no row locks (the write
/// transaction holds the database's only write lock), money as text, id lists as JSON arrays.
/// How the third placeholder becomes an event body (see `crate::store::same_sql_debtor_data`).
const EVENT_DATA_3: &str = "$3";
const LOCK_CASE: &str = "";
const SKIP_LOCKED: &str = "";
pub(super) const IN_IDS: &str = "IN (SELECT value FROM json_each($1))";
const LOCK_ROWS: &str = "";
/// Is one of the list bound as `$2` (a JSON array).
const IN_LIST_2: &str = "IN (SELECT value FROM json_each($2))";
/// A reminder `r`'s invoice `i`.
const REMINDER_INVOICE: &str = "JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id";
/// The debtor's `unreachable` object (JSON text) with `$1` (channel) set to `$2` (address).
const WITH_UNREACHABLE: &str = "json_set(COALESCE(unreachable, '{}'), '$.' || $1, $2)";

impl SqliteTx {
    fn money(amount: Decimal) -> String {
        amount.to_string()
    }

    pub(super) fn ids(ids: &[i64]) -> String {
        id_list(ids)
    }

    fn texts(texts: &[String]) -> String {
        serde_json::to_string(texts).expect("strings serialise")
    }
}

const LOCKED_CASE: &str =
    "SELECT c.id AS case_id, i.id AS invoice_id, i.tenant, i.number, i.debtor_id, c.state, \
     c.stages_planned, c.next_action_at, i.currency, i.amount_due, i.amount_paid \
     FROM invoices i JOIN cases c ON c.invoice_id = i.id";

impl_store_tx!(SqliteTx {
    async fn lock_due_reminders(
        &mut self,
        _now: DateTime<Utc>,
        _limit: u32,
    ) -> Result<Option<Vec<ClaimedReminder>>, StoreError> {
        Ok(None) // a write transaction held while publishing would stop every other writer
    }

    async fn mark_queued(&mut self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        super::outbox::mark_queued(&mut self.0, ids, now).await
    }

    async fn lock_reminders(&mut self, _ids: &[i64]) -> Result<(), StoreError> {
        Ok(()) // the write transaction holds the database's only write lock
    }

    async fn mark_sent(
        &mut self,
        sent: &[(i64, &str)],
        defaults: &[(i64, crate::domain::legal::InDefault)],
        now: DateTime<Utc>,
    ) -> Result<Vec<SentRow>, StoreError> {
        crate::store::payments::PaymentSteps::fix_default_dates(self, defaults).await?;
        // Recorded as sent even if a payment cancelled it meanwhile: it did go out.
        let mut newly = Vec::new();
        for &(id, provider_id) in sent {
            let updated = sqlx::query(
                "UPDATE reminders SET status = 'sent', provider_id = $1, sent_at = $2, attempts = attempts + 1, \
                 lease_until = NULL, last_error = NULL, updated_at = $2 WHERE id = $3 AND status <> 'sent'",
            )
            .bind(provider_id)
            .bind(now)
            .bind(id)
            .execute(&mut *self.0)
            .await?;
            if updated.rows_affected() > 0 {
                newly.push(id);
            }
        }
        if newly.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<SentRowRaw> = sqlx::query_as(
            "SELECT r.id, r.case_id, r.stage, r.channel, i.tenant, i.number, i.debtor_id, r.instalment \
             FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
             WHERE r.id IN (SELECT value FROM json_each($1)) ORDER BY r.id",
        )
        .bind(id_list(&newly))
        .fetch_all(&mut *self.0)
        .await?;
        rows.into_iter().map(SentRowRaw::into_row).collect()
    }

    async fn append_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError> {
        for event in events {
            sqlx::query("INSERT INTO events (at, kind, case_id, data) VALUES ($1, $2, $3, $4)")
                .bind(event.occurred_at)
                .bind(event.kind)
                .bind(event.case_id)
                .bind(&event.data)
                .execute(&mut *self.0)
                .await?;
        }
        Ok(())
    }

});

impl_bank_steps!(SqliteTx);

/// What locks the paid cases a hook runner claims (see `crate::store::same_sql_recommend`).
const LOCK_PAID: &str = "";
impl_recommend_steps!(SqliteTx);
/// What keeps the console's short reads from starting parallel workers (see
/// `ConsoleSteps::plan_short_reads`).
const NO_PARALLEL_WORKERS: &str = "";
impl_console_steps!(SqliteTx);
impl_debtor_data_steps!(SqliteTx);
impl_booking_steps!(SqliteTx);
/// How a tenant's case amounts, payments and what earned reminders brought are read (see
/// `crate::store::same_sql_tenant_stats`).
const CASE_AMOUNTS: &str = crate::store::same_sql_tenant_stats::CASE_ROWS;
const PAYMENTS: &str = crate::store::same_sql_tenant_stats::PAYMENT_ROWS;
const EARNED: [&str; 2] = crate::store::same_sql_tenant_stats::EARNED_ROWS;
impl_tenant_stats_steps!(SqliteTx);
impl_hold_steps!(SqliteTx);
/// What keeps the Mahnstopps the planner found in force from being lifted until it commits.
const SHARE_MAHNSTOPP: &str = "";
impl_mahnstopp_steps!(SqliteTx);
impl_payment_steps!(SqliteTx);
impl_instalment_reminder_steps!(SqliteTx);
/// What locks the thank-you messages a sender leases.
const LOCK_THANKS: &str = "";
impl_marketing_steps!(SqliteTx);
/// What locks the shop webhook deliveries a sender leases.
const LOCK_SHOP: &str = "";
impl_shop_webhook_steps!(SqliteTx);
impl_conversion_steps!(SqliteTx);
impl_super_admin_steps!(SqliteTx);
