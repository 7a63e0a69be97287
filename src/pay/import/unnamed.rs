//! Credit lines that name no invoice of the tenant (§ 366 (2) BGB). When the payer's IBAN is the
//! one the creditor stored for exactly one debtor, the line's amount is applied to that debtor's
//! open invoices in the order the legal engine computes ([`unnamed_payment_over`]): one payment
//! per invoice it reaches, each through the one payment rule ([`PaymentBatch::add_unnamed`]) with
//! its allocation under § 367 within the invoice, referenced `<line key>/<invoice number>`. What
//! exceeds everything owed is kept as a line of its own for review. A payer's name alone
//! identifies no one (namesakes, a spouse paying): such a line stays unmatched, as does one whose
//! IBAN belongs to several debtors, with that reason.

use super::report::{InvoicePart, UnnamedApplied};
use super::{paid_at, StatementLine};
use crate::domain::legal::{unnamed_payment_over, CaseClaim, ReceivedPayment, TenantLaw};
use crate::domain::{AttributionWindow, CaseState, DebtorId, InvoiceNumber, Money, PaymentSource, TenantId};
use crate::pay::batch::PaymentBatch;
use crate::pay::{PaymentOutcome, PaymentRecord};
use crate::store::bank::DebtorInvoice;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// `matched_by` of a line applied under § 366 (2): its payer's IBAN said whose it is.
pub const MATCHED_BY: &str = "payer_iban";

/// The debtors of a chunk's lines by their payers' IBANs, with their open invoices.
#[derive(Debug, Default)]
pub struct Payers {
    by_iban: HashMap<String, Vec<DebtorId>>,
    open: HashMap<DebtorId, Vec<DebtorInvoice>>,
}

/// Who sent a line, as far as its IBAN tells.
#[derive(Debug, PartialEq)]
pub enum Payer<'a> {
    /// No IBAN on the line, or one no debtor has.
    Unknown,
    /// The one debtor with this IBAN, and its open invoices (any currency).
    Debtor(&'a DebtorId, &'a [DebtorInvoice]),
    /// The IBAN is stored for several debtors: which one paid is not known.
    Several(&'a [DebtorId]),
}

impl Payers {
    /// Looks up the payers of `lines`: two statements, none when no line carries an IBAN.
    pub async fn look_up<'l>(
        tx: &mut dyn StoreTx,
        tenant: &TenantId,
        lines: impl Iterator<Item = &'l StatementLine>,
    ) -> Result<Self, StoreError> {
        let mut ibans: Vec<String> =
            lines.filter_map(|l| l.payer_iban.as_ref()).map(|i| i.as_str().to_owned()).collect();
        ibans.sort_unstable();
        ibans.dedup();
        let mut payers = Payers::default();
        for (iban, debtor) in tx.debtors_by_iban(tenant, &ibans).await? {
            payers.by_iban.entry(iban).or_default().push(debtor);
        }
        let single: Vec<DebtorId> =
            payers.by_iban.values().filter(|d| d.len() == 1).map(|d| d[0].clone()).collect();
        for invoice in tx.open_invoices_of_debtors(tenant, &single).await? {
            payers.open.entry(invoice.debtor.clone()).or_default().push(invoice);
        }
        Ok(payers)
    }

    /// The open invoices of every debtor identified, to be locked with the chunk's others.
    pub fn invoices(&self) -> impl Iterator<Item = &InvoiceNumber> {
        self.open.values().flatten().map(|i| &i.invoice_number)
    }

    pub fn payer(&self, line: &StatementLine) -> Payer<'_> {
        let Some(debtors) = line.payer_iban.as_ref().and_then(|i| self.by_iban.get(i.as_str())) else {
            return Payer::Unknown;
        };
        match debtors.as_slice() {
            [one] => Payer::Debtor(one, self.open.get(one).map_or(&[][..], Vec::as_slice)),
            several => Payer::Several(several),
        }
    }
}

/// Why a line from a known payer was not applied, as the review list shows it.
pub fn several_debtors_note(debtors: &[DebtorId]) -> String {
    let ids: Vec<&str> = debtors.iter().map(DebtorId::as_str).collect();
    format!(
        "names no invoice; the payer's IBAN is stored for {} debtors ({}), so § 366 (2) BGB cannot say whose debts it pays",
        ids.len(),
        ids.join(", ")
    )
}

/// What became of a line applied under § 366 (2).
pub enum Unnamed {
    Applied(UnnamedApplied),
    /// Nothing recorded; the reason for the review list.
    NotApplied(String),
}

/// What applying a line needs besides the line.
pub struct Context<'a> {
    pub tenant: &'a TenantId,
    pub law: &'a TenantLaw,
    pub window: AttributionWindow,
    pub now: DateTime<Utc>,
}

