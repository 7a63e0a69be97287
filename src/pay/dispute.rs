//! Disputes: the debtor contests the claim on the pay-page (or the creditor records it in the
//! operator console on the debtor's word, by the same rule) and the case is held (no reminder
//! goes out) until the creditor resolves it with a `case.dispute_resolved` message or in the
//! console: the claim stands and dunning resumes, or it is withdrawn and the case is cancelled.

use crate::domain::{
    CaseEvent, CaseState, DisputeReason, DisputeResolution, InvoiceNumber, PromiseState, TenantId,
};
use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::{CaseUpdate, LockedCase};
use crate::store::{Store, StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// Longest free text a debtor may give with a dispute, in characters.
pub const MAX_DETAILS_CHARS: usize = 2000;

/// What opening or resolving a dispute did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeOutcome {
    /// Recorded.
    Done,
    /// Nothing to do: already disputed (opening) or no open dispute (resolving).
    Unchanged,
    /// The case is closed (paid or cancelled); nothing changed.
    Closed(CaseState),
    /// No such case or invoice.
    Unknown,
}

/// Opens a dispute on case `case_id`, in one transaction: an open promise or instalment plan ends
/// (replaced), the pending reminders are cancelled, the case is held, and `case.disputed` is
/// emitted.
pub async fn open_dispute(
    store: &dyn Store,
    case_id: i64,
    reason: DisputeReason,
    details: &str,
    now: DateTime<Utc>,
) -> Result<DisputeOutcome, StoreError> {
    let mut tx = store.begin().await?;
    let Some(case) = tx.lock_case(case_id).await? else {
        return Ok(DisputeOutcome::Unknown);
    };
    let outcome = dispute_case(tx.as_mut(), &case, reason, details, now).await?;
    if outcome == DisputeOutcome::Done {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// Opens a dispute on `case` (locked by the caller) inside the caller's transaction, as
/// [`open_dispute`] describes: the rule the pay-page's dispute form and the operator console
/// share. `details` are trimmed and cut at [`MAX_DETAILS_CHARS`].
pub async fn dispute_case(
    tx: &mut dyn StoreTx,
    case: &LockedCase,
    reason: DisputeReason,
    details: &str,
    now: DateTime<Utc>,
) -> Result<DisputeOutcome, StoreError> {
    let details: String = details.trim().chars().take(MAX_DETAILS_CHARS).collect();
    if case.state == CaseState::Disputed {
        return Ok(DisputeOutcome::Unchanged);
    }
    let Ok(disputed) = case.state.apply(CaseEvent::Disputed) else {
        return Ok(DisputeOutcome::Closed(case.state));
    };
    let case_id = case.case_id;
    if !tx.insert_dispute(case_id, reason, &details, now).await? {
        return Ok(DisputeOutcome::Unchanged);
    }
    tx.end_promise(case_id, PromiseState::Replaced, now).await?;
    tx.end_instalments(case_id, PromiseState::Replaced, now).await?;
    tx.cancel_pending_reminders(case_id, now).await?;
    tx.save_case(&CaseUpdate {
        case_id,
        state: disputed,
        stages_planned: case.stages_planned,
        next_action_at: None,
        updated_at: now,
    })
    .await?;
    let event = case.subject().event(now, EventBody::CaseDisputed { reason, details });
    tx.append_events(&[NewEvent::from(&event)]).await?;
    Ok(DisputeOutcome::Done)
}

/// Resolves the open dispute of `tenant`'s invoice `number` inside `tx`: the claim stands (the
/// case goes back to reminding, due at once) or is withdrawn (the case is cancelled); emits
/// `case.dispute_resolved`. A case without an open dispute is left alone.
pub async fn resolve_dispute(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    number: &InvoiceNumber,
    resolution: DisputeResolution,
    note: &str,
    now: DateTime<Utc>,
) -> Result<DisputeOutcome, StoreError> {
    let Some(case) = tx.lock_case_by_invoice(tenant, number).await? else {
        return Ok(DisputeOutcome::Unknown);
    };
    if case.state.is_final() {
        return Ok(DisputeOutcome::Closed(case.state));
    }
    if !tx.resolve_dispute(case.case_id, resolution, now).await? {
        return Ok(DisputeOutcome::Unchanged);
    }
    match resolution {
        DisputeResolution::ClaimStands => {
            let state = case.state.apply(CaseEvent::Resumed).unwrap_or(case.state);
            tx.save_case(&CaseUpdate {
                case_id: case.case_id,
                state,
                stages_planned: case.stages_planned,
                next_action_at: Some(now),
                updated_at: now,
            })
            .await?;
        }
        DisputeResolution::ClaimWithdrawn => {
            let cancelled = case.state.apply(CaseEvent::Cancelled).unwrap_or(CaseState::Cancelled);
            tx.close_case(&case, cancelled, now).await?;
        }
    }
    let event = case.subject().event(now, EventBody::DisputeResolved { resolution, note: note.to_owned() });
    tx.append_events(&[NewEvent::from(&event)]).await?;
    Ok(DisputeOutcome::Done)
}
