//! How each recorded payment is applied (§§ 366, 367 BGB: to costs, then interest, then
//! principal), computed by the legal engine ([`CaseClaim::allocation_of`], the one allocation
//! function) when the payment is recorded, and stored with it in the same transaction
//! (`payment_allocations`), so the timeline, the claim statement and the bookkeeping export show
//! what was decided that day. Each payment is applied after the case's earlier payments and the
//! batch's earlier ones; a replay is no new payment and is never here.
//!
//! A case that stores no default date yet, but whose date the facts already fix (a reminder's
//! recording that could not take the case's lock, 30 days run without a reminder since), gets it
//! here too, and the allocation uses it.

use super::PaymentRecord;
use crate::domain::legal::{
    AllocationRule, CaseClaim, InDefault, PaymentApplication, ReceivedPayment, TenantLaw,
};
use crate::domain::PaymentSource;
use crate::store::payments::{NewAllocation, RecordedPayment};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// A payment of the batch, as the allocation needs it.
pub struct BookedPayment<'a> {
    pub payment: &'a PaymentRecord,
    pub case_id: i64,
    pub invoice_id: i64,
    /// What is recorded, in the invoice's currency.
    pub amount: Decimal,
    /// What the invoice had been paid before this payment.
    pub paid_before: Decimal,
    /// The case's stages planned: with none, no reminder was sent.
    pub stages_planned: u32,
    /// The debtor named the invoice; false for a part of a payment naming none (§ 366 (2) BGB).
    pub named: bool,
}

/// The allocations of a batch's payments, and the default dates found fixed on their cases.
pub struct Allocated<'a> {
    /// Each payment (by its position in the batch) with how it was applied.
    pub applications: Vec<(&'a BookedPayment<'a>, PaymentApplication)>,
    /// (case id, default) for cases that stored none.
    pub defaults: Vec<(i64, InDefault)>,
}

impl<'a> Allocated<'a> {
    /// The rows to store: each payment's parts in order, by the ids the payments were stored
    /// under (`payment_ids`, as `insert_payments` returned them). A part names an invoice of the
    /// case's account, which is the case's own invoice.
    pub fn rows(
        &self,
        payment_ids: &HashMap<RecordedPayment, i64>,
    ) -> Result<Vec<NewAllocation>, StoreError> {
        let mut rows = Vec::new();
        for (booked, application) in &self.applications {
            let key = RecordedPayment {
                invoice_id: booked.invoice_id,
                source: booked.payment.source,
                reference: booked.payment.reference.clone(),
            };
            let payment_id = *payment_ids.get(&key).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "payment {} on invoice {} was not returned by its insert",
                    key.reference, key.invoice_id
                ))
            })?;
            for (position, allocation) in application.allocations.iter().enumerate() {
                rows.push(NewAllocation {
                    payment_id,
                    position: i32::try_from(position).unwrap_or(i32::MAX),
                    invoice_id: booked.invoice_id,
                    rule: allocation.rule,
                    applied: allocation.applied,
                });
            }
        }
        Ok(rows)
    }
}

/// Applies `booked`, in order, each to its case as the engine sees it (read in three statements
/// for the whole batch, fewer when no case was reminded or paid before). A payment the engine
/// cannot apply (facts it refuses) is still recorded, without stored parts, and said in the log.
pub async fn allocate<'a>(
    tx: &mut dyn StoreTx,
    law: &TenantLaw,
    booked: &'a [BookedPayment<'a>],
    now: DateTime<Utc>,
) -> Result<Allocated<'a>, StoreError> {
    let ids = |keep: &dyn Fn(&BookedPayment<'_>) -> bool| -> Vec<i64> {
        let ids: std::collections::BTreeSet<i64> =
            booked.iter().filter(|b| keep(b)).map(|b| b.case_id).collect();
        ids.into_iter().collect()
    };
    let cases = ids(&|_| true);
    let reminded = ids(&|b| b.stages_planned > 0);
    let paid = ids(&|b| b.paid_before > Decimal::ZERO);
    let mut claims: BTreeMap<i64, CaseClaim> =
        tx.case_claims(&cases, &reminded, &paid).await?.into_iter().collect();

    let today = now.date_naive();
    let mut defaults = Vec::new();
    for (&case_id, claim) in claims.iter_mut() {
        if let Some(fixed) = claim.default_to_store(today) {
            claim.default_on = Some(fixed);
            defaults.push((case_id, fixed));
        }
    }
    let mut applications = Vec::with_capacity(booked.len());
    for b in booked {
        let Some(claim) = claims.get_mut(&b.case_id) else { continue };
        let received = ReceivedPayment {
            received_on: b.payment.paid_at.date_naive(),
            amount: b.amount,
            reduces_principal: b.payment.source == PaymentSource::Credit,
        };
        match claim.allocation_of(&law(&b.payment.tenant), received.clone()) {
            Ok(mut application) => {
                // Within its invoice the part is applied the same way (§ 367); the invoice was
                // chosen by § 366 (2), not by the debtor, and is stored as such.
                if !b.named {
                    application.allocations.iter_mut().for_each(|a| a.rule = AllocationRule::DueFirst);
                    application.for_invoice = None;
                }
                applications.push((b, application))
            }
            Err(error) => tracing::warn!(
                tenant = %b.payment.tenant,
                case = b.case_id,
                %error,
                "payment recorded without its allocation: the legal engine refused the case"
            ),
        }
        claim.payments.push(received);
    }
    Ok(Allocated { applications, defaults })
}
