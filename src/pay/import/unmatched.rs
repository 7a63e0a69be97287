//! The lines no rule matched, kept for review (`mahnwerk payments unmatched`), and an operator's
//! decision about one (`mahnwerk payments assign LINE --invoice N`): its whole amount recorded
//! against that invoice through [`record_payment`](crate::pay::record_payment), under the line's
//! key, like any bank payment.

use crate::domain::legal::Germany;
use crate::domain::{AttributionWindow, InvoiceNumber, Money, PaymentSource, TenantId};
use crate::pay::{record_payment, PaymentOutcome, PaymentRecord};
use crate::store::bank::{BankLineStatus, LineSettlement, StoredBankLine};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// `tenant`'s lines waiting for review, oldest first.
pub async fn unmatched(store: &dyn Store, tenant: &TenantId) -> Result<Vec<StoredBankLine>, StoreError> {
    let mut tx = store.begin().await?;
    let lines = tx.bank_lines(tenant, BankLineStatus::Unmatched).await?;
    tx.commit().await?;
    Ok(lines)
}

/// Why a line could not be assigned.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("tenant '{tenant}' has no bank line {line}")]
    NoSuchLine { tenant: TenantId, line: i64 },
    #[error("bank line {line} is {status} already, not waiting for review")]
    NotUnmatched { line: i64, status: &'static str },
    #[error("tenant '{tenant}' has no invoice '{invoice}'")]
    UnknownInvoice { tenant: TenantId, invoice: InvoiceNumber },
    #[error("bank line {line} is in {found}, invoice '{invoice}' in {expected}")]
    CurrencyMismatch { line: i64, invoice: InvoiceNumber, found: String, expected: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an assignment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub case_closed: bool,
    /// What the line paid beyond what was open.
    pub credit: Decimal,
}

/// Records line `line` of `tenant` as payment of `invoice`, in one transaction.
pub async fn assign(
    store: &dyn Store,
    tenant: &TenantId,
    line: i64,
    invoice: &InvoiceNumber,
    window: AttributionWindow,
    law: &Germany,
    now: DateTime<Utc>,
) -> Result<Assigned, AssignError> {
    let mut tx = store.begin().await?;
    let stored = tx
        .lock_bank_line(tenant, line)
        .await?
        .ok_or_else(|| AssignError::NoSuchLine { tenant: tenant.clone(), line })?;
    if stored.status != BankLineStatus::Unmatched {
        return Err(AssignError::NotUnmatched { line, status: stored.status.as_str() });
    }
    let case = tx
        .lock_case_by_invoice(tenant, invoice)
        .await?
        .ok_or_else(|| AssignError::UnknownInvoice { tenant: tenant.clone(), invoice: invoice.clone() })?;
    let currency = case.amount_due.currency();
    if currency.code() != stored.currency {
        return Err(AssignError::CurrencyMismatch {
            line,
            invoice: invoice.clone(),
            found: stored.currency.clone(),
            expected: currency.code().to_owned(),
        });
    }
    let payment = PaymentRecord {
        tenant: tenant.clone(),
        invoice_number: invoice.clone(),
        amount: Some(Money::new(stored.amount, currency)),
        paid_at: super::paid_at(stored.booked_on),
        source: PaymentSource::Bank,
        reference: stored.line_key.clone(),
    };
    let credit = (stored.amount - case.open_amount()).max(Decimal::ZERO);
    let law = law.clone();
    let law_of = move |_: &TenantId| law.clone();
    let case_closed = match record_payment(tx.as_mut(), &payment, window, &law_of, now).await? {
        PaymentOutcome::Recorded { case_closed } => case_closed,
        PaymentOutcome::Duplicate => false,
        PaymentOutcome::UnknownInvoice => {
            return Err(AssignError::UnknownInvoice { tenant: tenant.clone(), invoice: invoice.clone() })
        }
        PaymentOutcome::CurrencyMismatch { expected } => {
            return Err(AssignError::CurrencyMismatch {
                line,
                invoice: invoice.clone(),
                found: stored.currency.clone(),
                expected,
            })
        }
    };
    let settlement = LineSettlement {
        status: BankLineStatus::Assigned,
        matched_by: "assigned",
        invoices: invoice.as_str(),
        credit,
    };
    tx.settle_bank_line(line, &settlement).await?;
    tx.commit().await?;
    Ok(Assigned { case_closed, credit })
}

/// The lines as a table for a terminal: id, booking date, amount, payer, remittance, and under a
/// line the import's note on it, if any.
pub fn table(lines: &[StoredBankLine]) -> String {
    let mut out = format!(
        "{:>8}  {:10}  {:>12}  {:3}  {:24}  {}\n",
        "line", "booked", "amount", "ccy", "payer", "remittance"
    );
    for line in lines {
        let payer: String = line.debtor_name.as_deref().unwrap_or("-").chars().take(24).collect();
        out.push_str(&format!(
            "{:>8}  {:10}  {:>12}  {:3}  {:24}  {}\n",
            line.id,
            line.booked_on,
            line.amount.normalize(),
            line.currency,
            payer,
            line.remittance
        ));
        if let Some(note) = &line.note {
            out.push_str(&format!("{:>8}  {note}\n", ""));
        }
    }
    out.push_str(&format!("{} line(s) waiting for review\n", lines.len()));
    out
}
