//! Applying a batch of intake commands in one transaction: runs of overdue invoices are stored
//! together (one batch of statements however long the run), payments and dispute resolutions go
//! to the pay stage's rules ([`Settle`]), cancellations close the case, issued invoices add their
//! lines to the purchase history. The marketing consent claim of a new overdue invoice, or of an
//! issued one, goes to the marketing ledger ([`super::marketing`]).

use super::command::{IntakeCommand, IntakeOutcome};
use super::settle::Settle;
use crate::domain::legal::CaseClaim;
use crate::domain::{AttributionWindow, CaseEvent, Invoice, InvoiceNumber, TenantId};
use crate::runtime::{EventBody, NewEvent};
use crate::store::recommend::IssuedLine;
use crate::store::tx::Arrival;
use crate::store::{Store, StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Applies `commands` in order, in one transaction, and reports each one's outcome; payments
/// and dispute resolutions through `settle`. Replaying the same commands changes nothing.
pub async fn apply_commands(
    store: &dyn Store,
    settle: &dyn Settle,
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
                    IntakeCommand::Overdue { invoice, plan, received_at, .. } => Some(Arrival {
                        invoice,
                        plan,
                        received_at: *received_at,
                        default_on: CaseClaim::arriving(invoice).default_to_store(received_at.date_naive()),
                    }),
                    _ => None,
                })
                .collect();
            let created = tx.insert_overdue(&run).await?;
            // Only a new invoice's claim counts, as with its contact data: a replay writes nothing.
            for (command, &new) in rest[..run_len].iter().zip(&created) {
                let IntakeCommand::Overdue { invoice, marketing_consent: Some(claim), received_at, .. } =
                    command
                else {
                    continue;
                };
                if new {
                    super::marketing::record(tx.as_mut(), invoice, claim, *received_at).await?;
                }
            }
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
            IntakeCommand::Paid(payment) => settle.record_payment(tx.as_mut(), payment, window, now).await?,
            IntakeCommand::Cancelled { tenant, invoice_number, at } => {
                cancel(tx.as_mut(), tenant, invoice_number, *at).await?
            }
            IntakeCommand::DisputeResolved { tenant, invoice_number, resolution, note, at } => {
                settle.resolve_dispute(tx.as_mut(), tenant, invoice_number, *resolution, note, *at).await?
            }
            IntakeCommand::Issued { invoice, received_at, marketing_consent } => {
                let new = tx.insert_issued_lines(&issued_lines(invoice)).await?;
                if let Some(claim) = marketing_consent {
                    super::marketing::record_issued(tx.as_mut(), invoice, claim, *received_at).await?;
                }
                IntakeOutcome::Issued { new }
            }
            IntakeCommand::CatalogueItem { tenant, item, received_at } => {
                tx.upsert_catalogue(tenant, std::slice::from_ref(item), *received_at).await?;
                IntakeOutcome::CatalogueItem
            }
            IntakeCommand::Overdue { .. } => unreachable!("runs of overdue invoices are applied above"),
        });
        rest = &rest[1..];
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The lines with a SKU of an issued invoice, as purchase history: whole items (a fraction
/// rounds up), the amount in cents.
fn issued_lines(invoice: &Invoice) -> Vec<IssuedLine> {
    use rust_decimal::prelude::ToPrimitive;
    invoice
        .lines
        .iter()
        .enumerate()
        .filter_map(|(position, line)| {
            let sku = line.sku.clone().filter(|s| !s.is_empty())?;
            let cents = (line.quantity * line.unit_price * rust_decimal::Decimal::ONE_HUNDRED).round();
            Some(IssuedLine {
                tenant: invoice.tenant.clone(),
                invoice_number: invoice.number.to_string(),
                position: position as i32,
                debtor_id: invoice.debtor.id.clone(),
                segment: invoice.debtor.kind.as_str().to_owned(),
                sku,
                issued_on: invoice.issued_on,
                quantity: line.quantity.ceil().to_i64().unwrap_or(i64::MAX).max(1),
                amount_cents: cents.to_i64().unwrap_or(i64::MAX),
            })
        })
        .collect()
}

/// The creditor cancelled the invoice: the case closes as cancelled (unless it is closed
/// already), its pending reminders are cancelled, and `case.cancelled` says what was still open.
/// The operator console cancels a case through this too.
pub async fn cancel(
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
