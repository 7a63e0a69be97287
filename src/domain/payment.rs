//! A payment as every source reports it ([`PaymentRecord`]), and where it came from
//! ([`PaymentSource`]). The source is recorded with every payment and in `payment.recorded`; a
//! payment's reference is unique per tenant and source, so a replay from one source is recorded
//! once.

use super::{InvoiceNumber, Money, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A payment from any source (`invoice.paid` message, pay-page, bank statement, or the
/// creditor's credit or write-off), before the pay stage records it.
#[derive(Debug, Clone)]
pub struct PaymentRecord {
    pub tenant: TenantId,
    pub invoice_number: InvoiceNumber,
    /// `None` means "paid in full": whatever was still open.
    pub amount: Option<Money>,
    pub paid_at: DateTime<Utc>,
    /// Where the payment came from.
    pub source: PaymentSource,
    /// Unique per (tenant, source, invoice): a replay with the same reference is recorded once;
    /// one transfer that pays two invoices is two payments with the same reference.
    pub reference: String,
}

/// The source of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentSource {
    /// An `invoice.paid` message from the creditor (AMQP intake).
    Amqp,
    /// A line of an imported bank statement (camt.053 or CSV).
    Bank,
    /// A card, wallet or direct-debit payment through Stripe Checkout on the pay-page.
    Stripe,
    /// The creditor credited part or all of the claim (a credit note, a goodwill discount): it
    /// reduces what is open like a payment, but no money came.
    Credit,
    /// The creditor wrote off part or all of the claim as uncollectable: no money came either.
    #[serde(rename = "write_off")]
    WriteOff,
}

impl PaymentSource {
    pub const ALL: [PaymentSource; 5] = [
        PaymentSource::Amqp,
        PaymentSource::Bank,
        PaymentSource::Stripe,
        PaymentSource::Credit,
        PaymentSource::WriteOff,
    ];

    /// The name stored with the payment and written in events.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentSource::Amqp => "amqp",
            PaymentSource::Bank => "bank",
            PaymentSource::Stripe => "stripe",
            PaymentSource::Credit => "credit",
            PaymentSource::WriteOff => "write_off",
        }
    }

    /// Whether money came: a credit or a write-off reduces the claim, but no reminder earned
    /// it and the debtor did not pay (no reward for the learner, no post-payment hooks).
    pub fn is_cash(self) -> bool {
        !matches!(self, PaymentSource::Credit | PaymentSource::WriteOff)
    }
}

impl fmt::Display for PaymentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_name_is_the_serialised_one() {
        for source in PaymentSource::ALL {
            assert_eq!(serde_json::to_value(source).unwrap(), source.as_str());
        }
    }
}
