//! The store's narrow steps for the bank statement import ([`BankSteps`], part of every
//! [`StoreTx`](super::StoreTx)): the imported lines as rows, and the lookups that matching needs
//! (invoices by their number's match key, open invoices by amount). Matching itself, and what a
//! payment does, are decided in `crate::pay::import`; these steps only read and write rows.

use super::StoreError;
use crate::domain::{CaseState, Currency, DebtorId, InvoiceNumber, Money, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// What became of an imported bank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BankLineStatus {
    /// Recorded as payment of one or more invoices when it was imported.
    Matched,
    /// Kept for review: nothing matched it (or what matched could not take it).
    Unmatched,
    /// Recorded as payment later, by an operator (`mahnwerk payments assign`).
    Assigned,
}

impl BankLineStatus {
    pub const ALL: [BankLineStatus; 3] =
        [BankLineStatus::Matched, BankLineStatus::Unmatched, BankLineStatus::Assigned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Matched => "matched",
            Self::Unmatched => "unmatched",
            Self::Assigned => "assigned",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// An invoice a bank line may pay, with what is still open on it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceCandidate {
    pub invoice_number: InvoiceNumber,
    /// The number's match key, when the lookup went by key.
    pub match_key: Option<String>,
    /// What is still open (never negative), in the invoice's currency.
    pub open: Money,
    pub state: CaseState,
    pub debtor_name: String,
}

/// One open invoice of a debtor, for a line that names none (§ 366 (2) BGB).
#[derive(Debug, Clone, PartialEq)]
pub struct DebtorInvoice {
    pub debtor: DebtorId,
    pub invoice_number: InvoiceNumber,
    pub case_id: i64,
    pub state: CaseState,
    pub currency: Currency,
}

/// An imported bank line as it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBankLine<'a> {
    pub tenant: &'a TenantId,
    pub line_key: &'a str,
    pub booked_on: NaiveDate,
    pub amount: Money,
    pub debtor_name: Option<&'a str>,
    pub remittance: &'a str,
    pub status: BankLineStatus,
    /// Which rule matched it (`reference`, `invoice_number`, `amount_and_name`, `assigned`).
    pub matched_by: Option<&'static str>,
    /// The invoice numbers it paid, comma-separated, in order.
    pub invoices: Option<String>,
    /// What it paid beyond the open amounts: a credit in the debtor's favour.
    pub credit: Decimal,
    pub imported_at: DateTime<Utc>,
    /// Why it waits for review, when the import knows more than that nothing matched.
    pub note: Option<String>,
}

/// A bank line read back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredBankLine {
    pub id: i64,
    pub line_key: String,
    pub booked_on: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    pub debtor_name: Option<String>,
    pub remittance: String,
    pub status: BankLineStatus,
    pub matched_by: Option<String>,
    pub invoices: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub credit: Decimal,
    pub imported_at: DateTime<Utc>,
    /// Why it waits for review, when the import knew more than that nothing matched.
    pub note: Option<String>,
}

/// How an operator's decision settles a line ([`BankSteps::settle_bank_line`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LineSettlement<'a> {
    pub status: BankLineStatus,
    pub matched_by: &'static str,
    pub invoices: &'a str,
    pub credit: Decimal,
}

#[async_trait]
pub trait BankSteps: Send {
    /// Up to `limit` of `tenant`'s invoices whose match key is not stored yet, by id.
    async fn invoices_without_match_key(
        &mut self,
        tenant: &TenantId,
        limit: u32,
    ) -> Result<Vec<(i64, InvoiceNumber)>, StoreError>;

    /// Stores match keys of `tenant`'s invoices: (invoice id, key).
    async fn save_match_keys(&mut self, tenant: &TenantId, keys: &[(i64, String)]) -> Result<(), StoreError>;

    /// `tenant`'s invoices whose match key is one of `keys` (any state).
    async fn invoices_by_match_key(
        &mut self,
        tenant: &TenantId,
        keys: &[String],
    ) -> Result<Vec<InvoiceCandidate>, StoreError>;

    /// `tenant`'s invoices whose case is neither paid nor cancelled and whose open amount,
    /// in hundredths, is one of `cents` (the caller compares exactly).
    async fn open_invoices_by_cents(
        &mut self,
        tenant: &TenantId,
        cents: &[i64],
    ) -> Result<Vec<InvoiceCandidate>, StoreError>;

    /// `tenant`'s debtors whose stored IBAN is one of `ibans` (electronic form): (IBAN, debtor),
    /// by IBAN and debtor id. An IBAN stored for several debtors comes once for each.
    async fn debtors_by_iban(
        &mut self,
        tenant: &TenantId,
        ibans: &[String],
    ) -> Result<Vec<(String, DebtorId)>, StoreError>;

    /// The invoices of `tenant`'s `debtors` whose case is neither paid nor cancelled, by invoice id.
    async fn open_invoices_of_debtors(
        &mut self,
        tenant: &TenantId,
        debtors: &[DebtorId],
    ) -> Result<Vec<DebtorInvoice>, StoreError>;

    /// Those of `keys` that are stored for `tenant` already.
    async fn known_bank_lines(
        &mut self,
        tenant: &TenantId,
        keys: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// Stores lines; a (tenant, key) stored already is left alone. Returns how many were new.
    async fn insert_bank_lines(&mut self, lines: &[NewBankLine<'_>]) -> Result<u64, StoreError>;

    /// `tenant`'s lines with `status`, oldest first.
    async fn bank_lines(
        &mut self,
        tenant: &TenantId,
        status: BankLineStatus,
    ) -> Result<Vec<StoredBankLine>, StoreError>;

    /// `tenant`'s line `id`, locked; `None` when there is no such line.
    async fn lock_bank_line(
        &mut self,
        tenant: &TenantId,
        id: i64,
    ) -> Result<Option<StoredBankLine>, StoreError>;

    /// Writes what became of line `id`.
    async fn settle_bank_line(&mut self, id: i64, settlement: &LineSettlement<'_>) -> Result<(), StoreError>;
}
