//! One planning step: claim the cases whose next action is due, hold those of a debtor with a
//! Mahnstopp in force ([`super::pause::hold_for_mahnstopp`]), let the planner decide the others
//! ([`super::Planner::decide`]), and write the reminders, the case updates and the escalations in
//! the same transaction (transactional outbox). Also settles the outcomes of reminders whose
//! attribution window closed without a payment.

use crate::domain::legal::{CaseClaim, ClaimStatement, StatementDebtor, StatementTotals};
use crate::domain::{AttributionWindow, CaseEvent};
use crate::runtime::events::record_outcomes;
use crate::runtime::{EventBody, NewEvent};
use crate::store::tx::CaseUpdate;
use crate::store::{CaseDecision, DueCase, Store, StoreError, StoreTx};
use chrono::{DateTime, Utc};

/// The decision for one due case ([`Planner::decide`] in the service).
pub type Decide<'a> = &'a (dyn Fn(&DueCase) -> CaseDecision + Send + Sync);

/// The law a tenant's claims are computed under (its creditor's settings).
pub type LawOf<'a> = &'a (dyn Fn(&crate::domain::TenantId) -> crate::domain::legal::Germany + Send + Sync);

/// Plans up to `limit` cases due at `now` with `decide`; returns how many were decided.
pub async fn plan_due_cases(
    store: &dyn Store,
    now: DateTime<Utc>,
    limit: u32,
    decide: Decide<'_>,
    law_of: LawOf<'_>,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let cases = tx.claim_due_cases(now, limit).await?;
    let ids: Vec<i64> = cases.iter().map(|case| case.case_id).collect();
    let stopped = tx.under_mahnstopp(&ids).await?;
    let (mut reminders, mut updates, mut events) = (Vec::new(), Vec::new(), Vec::new());
    let mut planned = crate::observe::Tally::<2>::default();
    for case in &cases {
        let update = |state, stages_planned, next_action_at| CaseUpdate {
            case_id: case.case_id,
            state,
            stages_planned,
            next_action_at,
            updated_at: now,
        };
        // No reminder for a debtor with a Mahnstopp in force: the case is held for it.
        if stopped.binary_search(&case.case_id).is_ok() {
            updates.push(super::pause::hold_for_mahnstopp(tx.as_mut(), case, now).await?);
            continue;
        }
        match decide(case) {
            CaseDecision::Remind(reminder) => {
                let state = case.state.apply(CaseEvent::ReminderPlanned).unwrap_or(case.state);
                updates.push(update(state, reminder.stage + 1, Some(reminder.next_action_at)));
                planned.add([reminder.channel.as_str(), case.tenant.as_str()]);
                reminders.push((case.case_id, reminder));
            }
            CaseDecision::Escalate => {
                let state = case.state.apply(CaseEvent::PlanExhausted).unwrap_or(case.state);
                updates.push(update(state, case.stages_planned, None));
                events.push(escalation(tx.as_mut(), case, now, law_of).await?);
            }
            CaseDecision::Wait { until } => {
                updates.push(update(case.state, case.stages_planned, Some(until)))
            }
        }
    }
    tx.insert_reminders(&reminders, now).await?;
    tx.save_cases(&updates).await?;
    tx.append_events(&events).await?;
    tx.commit().await?;
    tracing::debug!(
        cases = cases.len(),
        reminders = reminders.len(),
        escalated = events.len(),
        "cases planned"
    );
    planned.flush(crate::observe::names::REMINDERS_PLANNED, ["channel", "tenant"]);
    Ok(cases.len())
}

/// What escalating `case` at `now` hands over, besides its new state: the claim statement
/// (stored) and the `case.escalated` event (returned, for the caller to append). The plan's own
/// escalation and the operator's "escalate now" (`super::escalate`) both go through here.
pub(super) async fn escalation(
    tx: &mut dyn StoreTx,
    case: &DueCase,
    now: DateTime<Utc>,
    law_of: LawOf<'_>,
) -> Result<NewEvent, StoreError> {
    let statement = match tx.case_claim(case.case_id).await? {
        Some(claim) => claim_statement(case, claim, now, law_of),
        None => None,
    };
    if let Some(statement) = &statement {
        tx.save_claim_statement(statement).await?;
    }
    Ok(NewEvent::from(&escalated(case, now, statement.as_ref().map(ClaimStatement::totals))))
}

/// The claim statement of `case` escalating at `now`: what `claim` owes on the debtor's date
/// under the tenant's law. `None`, with a warning, should the engine refuse the stored facts (the
/// escalation goes ahead; the creditor sees the open principal in the event).
fn claim_statement(
    case: &DueCase,
    claim: CaseClaim,
    now: DateTime<Utc>,
    law_of: LawOf<'_>,
) -> Option<ClaimStatement> {
    let today = now.with_timezone(&case.debtor.timezone.tz()).date_naive();
    let breakdown = claim
        .owed(&law_of(&case.tenant), today)
        .map_err(|e| tracing::warn!(case = case.case_id, error = %e, "no claim statement"))
        .ok()?;
    let debtor = &case.debtor;
    Some(ClaimStatement {
        tenant: case.tenant.clone(),
        case_id: case.case_id,
        escalated_at: now,
        debtor: StatementDebtor {
            id: debtor.id.clone(),
            kind: debtor.kind,
            name: debtor.name.clone(),
            contact_person: debtor.contact_person.clone(),
            address: debtor.address.clone(),
        },
        reminders: claim.reminders,
        breakdown,
    })
}

/// `case.escalated`: every stage of the plan went out without payment; `claim` is what the
/// claim statement sums up to.
fn escalated(case: &DueCase, at: DateTime<Utc>, claim: Option<StatementTotals>) -> crate::runtime::Event {
    let body = EventBody::CaseEscalated {
        open_amount: (case.amount_due.amount() - case.amount_paid).max(rust_decimal::Decimal::ZERO),
        currency: case.amount_due.currency(),
        stages_sent: case.stages_planned,
        plan: case.plan.clone(),
        claim,
    };
    case.subject().event(at, body)
}

/// Gives reward 0 to up to `limit` sent reminders whose attribution window closed before `now`
/// without a payment, with their `reminder.outcome` events; returns how many. Rows another
/// scheduler holds are left to it.
pub async fn settle_outcomes(
    store: &dyn Store,
    now: DateTime<Utc>,
    window: AttributionWindow,
    limit: u32,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let expired = tx.unsettled_sent_before(window.closed_before(now), limit).await?;
    let settled = tx.set_reward(&expired, 0.0).await?;
    record_outcomes(tx.as_mut(), &settled, now).await?;
    tx.commit().await?;
    Ok(settled.len())
}
