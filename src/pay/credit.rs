//! The creditor's credit or write-off of part or all of a claim (the console's intervention): a
//! credit (a credit note, a goodwill discount) or a write-off (given up as uncollectable)
//! reduces what is open like a payment that is no money. It is recorded through the one payment
//! rule ([`super::record_payment`]) with its own source ([`PaymentSource::Credit`] or
//! [`PaymentSource::WriteOff`]), so it shows in the case's payments, in `payment.recorded` and in
//! the bookings export, and when it covers what is open the case closes as every payment closes
//! it: pending reminders cancelled, promise kept, instalment plan completed. No reminder earned
//! it, and the post-payment hooks do not thank the debtor for it.

use super::{record_payment, PaymentOutcome};
use crate::domain::legal::Germany;
use crate::domain::{
    AttributionWindow, CaseEvent, CaseState, FieldError, Money, PaymentRecord, PaymentSource, TenantId,
};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// One credit or write-off an operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRequest {
    /// [`PaymentSource::Credit`] or [`PaymentSource::WriteOff`].
    pub kind: PaymentSource,
    /// In the invoice's currency; `None`: everything still open.
    pub amount: Option<String>,
    /// Unique per case and kind: the same reference again changes nothing.
    pub reference: String,
}

/// What a credit or write-off did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditOutcome {
    /// Recorded: the case's state and open amount before and after.
    Done { amount: Decimal, open_before: Decimal, open_after: Decimal, before: CaseState, after: CaseState },
    /// A credit or write-off with this reference was recorded on the case before: nothing changed.
    Duplicate,
    /// The case is closed (paid or cancelled) or nothing is open on it; nothing changed.
    NotAllowed(CaseState),
    /// The tenant has no such case.
    UnknownCase,
}

/// The kind of a credit by its name in the console's API (`credit`, `write_off`).
pub fn credit_kind(raw: &str) -> Result<PaymentSource, FieldError> {
    match raw {
        "credit" => Ok(PaymentSource::Credit),
        "write_off" => Ok(PaymentSource::WriteOff),
        _ => Err(FieldError::new("kind", "must be \"credit\" or \"write_off\"")),
    }
}

/// Credits or writes off part or all of `tenant`'s case `case_id` inside `tx`. The amount must
/// be positive and at most what is open, in the invoice's currency (else the error names
/// `amount`).
pub async fn credit_case(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    case_id: i64,
    request: &CreditRequest,
    window: AttributionWindow,
    law: &Germany,
    now: DateTime<Utc>,
) -> Result<Result<CreditOutcome, FieldError>, StoreError> {
    if request.kind.is_cash() {
        return Ok(Err(FieldError::new("kind", "must be \"credit\" or \"write_off\"")));
    }
    let Some(case) = tx.lock_tenant_case(tenant, case_id).await? else {
        return Ok(Ok(CreditOutcome::UnknownCase));
    };
    let open_before = case.open_amount();
    if case.state.is_final() || open_before <= Decimal::ZERO {
        return Ok(Ok(CreditOutcome::NotAllowed(case.state)));
    }
    let currency = case.amount_due.currency();
    let amount = match request.amount.as_deref() {
        None => Money::new(open_before, currency),
        Some(raw) => match Money::parse(raw.trim(), currency) {
            Ok(amount) if amount.amount() <= Decimal::ZERO => {
                return Ok(Err(FieldError::new("amount", "must be more than 0")))
            }
            Ok(amount) if amount.amount() > open_before => {
                let why = format!("is more than the {open_before} {currency} still open");
                return Ok(Err(FieldError::new("amount", why)));
            }
            Ok(amount) => amount,
            Err(e) => return Ok(Err(FieldError::new("amount", e))),
        },
    };
    let record = PaymentRecord {
        tenant: tenant.clone(),
        invoice_number: case.invoice_number.clone(),
        amount: Some(amount),
        paid_at: now,
        source: request.kind,
        reference: request.reference.clone(),
    };
    let law = law.clone();
    let law_of = move |_: &TenantId| law.clone();
    Ok(Ok(match record_payment(tx, &record, window, &law_of, now).await? {
        PaymentOutcome::Recorded { case_closed } => CreditOutcome::Done {
            amount: amount.amount(),
            open_before,
            open_after: (open_before - amount.amount()).max(Decimal::ZERO),
            before: case.state,
            after: if case_closed {
                case.state.apply(CaseEvent::PaidInFull).unwrap_or(case.state)
            } else {
                case.state
            },
        },
        PaymentOutcome::Duplicate => CreditOutcome::Duplicate,
        PaymentOutcome::UnknownInvoice | PaymentOutcome::CurrencyMismatch { .. } => {
            CreditOutcome::UnknownCase
        }
    }))
}
