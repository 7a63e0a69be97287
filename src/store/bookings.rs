//! The store's narrow steps behind the bookings export ([`BookingSteps`], part of every
//! [`StoreTx`](super::StoreTx)): a tenant's payments, credits and write-offs of a period, and
//! the cases whose fees and interest may have grown in it. What becomes which booking, on which
//! accounts, is decided in `crate::pay::bookings`.

use super::StoreError;
use crate::domain::{CaseState, PaymentSource, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// A payment (or credit, or write-off) as the bookkeeping needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEntry {
    pub id: i64,
    pub invoice_number: String,
    pub debtor_id: String,
    pub amount: Decimal,
    pub currency: String,
    pub paid_at: DateTime<Utc>,
    pub source: PaymentSource,
    pub reference: String,
}

/// A case as the bookkeeping needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEntry {
    pub case_id: i64,
    pub invoice_number: String,
    pub debtor_id: String,
    pub state: CaseState,
    /// When the case last changed (for a closed case: when it closed).
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait BookingSteps: Send {
    /// `tenant`'s payments recorded as paid at or after `from` and before `until`, in the order
    /// they were paid.
    async fn payments_between(
        &mut self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<PaymentEntry>, StoreError>;

    /// Every case of `tenant`, by id.
    async fn case_entries(&mut self, tenant: &TenantId) -> Result<Vec<CaseEntry>, StoreError>;
}
