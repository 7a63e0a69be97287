//! Broken promises: a case paused for a promise to pay whose grace ran out unpaid goes back to
//! reminding, due at once, so the next planning step plans its next stage; `promise.broken` says
//! so. (A kept promise ends when the payment is recorded.)

use crate::domain::{CaseEvent, PromiseState};
use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::CaseUpdate;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// Resumes up to `limit` paused cases whose time to resume came at `now`; returns how many.
pub async fn resume_broken_promises(
    store: &dyn Store,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let cases = tx.claim_resumable(now, limit).await?;
    let mut events = Vec::new();
    for case in &cases {
        let state = case.state.apply(CaseEvent::Resumed).unwrap_or(case.state);
        tx.save_case(&CaseUpdate {
            case_id: case.case_id,
            state,
            stages_planned: case.stages_planned,
            next_action_at: Some(now),
            updated_at: now,
        })
        .await?;
        if let Some(promised_on) = tx.end_promise(case.case_id, PromiseState::Broken, now).await? {
            events.push(NewEvent::from(&case.subject().event(now, EventBody::PromiseBroken { promised_on })));
        }
    }
    tx.append_events(&events).await?;
    tx.commit().await?;
    Ok(cases.len())
}
