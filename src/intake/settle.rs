//! What intake hands on to the pay stage. A payment the creditor reports (`invoice.paid`) and
//! the creditor's resolution of a dispute (`case.dispute_resolved`) arrive on intake's queue but
//! are the pay stage's rules, applied inside intake's transaction. Intake names the hand-over
//! here; the pay stage implements it (`crate::pay::Settlement`) and the role wiring passes it
//! in, so intake never imports a stage that comes after it on the data's path.

use super::IntakeOutcome;
use crate::domain::{AttributionWindow, DisputeResolution, InvoiceNumber, PaymentRecord, TenantId};
use crate::store::{StoreError, StoreTx};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The pay stage's rules for the two commands intake cannot apply itself.
#[async_trait]
pub trait Settle: Send + Sync {
    /// Records `payment` through the one payment path, in `tx`.
    async fn record_payment(
        &self,
        tx: &mut dyn StoreTx,
        payment: &PaymentRecord,
        window: AttributionWindow,
        now: DateTime<Utc>,
    ) -> Result<IntakeOutcome, StoreError>;

    /// Applies the creditor's resolution of the dispute on the invoice's case, in `tx`.
    async fn resolve_dispute(
        &self,
        tx: &mut dyn StoreTx,
        tenant: &TenantId,
        number: &InvoiceNumber,
        resolution: DisputeResolution,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<IntakeOutcome, StoreError>;
}
