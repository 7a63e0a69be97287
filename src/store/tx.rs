//! The store's narrow steps inside one transaction ([`StoreTx`], from [`Store::begin`]). The
//! stages decide (what a payment does, which reminder earned it, what a dead address triggers,
//! what an event says) and call these steps; each step only reads or writes rows, the same way on
//! both backends, so a business rule is written once, in Rust, in the stage it belongs to.
//!
//! A transaction that is dropped without [`StoreTx::commit`] rolls back.
//!
//! [`Store::begin`]: super::Store::begin

use super::bank::BankSteps;
use super::bookings::BookingSteps;
use super::console::ConsoleSteps;
use super::conversions::ConversionSteps;
use super::debtor_data::DebtorDataSteps;
use super::holds::HoldSteps;
use super::instalment_reminders::InstalmentReminderSteps;
use super::mahnstopps::MahnstoppSteps;
use super::marketing::MarketingSteps;
use super::payments::PaymentSteps;
use super::recommend::RecommendSteps;
use super::shop_webhooks::ShopWebhookSteps;
use super::super_admins::SuperAdminSteps;
use super::tenant_stats::TenantStatsSteps;
use super::{ClaimedReminder, DueCase, LateReminder, NewReminder, ProviderReport, ReportOutcome, StoreError};
use crate::domain::{
    CaseState, ChannelKind, DebtorId, DisputeReason, DisputeResolution, Instalment, Invoice, InvoiceNumber,
    Money, PaymentSource, PlanName, PromiseState, TenantId,
};
use crate::runtime::{DecisionLine, NewEvent, Subject};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// A case with its invoice, locked for the rest of the transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedCase {
    pub case_id: i64,
    pub invoice_id: i64,
    pub tenant: TenantId,
    pub invoice_number: InvoiceNumber,
    pub debtor_id: DebtorId,
    pub state: CaseState,
    /// How many stages were planned so far; the next stage has this 0-based index.
    pub stages_planned: u32,
    pub next_action_at: Option<DateTime<Utc>>,
    pub amount_due: Money,
    pub amount_paid: Decimal,
}

impl LockedCase {
    /// Whom events about this case are about.
    pub fn subject(&self) -> Subject {
        Subject {
            tenant: self.tenant.clone(),
            case_id: self.case_id,
            invoice_number: self.invoice_number.clone(),
            debtor_id: self.debtor_id.clone(),
        }
    }

    /// What is still open on the invoice (never negative).
    pub fn open_amount(&self) -> Decimal {
        open_of(self.amount_due.amount(), self.amount_paid)
    }
}

/// What is still open of `due` after `paid` (never negative).
pub fn open_of(due: Decimal, paid: Decimal) -> Decimal {
    (due - paid).max(Decimal::ZERO)
}

/// An open instalment plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalmentPlan {
    pub instalments: Vec<Instalment>,
    /// What was paid on the invoice when the plan began; payments beyond it count towards the
    /// instalments in order.
    pub paid_before: Decimal,
}

/// The case row as a stage wants it written back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseUpdate {
    pub case_id: i64,
    pub state: CaseState,
    pub stages_planned: u32,
    pub next_action_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A payment row to insert; `(tenant, source, invoice, reference)` is unique.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPayment<'a> {
    pub tenant: &'a TenantId,
    pub invoice_id: i64,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub source: PaymentSource,
    pub reference: &'a str,
    pub recorded_at: DateTime<Utc>,
}

/// A sent reminder whose outcome is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsettledReminder {
    pub id: i64,
    pub sent_at: DateTime<Utc>,
}

/// A reminder that was still pending (scheduled or queued) when a step finished it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinishedReminder {
    pub id: i64,
    pub case_id: i64,
    /// 0-based stage.
    pub stage: u32,
    pub channel: ChannelKind,
    /// The instalment an instalment reminder is about (from 1); 0 for a stage's reminder.
    pub instalment: u32,
}

/// How a pending reminder ends without being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsent {
    /// Nothing went out, by decision (case closed, opted out): no attempt counted.
    Skipped,
    /// The provider refused it for good: one attempt counted.
    Failed,
    /// Too late to send after downtime: cancelled, its stage planned anew (no attempt counted).
    Superseded,
}