/// Applies `line` (keyed `key`) from `debtor` to the debtor's open `invoices` in the line's
/// currency, in the order of § 366 (2) BGB, and records a payment per invoice reached. The
/// invoices are locked already (with the chunk's others); they are read again here, after the
/// chunk's other payments, so the order and the amounts see those.
pub async fn apply_unnamed(
    tx: &mut dyn StoreTx,
    cx: &Context<'_>,
    (key, line): (&str, &StatementLine),
    debtor: &DebtorId,
    invoices: &[DebtorInvoice],
) -> Result<Unnamed, StoreError> {
    let currency = line.amount.currency();
    let mut batch = PaymentBatch::new(cx.window, cx.law, cx.now);
    let keys = invoices
        .iter()
        .filter(|i| i.currency == currency)
        .map(|i| (cx.tenant.clone(), i.invoice_number.clone()));
    batch.lock(tx, keys).await?;
    // Paid and cancelled cases owe nothing; a disputed claim is one the debtor says is not owed,
    // so a payment naming no invoice is not taken as paying it.
    let open: Vec<(i64, InvoiceNumber)> = invoices
        .iter()
        .filter_map(|i| batch.case(cx.tenant, &i.invoice_number))
        .filter(|c| !matches!(c.state, CaseState::Paid | CaseState::Cancelled | CaseState::Disputed))
        .map(|c| (c.case_id, c.invoice_number.clone()))
        .collect();
    if open.is_empty() {
        return Ok(Unnamed::NotApplied(format!(
            "names no invoice; the payer is debtor {debtor}, who has no open invoice in {}",
            currency.code()
        )));
    }
    let ids: Vec<i64> = open.iter().map(|(id, _)| *id).collect();
    let mut stored = tx.case_claims(&ids, &ids, &ids).await?;
    let today = cx.now.date_naive();
    let claims: Vec<CaseClaim> = ids
        .iter()
        .filter_map(|id| stored.remove(id))
        .map(|mut claim| {
            // As the allocation of each part will see it (`crate::pay::allocations`).
            if let Some(fixed) = claim.default_to_store(today) {
                claim.default_on = Some(fixed);
            }
            claim
        })
        .collect();
    let paid_on = paid_at(line.booked_on);
    let received = ReceivedPayment {
        received_on: paid_on.date_naive(),
        amount: line.amount.amount(),
        reduces_principal: false,
    };
    let application = match unnamed_payment_over(&(cx.law)(cx.tenant), &claims, currency, received) {
        Ok(application) => application,
        Err(error) => {
            return Ok(Unnamed::NotApplied(format!(
                "names no invoice; the payer is debtor {debtor}, whose open invoices the legal engine refused: {error}"
            )))
        }
    };
    let mut applied = UnnamedApplied {
        line_key: key.to_owned(),
        debtor: debtor.to_string(),
        paid: Vec::new(),
        rest: application.unapplied,
    };
    for allocation in &application.allocations {
        let amount = allocation.applied.total();
        let payment = PaymentRecord {
            tenant: cx.tenant.clone(),
            invoice_number: allocation.invoice.clone(),
            amount: Some(Money::new(amount, currency)),
            paid_at: paid_on,
            source: PaymentSource::Bank,
            reference: unnamed_reference(key, &allocation.invoice),
        };
        match batch.add_unnamed(tx, &payment).await? {
            PaymentOutcome::Recorded { .. } | PaymentOutcome::Duplicate => {
                applied.paid.push(InvoicePart { invoice: allocation.invoice.to_string(), amount })
            }
            PaymentOutcome::UnknownInvoice | PaymentOutcome::CurrencyMismatch { .. } => {
                applied.rest += amount
            }
        }
    }
    batch.write(tx).await?;
    if applied.paid.is_empty() {
        return Ok(Unnamed::NotApplied(format!(
            "names no invoice; the payer is debtor {debtor}, whose open invoices took nothing of it"
        )));
    }
    Ok(Unnamed::Applied(applied))
}

/// The payment reference of the part of line `key` applied to `invoice` under § 366 (2): one per
/// invoice, so a replay of the line records none of them twice.
pub fn unnamed_reference(key: &str, invoice: &InvoiceNumber) -> String {
    format!("{key}/{invoice}")
}

/// The key of the review line holding what line `key` paid beyond everything its debtor owed.
pub fn rest_key(key: &str) -> String {
    format!("{key}/rest")
}

/// What the review list says about a rest.
pub fn rest_note(applied: &UnnamedApplied) -> String {
    let parts: Vec<String> = applied.paid.iter().map(|p| format!("{} {}", p.invoice, p.amount)).collect();
    format!(
        "rest of line {} from debtor {}, which paid {} under § 366 (2) BGB and exceeded everything owed",
        applied.line_key,
        applied.debtor,
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn the_parts_and_the_rest_are_keyed_by_the_line() {
        let invoice = InvoiceNumber::parse("RE-2026-0201").unwrap();
        assert_eq!(unnamed_reference("E-1/T-2", &invoice), "E-1/T-2/RE-2026-0201");
        assert_eq!(rest_key("sha256:ab#2"), "sha256:ab#2/rest");
        let applied = UnnamedApplied {
            line_key: "E-1/T-2".into(),
            debtor: "C-7".into(),
            paid: vec![InvoicePart { invoice: "RE-1".into(), amount: Decimal::new(30046, 2) }],
            rest: Decimal::new(1000, 2),
        };
        assert_eq!(
            rest_note(&applied),
            "rest of line E-1/T-2 from debtor C-7, which paid RE-1 300.46 under § 366 (2) BGB and exceeded everything owed"
        );
        let debtors = [DebtorId::parse("C-3").unwrap(), DebtorId::parse("C-4").unwrap()];
        assert!(several_debtors_note(&debtors).contains("stored for 2 debtors (C-3, C-4)"));
    }
}
