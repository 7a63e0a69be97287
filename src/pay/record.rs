//! Recording payments: the entry points every source of payments goes through. One payment is a
//! batch of one; the rule is in [`super::rule`], the batch in [`super::batch`].

use super::batch::PaymentBatch;
use super::PaymentRecord;
use crate::domain::legal::TenantLaw;
use crate::domain::AttributionWindow;
use crate::store::{Store, StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// What recording a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Recorded; `case_closed` when it covered what was due and the case was open until then.
    Recorded { case_closed: bool },
    /// A payment with this (tenant, source, invoice, reference) was recorded before: nothing changed.
    Duplicate,
    /// The tenant has no invoice with this number.
    UnknownInvoice,
    /// The payment's currency is not the invoice's; nothing changed.
    CurrencyMismatch { expected: String },
}

/// Records `payment` in its own transaction (see [`record_payment`]).
pub async fn record(
    store: &dyn Store,
    payment: &PaymentRecord,
    window: AttributionWindow,
    law: &TenantLaw,
    now: DateTime<Utc>,
) -> Result<PaymentOutcome, StoreError> {
    let mut tx = store.begin().await?;
    let outcome = record_payment(tx.as_mut(), payment, window, law, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Records `payment` inside `tx`: the invoice's paid amount grows by it (by what was still open
/// when it names no amount); when that covers what is due, the case closes as paid, its pending
/// reminders are cancelled, and the last reminder sent within `window` before the payment is
/// credited with reward 1 (the case's other sent reminders without an outcome get 0). A partial
/// payment leaves the case open and dunning goes on for the rest. `payment.recorded` says what
/// happened, and a case it closes is queued for the post-payment hooks. How it was applied
/// (§§ 366, 367 BGB, under the tenant's `law`) is stored with it. A replay (same tenant,
/// source, invoice and reference) changes nothing; the same
/// reference on another invoice (one transfer paying two) is another payment.
#[tracing::instrument(
    name = "record_payment",
    skip_all,
    fields(tenant = %payment.tenant, invoice = %payment.invoice_number, source = payment.source.as_str())
)]
pub async fn record_payment(
    tx: &mut dyn StoreTx,
    payment: &PaymentRecord,
    window: AttributionWindow,
    law: &TenantLaw,
    now: DateTime<Utc>,
) -> Result<PaymentOutcome, StoreError> {
    Ok(record_payments(tx, std::slice::from_ref(payment), window, law, now).await?.remove(0))
}

/// Records `payments` inside `tx`, in order, each as [`record_payment`] would after the ones
/// before it, with a few statements for all of them.
pub async fn record_payments(
    tx: &mut dyn StoreTx,
    payments: &[PaymentRecord],
    window: AttributionWindow,
    law: &TenantLaw,
    now: DateTime<Utc>,
) -> Result<Vec<PaymentOutcome>, StoreError> {
    let mut batch = PaymentBatch::new(window, law, now);
    batch.lock(tx, payments.iter().map(|p| (p.tenant.clone(), p.invoice_number.clone()))).await?;
    let mut outcomes = Vec::with_capacity(payments.len());
    for payment in payments {
        outcomes.push(batch.add(tx, payment).await?);
    }
    batch.write(tx).await?;
    Ok(outcomes)
}
