//! The store's narrow steps behind a tenant's statistics ([`TenantStatsSteps`], part of every
//! [`StoreTx`](super::StoreTx)): the facts each figure is computed from, read by tenant. The
//! figures themselves (open and collected amounts, DSO, paid shares, cost per collected euro)
//! are computed in `crate::learn::stats`.

use super::StoreError;
use crate::domain::{CaseState, PaymentSource, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// A case's amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAmounts {
    pub state: CaseState,
    pub currency: String,
    pub amount_due: Decimal,
    pub amount_paid: Decimal,
}

/// A payment (or credit, or write-off) with its case and the invoice's issue day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFact {
    pub case_id: i64,
    pub source: PaymentSource,
    pub currency: String,
    pub amount: Decimal,
    pub paid_at: DateTime<Utc>,
    pub issued_on: NaiveDate,
}

/// A sent stage reminder and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct SentFact {
    pub case_id: i64,
    /// 1-based.
    pub stage: u32,
    pub channel: String,
    pub local_hour: i32,
    /// 1 when a payment followed within the attribution window, 0 when none did; `None` while
    /// the window is open.
    pub reward: Option<f64>,
}

#[async_trait]
pub trait TenantStatsSteps: Send {
    /// Every case of `tenant` with its amounts.
    async fn case_amounts(&mut self, tenant: &TenantId) -> Result<Vec<CaseAmounts>, StoreError>;

    /// Every payment, credit and write-off of `tenant`.
    async fn payment_facts(&mut self, tenant: &TenantId) -> Result<Vec<PaymentFact>, StoreError>;

    /// The payments, credits and write-offs of `tenant` paid at or after `since`.
    async fn payment_facts_since(
        &mut self,
        tenant: &TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<PaymentFact>, StoreError>;

    /// Every stage reminder of `tenant` that was sent.
    async fn sent_facts(&mut self, tenant: &TenantId) -> Result<Vec<SentFact>, StoreError>;
}
