//! The store's narrow steps for a debtor's personal data ([`DebtorDataSteps`], part of every
//! [`StoreTx`](super::StoreTx)): reading everything kept about one debtor for the right of access
//! (Art. 15 GDPR), and overwriting the personal parts of it for the right to erasure (Art. 17).
//! Which data are personal, what replaces them and what must stay for the bookkeeping is decided
//! in `crate::intake::privacy`; these steps only read and write, and every one names the tenant
//! (or takes case ids the caller read through a step that did).

use super::console::AuditEntry;
use super::StoreError;
use crate::domain::{DebtorId, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// One event of the consent ledger (the ledger is never updated in place; the latest event per
/// channel is the consent in force).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConsentEvent {
    pub channel: String,
    /// `opt_in` or `opt_out`.
    pub kind: String,
    pub at: DateTime<Utc>,
    /// Where it came from: `intake`, `sms_keyword`, `email_unsubscribe`, …
    pub source: String,
    pub detail: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InvoiceLineRecord {
    pub position: i32,
    pub sku: Option<String>,
    pub description: String,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
}

/// One instalment of a plan the debtor agreed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InstalmentRecord {
    pub seq: i32,
    pub due_on: NaiveDate,
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// `open`, `kept`, `missed`, `replaced`, …
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// An event of the log about one case, as stored (the body of `docs/events.md`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredEvent {
    pub id: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A claim statement fixed when a case escalated (`crate::domain::legal::ClaimStatement` as
/// stored, JSON), which names the debtor.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredStatement {
    pub id: i64,
    pub escalated_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
}

/// A line of an invoice that was issued but never dunned (`invoice.issued`), kept as purchase
/// history for product recommendations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IssuedLineRecord {
    pub invoice_number: String,
    pub position: i32,
    pub sku: String,
    pub issued_on: NaiveDate,
    pub quantity: i64,
    pub amount_cents: i64,
}

/// The narrow steps behind a debtor's access and erasure requests.
#[async_trait]
pub trait DebtorDataSteps: Send {
    /// Every consent event of `tenant`'s debtor, oldest first.
    async fn consent_ledger(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
    ) -> Result<Vec<ConsentEvent>, StoreError>;

    /// The lines of the invoice of `tenant`'s case `case_id`, by position.
    async fn invoice_lines(
        &mut self,
        tenant: &TenantId,
        case_id: i64,
    ) -> Result<Vec<InvoiceLineRecord>, StoreError>;

    /// The instalments of every plan on `tenant`'s case `case_id`, oldest plan first.
    async fn instalments(
        &mut self,
        tenant: &TenantId,
        case_id: i64,
    ) -> Result<Vec<InstalmentRecord>, StoreError>;

    /// The events about `tenant`'s case `case_id`, oldest first.
    async fn case_events(&mut self, tenant: &TenantId, case_id: i64) -> Result<Vec<StoredEvent>, StoreError>;

    /// The claim statements of `tenant`'s case `case_id`, oldest first.
    async fn claim_statements_of(
        &mut self,
        tenant: &TenantId,
        case_id: i64,
    ) -> Result<Vec<StoredStatement>, StoreError>;

    /// Replaces the body of claim statement `id` of case `case_id` (JSON).
    async fn overwrite_claim_statement(
        &mut self,
        case_id: i64,
        id: i64,
        body: &serde_json::Value,
    ) -> Result<(), StoreError>;

    /// The lines of `tenant`'s never-dunned invoices to the debtor, by invoice and position.
    async fn issued_lines_of(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
    ) -> Result<Vec<IssuedLineRecord>, StoreError>;

    /// Deletes them; returns how many.
    async fn delete_issued_lines(&mut self, tenant: &TenantId, debtor: &DebtorId) -> Result<u64, StoreError>;

    /// `tenant`'s audit entries about the debtor itself (not about one of its cases), oldest first.
    async fn debtor_audit(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Overwrites the debtor's row: `name` as given, every other personal column (contact
    /// person, email, phone, WhatsApp number and opt-in flag, Messenger id, address lines,
    /// postal code, city, the addresses remembered as unreachable) emptied. Kind, language,
    /// time zone and country stay. `false` when the tenant has no such debtor.
    async fn overwrite_debtor(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Sets the `detail` of each of the debtor's consent events that has one to `detail`.
    async fn overwrite_consent_details(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
        detail: &str,
    ) -> Result<u64, StoreError>;

    /// Sets each error text (`last_error`, `receipt_error`) the case's reminders carry to `text`.
    async fn overwrite_reminder_errors(&mut self, case_id: i64, text: &str) -> Result<u64, StoreError>;

    /// Sets the free-text `details` of the case's disputes to `text`.
    async fn overwrite_dispute_details(&mut self, case_id: i64, text: &str) -> Result<u64, StoreError>;

    /// Sets before and after of `tenant`'s audit entries about the debtor with one of `actions`
    /// to `replacement` (JSON).
    async fn overwrite_debtor_audit(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
        actions: &[&str],
        replacement: &serde_json::Value,
    ) -> Result<u64, StoreError>;

    /// Replaces the body of event `id` of case `case_id` (JSON).
    async fn overwrite_event(
        &mut self,
        case_id: i64,
        id: i64,
        data: &serde_json::Value,
    ) -> Result<(), StoreError>;

    /// Deletes what was recommended for case `case_id`: the list, its items and the later
    /// purchases found for them. Returns how many lists (0 or 1).
    async fn delete_recommendations(&mut self, case_id: i64) -> Result<u64, StoreError>;

    /// The case's thank-you message: a pending one is withheld (finished at `now`, never sent)
    /// and an error text it carries becomes `text`. Returns how many messages changed.
    async fn withhold_thank_you(
        &mut self,
        case_id: i64,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// The case's shop webhook: its stored body becomes `body`, and a pending one fails with
    /// `reason` (finished at `now`, never delivered). Returns how many deliveries changed.
    async fn erase_shop_webhook(
        &mut self,
        case_id: i64,
        body: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Empties the stored payload of `tenant`'s rejected intake messages about one of
    /// `invoice_numbers` (the reason and field stay).
    async fn empty_rejected_payloads(
        &mut self,
        tenant: &TenantId,
        invoice_numbers: &[String],
    ) -> Result<u64, StoreError>;
}
