//! Lifting a Mahnstopp: the cases the debtor's Mahnstopp in force paused, and only those, are
//! resumed ([`super::pause::resume_case`], due at once).
//!
//! The audit log says which Mahnstopp is in force and what it paused: the debtor's newest
//! [`STOP_ACTION`] entry, unless a [`LIFT_ACTION`] entry came after it; its `after.paused_cases`
//! are the cases it paused. Of those, a case is resumed only while the Mahnstopp still holds it:
//! it is paused with no time to resume (a promise to pay pauses with one) and no operator has
//! paused it on its own since (it may have been resumed and paused again for another reason).
//! A case paid, cancelled, disputed or resumed in the meantime is left as it is. Lifting when no
//! Mahnstopp is in force changes nothing ([`LiftOutcome::NotInForce`]): a lift is not repeated.

use super::pause::{resume_case, PauseOutcome};
use crate::domain::{CaseState, DebtorId, TenantId};
use crate::store::console::{AuditEntry, AuditFilter};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The audit action of a Mahnstopp.
pub const STOP_ACTION: &str = "debtor.stop";
/// The audit action of lifting one.
pub const LIFT_ACTION: &str = "debtor.lift_stop";
/// The audit action of an operator pausing one case.
const CASE_PAUSE_ACTION: &str = "case.pause";

/// What lifting a debtor's Mahnstopp did.
#[derive(Debug, Clone, PartialEq)]
pub enum LiftOutcome {
    /// Lifted: when the Mahnstopp was made, each case it paused with its state before the lift,
    /// and the cases resumed (the others are left as they are).
    Lifted { stopped_at: DateTime<Utc>, cases: Vec<(i64, CaseState)>, resumed: Vec<i64> },
    /// No Mahnstopp is in force for the debtor (none was made, or the last one was lifted, at
    /// the time given); nothing changed.
    NotInForce { lifted_at: Option<DateTime<Utc>> },
    /// The tenant has no such debtor.
    UnknownDebtor,
}

/// Whether the Mahnstopp `stop` (the debtor's newest) is in force, given the debtor's newest
/// lift: it is unless that lift came after it.
pub fn stop_in_force(stop: &AuditEntry, newest_lift: Option<&AuditEntry>) -> bool {
    newest_lift.is_none_or(|lift| lift.id < stop.id)
}

/// The newest audit entry `filter` matches.
async fn newest(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    filter: AuditFilter,
) -> Result<Option<AuditEntry>, StoreError> {
    Ok(tx.audit_log(tenant, &AuditFilter { limit: 1, ..filter }).await?.into_iter().next())
}

/// The debtor's own entries of `action`.
pub fn debtor_entries(action: &str, debtor: &DebtorId) -> AuditFilter {
    AuditFilter { action: Some(action.to_owned()), debtor: Some(debtor.clone()), ..AuditFilter::default() }
}

/// Lifts `tenant`'s Mahnstopp in force for `debtor`, inside the caller's transaction (which
/// records the lift as [`LIFT_ACTION`]).
pub async fn lift_debtor_stop(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<LiftOutcome, StoreError> {
    if tx.tenant_debtor(tenant, debtor).await?.is_none() {
        return Ok(LiftOutcome::UnknownDebtor);
    }
    let Some(stop) = newest(tx, tenant, debtor_entries(STOP_ACTION, debtor)).await? else {
        return Ok(LiftOutcome::NotInForce { lifted_at: None });
    };
    let paused: Vec<i64> =
        stop.after["paused_cases"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    // The cases are locked before the lift entry is looked for, so that of two lifts at once the
    // second, waiting on the locks, sees the first's entry and changes nothing.
    let mut cases = Vec::new();
    for &case_id in &paused {
        if let Some(case) = tx.lock_tenant_case(tenant, case_id).await? {
            cases.push(case);
        }
    }
    let lift = newest(tx, tenant, debtor_entries(LIFT_ACTION, debtor)).await?;
    if !stop_in_force(&stop, lift.as_ref()) {
        return Ok(LiftOutcome::NotInForce { lifted_at: lift.map(|l| l.at) });
    }
    let mut resumed = Vec::new();
    for case in &cases {
        let paused_since = AuditFilter {
            action: Some(CASE_PAUSE_ACTION.to_owned()),
            case_id: Some(case.case_id),
            ..AuditFilter::default()
        };
        let paused_on_its_own = newest(tx, tenant, paused_since).await?.is_some_and(|p| p.id > stop.id);
        let held_by_the_stop =
            case.state == CaseState::Paused && case.next_action_at.is_none() && !paused_on_its_own;
        if held_by_the_stop {
            if let PauseOutcome::Done { .. } = resume_case(tx, tenant, case.case_id, now).await? {
                resumed.push(case.case_id);
            }
        }
    }
    let cases = cases.iter().map(|case| (case.case_id, case.state)).collect();
    Ok(LiftOutcome::Lifted { stopped_at: stop.at, cases, resumed })
}
