//! What a payment does, decided from the case as it stands: the one rule behind every payment,
//! alone or in a batch. No IO here; [`super::batch`] reads the cases and writes what is decided.
//!
//! A payment for an invoice the tenant does not have, or in another currency, changes nothing;
//! one recorded before under the same (source, reference) on the same invoice changes nothing.
//! Otherwise the invoice's paid amount grows by it (by what was still open when it names no
//! amount); when that covers what is due and the case can still close, it closes as paid: its
//! pending reminders are cancelled, it is queued for the post-payment hooks, an open promise is
//! kept and an open instalment plan completed, and the last reminder sent within the attribution
//! window before the payment earned it (reward 1; the case's other sent reminders without an
//! outcome get 0). A credit or write-off by the creditor ([`PaymentSource::is_cash`] false) is
//! decided the same way, except that no reminder earned it and the post-payment hooks skip it.

use super::{PaymentOutcome, PaymentRecord};
use crate::domain::{AttributionWindow, CaseEvent, CaseState, Money, PaymentSource};
use crate::runtime::{Event, EventBody};
use crate::store::payments::RecordedPayment;
use crate::store::tx::{LockedCase, UnsettledReminder};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::HashSet;

/// What one payment does.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    UnknownInvoice,
    CurrencyMismatch {
        expected: String,
    },
    Duplicate,
    /// Boxed: an event is larger than the other answers.
    Record(Box<Booking>),
}

/// A payment to record, and what it does to its invoice and case.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    /// In the invoice's currency.
    pub amount: Money,
    /// The invoice's paid amount with this payment.
    pub paid: Decimal,
    /// The case's final state, when this payment closes it.
    pub closes: Option<CaseState>,
    /// `payment.recorded`.
    pub recorded: Event,
}

impl Decision {
    /// What the caller is told.
    pub fn outcome(&self) -> PaymentOutcome {
        match self {
            Decision::UnknownInvoice => PaymentOutcome::UnknownInvoice,
            Decision::CurrencyMismatch { expected } => {
                PaymentOutcome::CurrencyMismatch { expected: expected.clone() }
            }
            Decision::Duplicate => PaymentOutcome::Duplicate,
            Decision::Record(booking) => PaymentOutcome::Recorded { case_closed: booking.closes.is_some() },
        }
    }
}

/// Decides `payment` against its invoice's `case` (`None`: no such invoice), given the payments
/// `recorded` on it so far.
pub fn decide(
    case: Option<&LockedCase>,
    payment: &PaymentRecord,
    recorded: &HashSet<RecordedPayment>,
) -> Decision {
    let Some(case) = case else { return Decision::UnknownInvoice };
    let currency = case.amount_due.currency();
    if let Some(amount) = &payment.amount {
        if amount.currency() != currency {
            return Decision::CurrencyMismatch { expected: currency.code().to_owned() };
        }
    }
    if recorded.contains(&key(case, payment)) {
        return Decision::Duplicate;
    }
    let amount = payment.amount.map(|m| m.amount()).unwrap_or_else(|| case.open_amount());
    let paid = case.amount_paid + amount;
    let closes =
        if paid >= case.amount_due.amount() { case.state.apply(CaseEvent::PaidInFull).ok() } else { None };
    let recorded = case.subject().event(
        payment.paid_at,
        EventBody::PaymentRecorded {
            amount,
            currency,
            source: payment.source,
            reference: payment.reference.clone(),
            paid_at: payment.paid_at,
            remaining: (case.amount_due.amount() - paid).max(Decimal::ZERO),
            case_closed: closes.is_some(),
        },
    );
    Decision::Record(Box::new(Booking { amount: Money::new(amount, currency), paid, closes, recorded }))
}

/// What makes `payment` unique on `case`'s invoice.
pub fn key(case: &LockedCase, payment: &PaymentRecord) -> RecordedPayment {
    RecordedPayment {
        invoice_id: case.invoice_id,
        source: payment.source,
        reference: payment.reference.clone(),
    }
}

impl Booking {
    /// The case as it stands after this payment: the paid amount grown, closed when it closes
    /// (nothing due any more).
    pub fn apply_to(&self, case: &mut LockedCase) {
        case.amount_paid = self.paid;
        if let Some(state) = self.closes {
            case.state = state;
            case.next_action_at = None;
        }
    }
}

/// Which sent reminders without an outcome a payment at `paid_at` settles, and how.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credit {
    /// The reminder that earned the payment: reward 1.
    pub earner: Option<i64>,
    /// The others: reward 0.
    pub others: Vec<i64>,
}

/// The credit for a payment from `source` at `paid_at` that closes a case with these `unsettled`
/// reminders. A credit or write-off is no money the debtor paid: no reminder earned it, so each
/// gets 0 (as when the attribution window closes unpaid).
pub fn credit(
    unsettled: &[UnsettledReminder],
    paid_at: DateTime<Utc>,
    window: AttributionWindow,
    source: PaymentSource,
) -> Credit {
    let earner = if source.is_cash() {
        window.earner(unsettled.iter().map(|r| (r.id, r.sent_at)), paid_at)
    } else {
        None
    };
    let others = unsettled.iter().map(|r| r.id).filter(|&id| Some(id) != earner).collect();
    Credit { earner, others }
}

/// The events of closing a case, after its `payment.recorded`: the promise it kept (its date, if
/// one was open), the instalment plan it completed (if one was open), then the outcomes of the
/// reminders it settled, in reminder id order.
pub fn closing_events(
    recorded: &Event,
    kept_promise: Option<NaiveDate>,
    completed_plan: bool,
    outcomes: Vec<Event>,
) -> Vec<Event> {
    let subject = crate::runtime::Subject {
        tenant: recorded.tenant.clone(),
        case_id: recorded.case_id,
        invoice_number: recorded.invoice_number.clone(),
        debtor_id: recorded.debtor_id.clone(),
    };
    let at = recorded.occurred_at;
    let mut events = Vec::with_capacity(2 + outcomes.len());
    if let Some(promised_on) = kept_promise {
        events.push(subject.event(at, EventBody::PromiseKept { promised_on }));
    }
    if completed_plan {
        events.push(subject.event(at, EventBody::InstalmentsCompleted));
    }
    events.extend(outcomes);
    events
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
