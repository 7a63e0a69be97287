//! The store's narrow steps for recording payments ([`PaymentSteps`], part of every
//! [`StoreTx`](super::StoreTx)), each over a whole batch of payments or cases, so that a chunk
//! of a bank statement costs a few statements, not a few per payment. What a payment does (close
//! or reduce, which reminder earned it, which events) is decided in `crate::pay::rule`; these
//! steps only lock, read and write rows, the same way on both backends
//! (`crate::store::same_sql_payments`).

use super::tx::{LockedCase, NewPayment, UnsettledReminder};
use super::StoreError;
use crate::domain::legal::{AllocationRule, Applied, CaseClaim, InDefault};
use crate::domain::{InvoiceNumber, PaymentSource, PromiseState, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// One part of a new payment, applied to one invoice (§§ 366, 367 BGB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAllocation {
    /// The payment's id, as [`PaymentSteps::insert_payments`] returned it.
    pub payment_id: i64,
    /// Its order among the payment's parts, from 0.
    pub position: i32,
    /// The invoice this part went to.
    pub invoice_id: i64,
    pub rule: AllocationRule,
    pub applied: Applied,
}

/// A payment stored before, by what makes it unique on its invoice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordedPayment {
    pub invoice_id: i64,
    pub source: PaymentSource,
    pub reference: String,
}

#[async_trait]
pub trait PaymentSteps {
    /// The cases of `tenant`'s invoices numbered `numbers`, with their invoices, locked in id
    /// order (on PostgreSQL; SQLite's write transaction holds the only write lock). Numbers
    /// without an invoice are left out.
    async fn lock_cases_by_invoice(
        &mut self,
        tenant: &TenantId,
        numbers: &[InvoiceNumber],
    ) -> Result<Vec<LockedCase>, StoreError>;

    /// Every payment stored on these invoices. Read under the invoices' lock, it is complete
    /// until the transaction ends: every payment is recorded under that lock.
    async fn recorded_payments(&mut self, invoice_ids: &[i64]) -> Result<Vec<RecordedPayment>, StoreError>;

    /// Inserts payments the caller found new under the invoices' lock
    /// ([`PaymentSteps::recorded_payments`]) and returns their ids by key; a payment stored
    /// already fails the transaction rather than be counted twice.
    async fn insert_payments(
        &mut self,
        payments: &[NewPayment<'_>],
    ) -> Result<HashMap<RecordedPayment, i64>, StoreError>;

    /// Stores how each payment was applied, the rows of each new payment in order, by the ids
    /// [`PaymentSteps::insert_payments`] returned in the same transaction.
    async fn insert_allocations(&mut self, allocations: &[NewAllocation]) -> Result<(), StoreError>;

    /// Stores default dates on cases that hold none yet: (case id, default). A case that holds one
    /// keeps it.
    async fn fix_default_dates(&mut self, defaults: &[(i64, InDefault)]) -> Result<(), StoreError>;

    /// The cases `case_ids` as the legal engine sees them (invoice, reminders sent, payments
    /// stored, the default date stored), by case id: the reminders read only for the cases
    /// `reminded`, the payments only for the cases `paid` (the others have none); three
    /// statements at most however many cases.
    async fn case_claims(
        &mut self,
        case_ids: &[i64],
        reminded: &[i64],
        paid: &[i64],
    ) -> Result<HashMap<i64, CaseClaim>, StoreError>;

    /// Writes invoices' paid amounts: (invoice id, amount paid).
    async fn set_amounts_paid(&mut self, paid: &[(i64, Decimal)]) -> Result<(), StoreError>;

    /// Cancels the scheduled and queued reminders of these cases, each as of its own time
    /// (case id, time); locked in id order first, as the dispatcher and channel workers lock them.
    async fn cancel_pending_reminders_of(
        &mut self,
        cases: &[(i64, DateTime<Utc>)],
    ) -> Result<u64, StoreError>;

    /// Queues paid cases for the post-payment hooks (case id, paid at); a case queued before is
    /// left alone.
    async fn queue_paid_cases(&mut self, cases: &[(i64, DateTime<Utc>)]) -> Result<(), StoreError>;

    /// Ends the open promises of these cases as `state`; returns (case id, promised date) of
    /// those there were.
    async fn end_promises(
        &mut self,
        case_ids: &[i64],
        state: PromiseState,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, NaiveDate)>, StoreError>;

    /// Ends the open instalment plans of these cases as `state`; returns the cases that had one.
    async fn end_instalment_plans(
        &mut self,
        case_ids: &[i64],
        state: PromiseState,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError>;

    /// The sent reminders without an outcome yet of these cases: (case id, reminder), by case,
    /// newest first within each.
    async fn unsettled_reminders(
        &mut self,
        case_ids: &[i64],
    ) -> Result<Vec<(i64, UnsettledReminder)>, StoreError>;
}
