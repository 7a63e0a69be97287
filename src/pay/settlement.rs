//! The pay stage's side of intake's hand-over ([`crate::intake::Settle`]): an `invoice.paid`
//! message is recorded through [`record_payment`] like every other payment, and a
//! `case.dispute_resolved` message goes through [`resolve_dispute`], each answered in intake's
//! terms.

use super::dispute::{resolve_dispute, DisputeOutcome};
use super::{record_payment, PaymentOutcome};
use crate::domain::legal::{statutory_law, TenantLaw};
use crate::domain::{AttributionWindow, DisputeResolution, InvoiceNumber, PaymentRecord, TenantId};
use crate::intake::{IntakeOutcome, Settle};
use crate::store::{StoreError, StoreTx};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The pay stage's rules as intake calls them, payments applied under each tenant's law.
#[derive(Clone)]
pub struct Settlement {
    law: Arc<TenantLaw>,
}

impl Settlement {
    pub fn new(law: Arc<TenantLaw>) -> Self {
        Self { law }
    }

    /// Payments applied under the statute's defaults for every tenant (no creditor settings).
    pub fn statutory() -> Self {
        Self::new(Arc::new(statutory_law))
    }
}

#[async_trait]
impl Settle for Settlement {
    async fn record_payment(
        &self,
        tx: &mut dyn StoreTx,
        payment: &PaymentRecord,
        window: AttributionWindow,
        now: DateTime<Utc>,
    ) -> Result<IntakeOutcome, StoreError> {
        Ok(match record_payment(tx, payment, window, self.law.as_ref(), now).await? {
            PaymentOutcome::Recorded { case_closed } => IntakeOutcome::PaymentRecorded { case_closed },
            PaymentOutcome::Duplicate => IntakeOutcome::PaymentDuplicate,
            PaymentOutcome::UnknownInvoice => IntakeOutcome::UnknownInvoice,
            PaymentOutcome::CurrencyMismatch { expected } => IntakeOutcome::CurrencyMismatch { expected },
        })
    }

    async fn resolve_dispute(
        &self,
        tx: &mut dyn StoreTx,
        tenant: &TenantId,
        number: &InvoiceNumber,
        resolution: DisputeResolution,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<IntakeOutcome, StoreError> {
        Ok(match resolve_dispute(tx, tenant, number, resolution, note, at).await? {
            DisputeOutcome::Done => IntakeOutcome::DisputeResolved,
            DisputeOutcome::Unknown => IntakeOutcome::UnknownInvoice,
            DisputeOutcome::Closed(_) => IntakeOutcome::AlreadyClosed,
            DisputeOutcome::Unchanged => IntakeOutcome::NoOpenDispute,
        })
    }
}
