//! Recording one payment: the rule every source of payments goes through.

use super::PaymentRecord;
use crate::domain::{AttributionWindow, CaseEvent, CaseState, Money, PromiseState};
use crate::runtime::events::record_outcomes;
use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::{LockedCase, NewPayment};
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
    now: DateTime<Utc>,
) -> Result<PaymentOutcome, StoreError> {
    let mut tx = store.begin().await?;
    let outcome = record_payment(tx.as_mut(), payment, window, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Records `payment` inside `tx`: the invoice's paid amount grows by it (by what was still open
/// when it names no amount); when that covers what is due, the case closes as paid, its pending
/// reminders are cancelled, and the last reminder sent within `window` before the payment is
/// credited with reward 1 (the case's other sent reminders without an outcome get 0). A partial
/// payment leaves the case open and dunning goes on for the rest. `payment.recorded` says what
/// happened, and a case it closes is queued for the post-payment hooks. A replay (same tenant,
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
    now: DateTime<Utc>,
) -> Result<PaymentOutcome, StoreError> {
    let Some(case) = tx.lock_case_by_invoice(&payment.tenant, &payment.invoice_number).await? else {
        return Ok(PaymentOutcome::UnknownInvoice);
    };
    let currency = case.amount_due.currency();
    if let Some(amount) = &payment.amount {
        if amount.currency() != currency {
            return Ok(PaymentOutcome::CurrencyMismatch { expected: currency.code().to_owned() });
        }
    }
    let amount = payment.amount.map(|m| m.amount()).unwrap_or_else(|| case.open_amount());
    let new_payment = NewPayment {
        tenant: &payment.tenant,
        invoice_id: case.invoice_id,
        amount: Money::new(amount, currency),
        paid_at: payment.paid_at,
        source: payment.source,
        reference: &payment.reference,
        recorded_at: now,
    };
    if !tx.insert_payment(&new_payment).await? {
        return Ok(PaymentOutcome::Duplicate);
    }
    // Counted as the transaction records it: one whose commit then fails and that is retried
    // counts twice (rare: the database refusing a whole batch).
    metrics::counter!(
        crate::observe::names::PAYMENTS,
        "source" => payment.source.as_str(),
        "tenant" => payment.tenant.as_str().to_owned()
    )
    .increment(1);
    let paid = case.amount_paid + amount;
    tx.set_amount_paid(case.invoice_id, paid).await?;
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
            remaining: (case.amount_due.amount() - paid).max(rust_decimal::Decimal::ZERO),
            case_closed: closes.is_some(),
        },
    );
    tx.append_events(&[NewEvent::from(&recorded)]).await?;
    let Some(paid_state) = closes else {
        // Only a paused case can be on an instalment plan.
        if case.state == CaseState::Paused {
            super::instalments::cancel_paid_reminders(tx, &case, paid, now).await?;
        }
        return Ok(PaymentOutcome::Recorded { case_closed: false });
    };
    tx.close_case(&case, paid_state, payment.paid_at).await?;
    // The post-payment hooks (`crate::hooks`) run after this commits, from this outbox row: once
    // per case, whichever source paid it.
    tx.queue_paid_case(case.case_id, payment.paid_at).await?;
    if let Some(promised_on) = tx.end_promise(case.case_id, PromiseState::Kept, now).await? {
        let kept = case.subject().event(payment.paid_at, EventBody::PromiseKept { promised_on });
        tx.append_events(&[NewEvent::from(&kept)]).await?;
    }
    if tx.end_instalments(case.case_id, PromiseState::Kept, now).await? {
        let completed = case.subject().event(payment.paid_at, EventBody::InstalmentsCompleted);
        tx.append_events(&[NewEvent::from(&completed)]).await?;
    }
    credit_reminders(tx, &case, payment.paid_at, window).await?;
    Ok(PaymentOutcome::Recorded { case_closed: true })
}

/// The reminder that earned the payment gets reward 1, the case's other sent reminders without
/// an outcome 0, each with its `reminder.outcome` event.
async fn credit_reminders(
    tx: &mut dyn StoreTx,
    case: &LockedCase,
    paid_at: DateTime<Utc>,
    window: AttributionWindow,
) -> Result<(), StoreError> {
    let unsettled = tx.unsettled_reminders(case.case_id).await?;
    let earner = window.earner(unsettled.iter().map(|r| (r.id, r.sent_at)), paid_at);
    let mut settled = Vec::new();
    if let Some(id) = earner {
        // Only where no outcome is set yet: a scheduler settling closed windows may have got there first.
        settled.extend(tx.set_reward(&[id], 1.0).await?);
    }
    let rest: Vec<i64> = unsettled.iter().map(|r| r.id).filter(|&id| Some(id) != earner).collect();
    settled.extend(tx.set_reward(&rest, 0.0).await?);
    settled.sort_unstable();
    record_outcomes(tx, &settled, paid_at).await
}
