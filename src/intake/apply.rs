//! Applying a batch of intake commands in one transaction: runs of overdue invoices are stored
//! together (one batch of statements however long the run), payments go through
//! [`crate::pay::record_payment`], cancellations close the case.

use super::command::{IntakeCommand, IntakeOutcome};
use crate::domain::{AttributionWindow, CaseEvent, InvoiceNumber, TenantId};
use crate::pay::dispute::{resolve_dispute, DisputeOutcome};
use crate::pay::{record_payment, PaymentOutcome};
use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::Arrival;
use crate::store::{Store, StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Applies `commands` in order, in one transaction, and reports each one's outcome. Replaying
/// the same commands changes nothing.
pub async fn apply_commands(
    store: &dyn Store,
    commands: &[IntakeCommand],
    window: AttributionWindow,
    now: DateTime<Utc>,
) -> Result<Vec<IntakeOutcome>, StoreError> {
    let mut tx = store.begin().await?;
    let mut outcomes = Vec::with_capacity(commands.len());
    let mut rest = commands;
    while let Some(first) = rest.first() {
        let run_len = rest.iter().take_while(|c| matches!(c, IntakeCommand::Overdue { .. })).count();
        if run_len > 0 {
            let run: Vec<Arrival<'_>> = rest[..run_len]
                .iter()
                .filter_map(|c| match c {
                    IntakeCommand::Overdue { invoice, plan, received_at } => {
                        Some(Arrival { invoice, plan, received_at: *received_at })
                    }
                    _ => None,
                })
                .collect();
            let created = tx.insert_overdue(&run).await?;
            outcomes.extend(created.into_iter().map(|new| {
                if new {
                    IntakeOutcome::Created
                } else {
                    IntakeOutcome::Duplicate
                }
            }));
            rest = &rest[run_len..];
            continue;
        }
        outcomes.push(match first {
            IntakeCommand::Paid(payment) => match record_payment(tx.as_mut(), payment, window, now).await? {
                PaymentOutcome::Recorded { case_closed } => IntakeOutcome::PaymentRecorded { case_closed },
                PaymentOutcome::Duplicate => IntakeOutcome::PaymentDuplicate,
                PaymentOutcome::UnknownInvoice => IntakeOutcome::UnknownInvoice,
                PaymentOutcome::CurrencyMismatch { expected } => IntakeOutcome::CurrencyMismatch { expected },
            },
            IntakeCommand::Cancelled { tenant, invoice_number, at } => {
                cancel(tx.as_mut(), tenant, invoice_number, *at).await?
            }
            IntakeCommand::DisputeResolved { tenant, invoice_number, resolution, note, at } => {
                match resolve_dispute(tx.as_mut(), tenant, invoice_number, *resolution, note, *at).await? {
                    DisputeOutcome::Done => IntakeOutcome::DisputeResolved,
                    DisputeOutcome::Unknown => IntakeOutcome::UnknownInvoice,
                    DisputeOutcome::Closed(_) => IntakeOutcome::AlreadyClosed,
                    DisputeOutcome::Unchanged => IntakeOutcome::NoOpenDispute,
                }
            }
            IntakeCommand::Overdue { .. } => unreachable!("runs of overdue invoices are applied above"),
        });
        rest = &rest[1..];
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The creditor cancelled the invoice: the case closes as cancelled (unless it is closed
/// already), its pending reminders are cancelled, and `case.cancelled` says what was still open.
async fn cancel(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    number: &InvoiceNumber,
    at: DateTime<Utc>,
) -> Result<IntakeOutcome, StoreError> {
    let Some(case) = tx.lock_case_by_invoice(tenant, number).await? else {
        return Ok(IntakeOutcome::UnknownInvoice);
    };
    let Ok(cancelled) = case.state.apply(CaseEvent::Cancelled) else {
        return Ok(IntakeOutcome::AlreadyClosed);
    };
    tx.close_case(&case, cancelled, at).await?;
    let body =
        EventBody::CaseCancelled { open_amount: case.open_amount(), currency: case.amount_due.currency() };
    tx.append_events(&[NewEvent::from(&case.subject().event(at, body))]).await?;
    Ok(IntakeOutcome::CaseCancelled)
}