/// An overdue invoice to store, with its resolved plan and its receipt time.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub invoice: &'a Invoice,
    pub plan: &'a PlanName,
    pub received_at: DateTime<Utc>,
    /// The default date already fixed when the invoice arrives (a calendar due date, or 30
    /// days run), stored on its new case.
    pub default_on: Option<crate::domain::legal::InDefault>,
}

/// A reminder a delivery batch recorded as sent just now, with whom it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRow {
    pub reminder_id: i64,
    pub subject: Subject,
    /// 0-based stage.
    pub stage: u32,
    pub channel: ChannelKind,
    /// The instalment an instalment reminder is about (from 1); 0 for a stage's reminder.
    pub instalment: u32,
}

/// The narrow steps; recording payments' are in [`PaymentSteps`], the bank import's in
/// [`BankSteps`], recommendations' in [`RecommendSteps`], the operator console's in
/// [`ConsoleSteps`], pending payments' holds in [`HoldSteps`], a debtor's Mahnstopp in [`MahnstoppSteps`], instalment reminders' in
/// [`InstalmentReminderSteps`], a debtor's personal data (access and erasure) in
/// [`DebtorDataSteps`], the bookings export's in [`BookingSteps`], a tenant's statistics' in
/// [`TenantStatsSteps`], marketing after payment's (the thank-you messages) in
/// [`MarketingSteps`], the shop webhook's in [`ShopWebhookSteps`], conversions' in
/// [`ConversionSteps`], the installation's super-admins' in [`SuperAdminSteps`].
#[async_trait]
pub trait StoreTx:
    PaymentSteps
    + BankSteps
    + RecommendSteps
    + ConsoleSteps
    + HoldSteps
    + MahnstoppSteps
    + InstalmentReminderSteps
    + DebtorDataSteps
    + BookingSteps
    + TenantStatsSteps
    + MarketingSteps
    + ShopWebhookSteps
    + ConversionSteps
    + SuperAdminSteps
    + Send
{
    /// Stores new overdue invoices with their lines, debtors and open cases; an invoice already
    /// known (or met earlier in `run`) changes nothing. Returns, per arrival, whether it was new.
    async fn insert_overdue(&mut self, run: &[Arrival<'_>]) -> Result<Vec<bool>, StoreError>;

    /// Claims up to `limit` cases whose next action is due at `now` (on PostgreSQL locked,
    /// skipping those another scheduler holds), oldest first, with everything the planner needs.
    async fn claim_due_cases(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueCase>, StoreError>;

    /// Writes new reminders into the outbox (idempotency key per case and stage, or instalment and
    /// notice); a (case, stage, channel, instalment) already there is left alone.
    async fn insert_reminders(
        &mut self,
        reminders: &[(i64, NewReminder)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Writes several case rows back.
    async fn save_cases(&mut self, updates: &[CaseUpdate]) -> Result<(), StoreError> {
        for update in updates {
            self.save_case(update).await?;
        }
        Ok(())
    }

    /// The case of `tenant`'s invoice `number`, locked; `None` when there is no such invoice.
    async fn lock_case_by_invoice(
        &mut self,
        tenant: &TenantId,
        number: &InvoiceNumber,
    ) -> Result<Option<LockedCase>, StoreError>;

    /// The case `case_id`, locked; `None` when there is no such case.
    async fn lock_case(&mut self, case_id: i64) -> Result<Option<LockedCase>, StoreError>;

    async fn save_case(&mut self, update: &CaseUpdate) -> Result<(), StoreError>;

    /// Cancels the case's scheduled and queued reminders; returns how many.
    async fn cancel_pending_reminders(&mut self, case_id: i64, now: DateTime<Utc>)
        -> Result<u64, StoreError>;

    /// The case as the legal engine sees it (invoice, reminders sent, payments), if it exists.
    async fn case_claim(
        &mut self,
        case_id: i64,
    ) -> Result<Option<crate::domain::legal::CaseClaim>, StoreError>;

    /// Up to `limit` cases still owed on (not paid or cancelled) whose claim becomes time-barred
    /// on or before `cutoff` and that were not warned of it yet, marked warned at `now`; on
    /// PostgreSQL those another transaction holds are skipped.
    async fn warn_limitation_near(
        &mut self,
        cutoff: NaiveDate,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<LimitationNear>, StoreError>;

    /// Stores the claim statement of a case this transaction escalates.
    async fn save_claim_statement(
        &mut self,
        statement: &crate::domain::legal::ClaimStatement,
    ) -> Result<(), StoreError>;

    /// The latest claim statement of every case that is escalated now and escalated at or after
    /// `since`, of `tenant` if given, in the order they escalated.
    async fn escalated_statements(
        &mut self,
        tenant: Option<&crate::domain::TenantId>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<crate::domain::legal::ClaimStatement>, StoreError>;

    /// Up to `limit` sent reminders without an outcome that were sent before `cutoff`, oldest
    /// first; on PostgreSQL locked, skipping those another transaction holds.
    async fn unsettled_sent_before(
        &mut self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError>;

    /// Sets `reward` on those of `ids` that have none yet; returns the ids it set.
    async fn set_reward(&mut self, ids: &[i64], reward: f64) -> Result<Vec<i64>, StoreError>;

    /// The decisions of these reminders as decision-log lines, with whom each is about, in id
    /// order.
    async fn decisions(&mut self, ids: &[i64]) -> Result<Vec<(Subject, DecisionLine)>, StoreError>;

    /// Ends a pending reminder unsent with `error`; `None` when it was no longer pending.
    async fn finish_unsent(
        &mut self,
        reminder_id: i64,
        how: Unsent,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<FinishedReminder>, StoreError>;

    /// The address the case's debtor has on `channel` now (a postal address in the form
    /// `Debtor::address_on` writes it), if any.
    async fn debtor_address(
        &mut self,
        case_id: i64,
        channel: ChannelKind,
    ) -> Result<Option<String>, StoreError>;

    /// Remembers `address` as unreachable on `channel` for the case's debtor.
    async fn mark_unreachable(
        &mut self,
        case_id: i64,
        channel: ChannelKind,
        address: &str,
    ) -> Result<(), StoreError>;

    /// Claims up to `limit` reminders whose send time has come (or whose earlier lease ran out),
    /// oldest first, held until this transaction ends: locked on PostgreSQL, others skip them.
    /// `None` where the backend cannot hold claims while the caller publishes (SQLite: its
    /// write transaction would stop every other writer); lease them instead.
    async fn lock_due_reminders(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Option<Vec<ClaimedReminder>>, StoreError>;

    /// Leases up to `limit` reminders whose send time has come (or whose earlier lease ran out)
    /// until `now + lease`, oldest first: no other claim takes them meanwhile, committed or not.
    async fn lease_due_reminders(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
        lease: std::time::Duration,
    ) -> Result<Vec<ClaimedReminder>, StoreError>;

    /// Up to `limit` scheduled reminders due at `now` whose allowed window closed (`send_by`
    /// passed) and that no dispatcher holds, the earliest closed window first (read through the
    /// `reminders_late` index, so reminders on time cost nothing), with their debtors' time zone
    /// and country; locked until the transaction ends where the backend can (others skip them).
    async fn late_reminders(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<LateReminder>, StoreError>;

    /// Reminders queued before `queued_before` that have no send result yet, up to `limit`, back
    /// to scheduled (their delivery message was lost); returns their ids.
    async fn requeue_lost(
        &mut self,
        queued_before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError>;

    /// A scheduled reminder moved to another send time and window (catch-up).
    async fn retime_reminder(
        &mut self,
        reminder_id: i64,
        send_at: DateTime<Utc>,
        send_by: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Marks claimed reminders as published to their channel's queue (those still scheduled: a
    /// channel worker may have recorded one already).
    async fn mark_queued(&mut self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Locks these reminders, in id order (PostgreSQL; one writer needs no row locks): every
    /// transaction that writes several reminders takes them in the same order, so none deadlock.
    async fn lock_reminders(&mut self, ids: &[i64]) -> Result<(), StoreError>;

    /// A pending reminder back to scheduled for another try at `retry_at`, one attempt counted.
    async fn retry_later(
        &mut self,
        reminder_id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records reminders as sent with their provider ids, and the default dates their sending
    /// fixes (case id, default) on cases that store none yet (never moving one that is stored;
    /// on PostgreSQL a case another transaction holds, a payment's, is left for a later step
    /// rather than waited for); returns the reminders that were not sent before, in id order.
    async fn mark_sent(
        &mut self,
        sent: &[(i64, &str)],
        defaults: &[(i64, crate::domain::legal::InDefault)],
        now: DateTime<Utc>,
    ) -> Result<Vec<SentRow>, StoreError>;

    /// Records what one provider webhook reported: receipts on the reminders they match (only
    /// ever forward), the debtors' inbound times, consent events appended to the ledger for every
    /// debtor they name. Returns the counts and the sent reminders whose receipt newly says their
    /// address is dead.
    async fn record_provider_report(
        &mut self,
        report: &ProviderReport,
        now: DateTime<Utc>,
    ) -> Result<(ReportOutcome, Vec<(FinishedReminder, DateTime<Utc>)>), StoreError>;

    /// Closes a case: its final `state` written, nothing due any more, its pending reminders
    /// cancelled.
    async fn close_case(
        &mut self,
        case: &LockedCase,
        state: CaseState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let update = CaseUpdate {
            case_id: case.case_id,
            state,
            stages_planned: case.stages_planned,
            next_action_at: None,
            updated_at: at,
        };
        self.save_case(&update).await?;
        self.cancel_pending_reminders(case.case_id, at).await?;
        Ok(())
    }

    /// Records a promise to pay by `promised_on` on the case, open until `resume_at`. The case
    /// must have no open promise (end it first with [`StoreTx::end_promise`]).
    async fn insert_promise(
        &mut self,
        case_id: i64,
        promised_on: NaiveDate,
        resume_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Ends the case's open promise as `state`; returns its date, `None` when none was open.
    async fn end_promise(
        &mut self,
        case_id: i64,
        state: PromiseState,
        now: DateTime<Utc>,
    ) -> Result<Option<NaiveDate>, StoreError>;

    /// When the case's open promise lets dunning resume (its date plus the grace); `None`
    /// without one.
    async fn promise_resume_at(&mut self, case_id: i64) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// The key (`seq`) of the last instalment of any plan the case ever had; 0 when none.
    async fn last_instalment_seq(&mut self, case_id: i64) -> Result<u32, StoreError>;

    /// Stores an instalment plan for the case, `paid_before` being what was paid on the invoice
    /// when it began. The case must have no open plan (end it first), and the plan's keys must
    /// follow the case's earlier plans' ([`crate::domain::numbered_after`]).
    async fn insert_instalments(
        &mut self,
        case_id: i64,
        instalments: &[Instalment],
        paid_before: Decimal,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The case's open instalment plan and what was paid before it began; `None` without one.
    async fn open_instalments(&mut self, case_id: i64) -> Result<Option<InstalmentPlan>, StoreError>;

    /// Ends the case's open instalment plan as `state`; `false` when none was open.
    async fn end_instalments(
        &mut self,
        case_id: i64,
        state: PromiseState,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Opens a dispute on the case; `false` (and nothing written) when one is open already.
    async fn insert_dispute(
        &mut self,
        case_id: i64,
        reason: DisputeReason,
        details: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Resolves the case's open dispute; `false` when none was open.
    async fn resolve_dispute(
        &mut self,
        case_id: i64,
        resolution: DisputeResolution,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Claims up to `limit` paused cases whose time to resume (a promise's end) has come at
    /// `now`, oldest first; on PostgreSQL locked, skipping those another scheduler holds.
    async fn claim_resumable(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<LockedCase>, StoreError>;

    /// Remembers that `provider` delivered the webhook event `event_id`; `false` when it was
    /// remembered before (a replay: the caller changes nothing). On PostgreSQL a concurrent
    /// delivery of the same event waits here until the first one's transaction ends.
    async fn insert_psp_event(
        &mut self,
        provider: &str,
        event_id: &str,
        received_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Appends events to the log the relay publishes from.
    async fn append_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError>;

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Rolls back now. Dropping a transaction rolls it back too, but only when its connection is
    /// next used: until then its row locks stay, and a claim that skips locked rows misses them.
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
}

/// A case whose claim becomes time-barred soon (see [`StoreTx::warn_limitation_near`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitationNear {
    pub subject: Subject,
    pub state: crate::domain::CaseState,
    /// The last day before the claim is time-barred.
    pub last_day: NaiveDate,
    /// The invoice amount still open.
    pub open: crate::domain::Money,
}
