//! Paused cases whose time came. A pending payment's hold whose days ran out expires
//! (`payment.hold_expired`); while a hold is open nothing else is looked at. A promise to pay
//! whose grace ran out unpaid is broken (`promise.broken`); an instalment plan is checked when an
//! instalment's grace ends — on track, the case pauses until the next one's grace ends; missed,
//! the plan is broken (`instalment.missed`) and its reminders still to go out are cancelled.
//! Either way a broken case goes back to reminding, due at once, so the next planning step plans
//! its next stage. (Kept promises and completed plans end when the payment is recorded.)

use crate::domain::{standing, CaseEvent, Money, PlanStanding, PromiseRules, PromiseState};
use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::CaseUpdate;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// Resumes up to `limit` paused cases whose time to resume came at `now`, instalments given
/// `grace`'s days; returns how many were looked at.
pub async fn resume_broken_promises(
    store: &dyn Store,
    now: DateTime<Utc>,
    grace: PromiseRules,
    limit: u32,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let cases = tx.claim_resumable(now, limit).await?;
    let mut events = Vec::new();
    for case in &cases {
        let resumed = CaseUpdate {
            case_id: case.case_id,
            state: case.state.apply(CaseEvent::Resumed).unwrap_or(case.state),
            stages_planned: case.stages_planned,
            next_action_at: Some(now),
            updated_at: now,
        };
        let paused_until = |until| CaseUpdate { state: case.state, next_action_at: Some(until), ..resumed };
        for expired in tx.expire_holds(case.case_id, now).await? {
            let body = EventBody::PaymentHoldExpired {
                source: expired.source,
                reference: expired.reference,
                held_until: expired.held_until,
            };
            events.push(NewEvent::from(&case.subject().event(now, body)));
        }
        // A payment on its way holds everything else: no promise breaks, no instalment is missed.
        if let Some(until) = tx.held_until(case.case_id).await? {
            tx.save_case(&paused_until(until)).await?;
            continue;
        }
        if let Some(resume_at) = tx.promise_resume_at(case.case_id).await? {
            // Woken early (a hold ended): the promise's grace still runs.
            if resume_at > now {
                tx.save_case(&paused_until(resume_at)).await?;
                continue;
            }
            if let Some(promised_on) = tx.end_promise(case.case_id, PromiseState::Broken, now).await? {
                events.push(NewEvent::from(
                    &case.subject().event(now, EventBody::PromiseBroken { promised_on }),
                ));
                tx.save_case(&resumed).await?;
                continue;
            }
        }
        let plan = tx.open_instalments(case.case_id).await?;
        let standing = plan.map(|plan| {
            standing(
                &plan.instalments,
                case.amount_paid - plan.paid_before,
                now.date_naive(),
                grace.grace_days,
            )
        });
        match standing {
            Some(PlanStanding::OnTrack { next }) => {
                tx.save_case(&paused_until(grace.resume_at(next.due_on))).await?
            }
            Some(PlanStanding::Missed { missed }) => {
                tx.end_instalments(case.case_id, PromiseState::Broken, now).await?;
                tx.cancel_instalment_reminders(case.case_id, None, now).await?;
                let body = EventBody::InstalmentMissed {
                    seq: missed.number,
                    due_on: missed.due_on,
                    // In the invoice's currency's places (PostgreSQL keeps four).
                    amount: Money::new(missed.amount, case.amount_due.currency()).amount(),
                };
                events.push(NewEvent::from(&case.subject().event(now, body)));
                tx.save_case(&resumed).await?;
            }
            // Paid in full but not closed (the fee is not part of what closes a case): dunning
            // resumes and the planner decides.
            Some(PlanStanding::Completed) => {
                tx.end_instalments(case.case_id, PromiseState::Kept, now).await?;
                tx.cancel_instalment_reminders(case.case_id, None, now).await?;
                events.push(NewEvent::from(&case.subject().event(now, EventBody::InstalmentsCompleted)));
                tx.save_case(&resumed).await?;
            }
            None => tx.save_case(&resumed).await?,
        }
    }
    tx.append_events(&events).await?;
    tx.commit().await?;
    Ok(cases.len())
}
