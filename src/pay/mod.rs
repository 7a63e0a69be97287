//! Payments: every payment, from any source (an `invoice.paid` message, the pay-page, a bank
//! statement), is recorded through one function, [`record_payment`]: in one transaction it
//! closes or reduces the case, cancels pending reminders, credits the reminder that earned it
//! (the learner's reward) and emits `payment.recorded`. Bank statements are imported in
//! [`import`]; [`reference`] names an invoice on a transfer (the RF creditor reference).

pub mod import;
mod record;
pub mod reference;

pub use record::{record, record_payment, PaymentOutcome};

use crate::domain::{InvoiceNumber, Money, PaymentSource, TenantId};
use chrono::{DateTime, Utc};

/// A payment from any source (`invoice.paid` message, pay-page, bank statement).
#[derive(Debug, Clone)]
pub struct PaymentRecord {
    pub tenant: TenantId,
    pub invoice_number: InvoiceNumber,
    /// `None` means "paid in full": whatever was still open.
    pub amount: Option<Money>,
    pub paid_at: DateTime<Utc>,
    /// Where the payment came from.
    pub source: PaymentSource,
    /// Unique per (tenant, source): a replay with the same reference is recorded once.
    pub reference: String,
}
