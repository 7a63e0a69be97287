//! Starting a card, wallet or direct-debit payment from the pay-page: the reminder whose link the
//! debtor followed names the invoice; the PSP gets one checkout per attempt (a fresh idempotency
//! key each time the debtor presses the button, the same key for the PSP client's own retries)
//! and the page redirects the debtor to it. The payment itself is recorded later, from the PSP's
//! webhook ([`super::psp::stripe_events`]).

use super::psp::{Checkout, CheckoutRequest, Psp, PspError};
use crate::domain::{CaseState, Money, TenantId};
use crate::store::{Store, StoreError};

/// What the pay-page knows when the debtor chooses to pay by card.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutStart {
    /// From the verified pay-link.
    pub tenant: TenantId,
    pub reminder_id: i64,
    /// What is owed today (principal, fees, interest, less what was paid), in the invoice's
    /// currency.
    pub amount: Money,
    /// The line the debtor sees at the PSP, in the page's language; `None`: the invoice number.
    pub description: Option<String>,
    /// The page's language (`de`); `None`: the debtor's.
    pub locale: Option<String>,
    /// Back to the pay-page: after paying (the thank-you view), and after giving up.
    pub success_url: String,
    pub cancel_url: String,
}

/// Why no checkout was started.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// No such reminder for this tenant (the page answers as for an unknown link).
    #[error("no reminder {0} for this tenant")]
    UnknownReminder(i64),
    /// The case is paid, cancelled or otherwise closed: nothing to pay any more.
    #[error("the case is {0}: nothing to pay")]
    NothingToPay(CaseState),
    /// The amount is not in the invoice's currency.
    #[error("amount: in {given}, but the invoice is in {expected}")]
    Currency { given: String, expected: String },
    #[error(transparent)]
    Psp(#[from] PspError),
    #[error("reading the reminder: {0}")]
    Store(#[from] StoreError),
}

/// Starts a checkout at `psp` for what `start` says is owed on the invoice of its reminder.
#[tracing::instrument(skip_all, fields(tenant = %start.tenant, reminder_id = start.reminder_id))]
pub async fn checkout(
    store: &dyn Store,
    psp: &dyn Psp,
    start: &CheckoutStart,
) -> Result<Checkout, CheckoutError> {
    let job = store
        .delivery_jobs(&[start.reminder_id])
        .await?
        .into_iter()
        .find(|job| job.tenant == start.tenant)
        .ok_or(CheckoutError::UnknownReminder(start.reminder_id))?;
    if job.case_state.is_final() {
        return Err(CheckoutError::NothingToPay(job.case_state));
    }
    let expected = job.amount_due.currency();
    if start.amount.currency() != expected {
        return Err(CheckoutError::Currency {
            given: start.amount.currency().code().to_owned(),
            expected: expected.code().to_owned(),
        });
    }
    let request = CheckoutRequest {
        tenant: job.tenant,
        invoice_number: job.invoice_number.clone(),
        reminder_id: start.reminder_id,
        amount: start.amount,
        description: start.description.clone().unwrap_or_else(|| job.invoice_number.as_str().to_owned()),
        customer_email: job.debtor.email.map(|e| e.as_str().to_owned()),
        locale: start.locale.clone().unwrap_or_else(|| job.debtor.language.primary().to_owned()),
        success_url: start.success_url.clone(),
        cancel_url: start.cancel_url.clone(),
        idempotency_key: format!("chk-{}-{}", start.reminder_id, uuid::Uuid::new_v4()),
    };
    Ok(psp.start_checkout(&request).await?)
}
