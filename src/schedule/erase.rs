//! Erasing a debtor (Art. 17 GDPR) stops dunning: with the contact data gone no reminder could
//! reach anyone, and a creditor who erases a debtor has decided not to write to them again. The
//! debtor's cases that still take reminders are paused as by the Mahnstopp ([`pause_debtor_cases`], but no Mahnstopp is made):
//! pending reminders are cancelled and nothing is planned. The cases stay open with their amounts
//! (the claim is not forgiven): a payment that still arrives (a bank transfer naming the invoice)
//! closes its case as usual. Disputed, escalated and closed cases are left as they are.

use super::pause::pause_debtor_cases;
use crate::domain::{CaseState, DebtorId, TenantId};
use crate::intake::privacy::{anonymise_debtor, Anonymised};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// What erasing a debtor did.
#[derive(Debug, Clone, PartialEq)]
pub struct Erasure {
    /// The personal data overwritten, by kind.
    pub anonymised: Anonymised,
    /// The cases paused, with their state before.
    pub paused: Vec<(i64, CaseState)>,
}

/// Erases `tenant`'s debtor `debtor` inside `tx`: personal data overwritten, dunning stopped.
/// `None` (and nothing changed) when the tenant has no such debtor.
pub async fn erase_debtor(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<Option<Erasure>, StoreError> {
    let Some(anonymised) = anonymise_debtor(tx, tenant, debtor, now).await? else { return Ok(None) };
    let paused = pause_debtor_cases(tx, tenant, debtor, now).await?.unwrap_or_default();
    Ok(Some(Erasure { anonymised, paused }))
}
