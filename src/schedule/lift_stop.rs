//! Lifting a Mahnstopp: the cases the debtor's Mahnstopp in force holds, and only those, are
//! resumed ([`super::pause::resume_case`], due at once).
//!
//! The store says whether a Mahnstopp is in force and which cases it holds
//! (`crate::store::mahnstopps`): the cases it paused when it was made, and those of the debtor
//! the planner found due while it was in force (a new invoice; [`super::pause::hold_for_mahnstopp`]).
//! Of those, a case is resumed only while the Mahnstopp still holds it: it is paused with no time
//! to resume (a promise to pay pauses with one) and no operator has resumed it on its own since
//! (it may have been paused again for another reason). A case paid, cancelled, disputed or
//! resumed in the meantime is left as it is. Lifting when no Mahnstopp is in force changes
//! nothing ([`LiftOutcome::NotInForce`]): a lift is not repeated. The audit log records each
//! Mahnstopp and lift ([`STOP_ACTION`], [`LIFT_ACTION`]) but is not read to decide: pruning it
//! changes nothing.

use super::pause::{resume_case, PauseOutcome};
use crate::domain::{CaseState, DebtorId, TenantId};
use crate::store::console::AuditFilter;
use crate::store::mahnstopps::Mahnstopp;
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// The audit action of a Mahnstopp.
pub const STOP_ACTION: &str = "debtor.stop";
/// The audit action of lifting one.
pub const LIFT_ACTION: &str = "debtor.lift_stop";

/// What lifting a debtor's Mahnstopp did.
#[derive(Debug, Clone, PartialEq)]
pub enum LiftOutcome {
    /// Lifted: when the Mahnstopp was made, each case it held with its state before the lift,
    /// and the cases resumed (the others are left as they are).
    Lifted { stopped_at: DateTime<Utc>, cases: Vec<(i64, CaseState)>, resumed: Vec<i64> },
    /// No Mahnstopp is in force for the debtor (none was made, or the last one was lifted, at
    /// the time given); nothing changed.
    NotInForce { lifted_at: Option<DateTime<Utc>> },
    /// The tenant has no such debtor.
    UnknownDebtor,
}

/// The debtor's own audit entries of `action` (the debtor page shows the newest Mahnstopp's and
/// lift's).
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
    // Locked first: of two lifts at once the second waits here and then finds it lifted, and a
    // planner that found the Mahnstopp in force has committed the case it held before the held
    // cases are read below.
    let stop = match tx.lock_mahnstopp(tenant, debtor).await? {
        Some(stop) if stop.in_force() => stop,
        stop => return Ok(LiftOutcome::NotInForce { lifted_at: stop.and_then(|s| s.lifted_at) }),
    };
    let (mut cases, mut resumed) = (Vec::new(), Vec::new());
    for held in tx.held_cases(tenant, debtor).await? {
        if held.released {
            // Read, not locked: a case an operator resumed may be the planner's at this moment,
            // and the planner waits for the Mahnstopp's row this transaction holds.
            if let Some(case) = tx.tenant_case(tenant, held.case_id).await? {
                cases.push((case.case_id, case.state));
            }
            continue;
        }
        let Some(case) = tx.lock_tenant_case(tenant, held.case_id).await? else { continue };
        cases.push((case.case_id, case.state));
        if case.state == CaseState::Paused && case.next_action_at.is_none() {
            if let PauseOutcome::Done { .. } = resume_case(tx, tenant, case.case_id, now).await? {
                resumed.push(case.case_id);
            }
        }
    }
    tx.end_holds(tenant, debtor).await?;
    tx.save_mahnstopp(tenant, debtor, &Mahnstopp { lifted_at: Some(now), ..stop }).await?;
    Ok(LiftOutcome::Lifted { stopped_at: stop.stopped_at, cases, resumed })
}
