//! A pending PSP payment's hold on every backend, through `pay::hold` and the scheduler's look at
//! paused cases: the hold pauses a case in dunning and withdraws its pending reminder (its stage
//! planned anew later), a second report of the same payment changes nothing, a hold runs out
//! after its days (`payment.hold_expired`) and dunning resumes; a case paused by a promise keeps
//! its promise while a payment is on its way, and a failed payment lets the promise break.

use super::*;
use mahnwerk::domain::{HoldState, PaymentSource, PendingHold, PromiseRules};
use mahnwerk::pay::hold::{hold_for_pending, release_hold};
use mahnwerk::pay::promise::{promise_to_pay, PromiseOutcome};
use mahnwerk::schedule::resume_broken_promises;

/// Holds for `days` (or, with `release`, ends the hold of) the pending payment `reference` on
/// `number`'s case at `now`, in a transaction of its own; returns until when it holds.
async fn hold(
    store: &Arc<dyn Store>,
    (number, reference): (&str, &str),
    days: u32,
    release: Option<HoldState>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut tx = store.begin().await.unwrap();
    let number = InvoiceNumber::parse(number).unwrap();
    let case = tx.lock_case_by_invoice(&tenant(), &number).await.unwrap().expect("a case");
    let payment = (PaymentSource::Stripe, reference);
    let until = match release {
        None => hold_for_pending(tx.as_mut(), &case, payment, PendingHold { days }, now).await.unwrap(),
        Some(state) => release_hold(tx.as_mut(), &case, payment, state, now).await.unwrap().then_some(now),
    };
    tx.commit().await.unwrap();
    until
}

async fn look_at_paused(store: &Arc<dyn Store>, now: DateTime<Utc>) -> usize {
    resume_broken_promises(store.as_ref(), now, PromiseRules::default(), 100).await.unwrap()
}

/// The kinds of the events about invoice `number`'s case, oldest first, as the store reads them
/// for a debtor's data export (the sends and their outcomes left out).
async fn kinds(store: &Arc<dyn Store>, number: &str) -> Vec<String> {
    let case_id = case(store, number).await.case_id;
    let mut tx = store.begin().await.unwrap();
    let events = tx.case_events(&tenant(), case_id).await.unwrap();
    tx.rollback().await.unwrap();
    events.into_iter().map(|e| e.kind).filter(|k| k != "reminders.sent" && k != "reminder.outcome").collect()
}

pub(super) async fn suite_holds(store: Arc<dyn Store>, _raw: Raw) {
    let ids = dunned(&store, &["H-1", "H-2"]).await;
    let now = t0() + hours(30);

    // H-1, in dunning with stage 2 scheduled: held for three days, its pending reminder withdrawn.
    let held_until = now + Span::days(3);
    assert_eq!(hold(&store, ("H-1", "pi_h1"), 3, None, now).await, Some(held_until));
    let view = case(&store, "H-1").await;
    assert_eq!(
        (view.state, view.stages_planned, view.next_action_at),
        (CaseState::Paused, 1, Some(held_until)),
        "paused until the hold ends; the withdrawn stage is planned anew"
    );
    let written = reminders(&store, "H-1").await;
    assert_eq!(
        written.iter().map(|r| (r.id, r.status)).collect::<Vec<_>>(),
        [(ids[0].0, ReminderStatus::Sent), (ids[0].1, ReminderStatus::Cancelled)]
    );
    assert_eq!(claim(&store, now + hours(48), 100).await, [], "nothing to send while held");
    // The same payment reported again: nothing changes.
    assert_eq!(hold(&store, ("H-1", "pi_h1"), 3, None, now + hours(1)).await, None);
    assert_eq!(case(&store, "H-1").await, view);
    // Not looked at before its time; at its time the hold expires and dunning resumes.
    assert_eq!(look_at_paused(&store, held_until - Span::seconds(1)).await, 0);
    assert_eq!(look_at_paused(&store, held_until).await, 1);
    let view = case(&store, "H-1").await;
    assert_eq!(
        (view.state, view.stages_planned, view.next_action_at),
        (CaseState::Reminding, 1, Some(held_until)),
        "due at once for the next planning step"
    );
    assert_eq!(kinds(&store, "H-1").await, ["payment.hold_expired"]);
    let case_id = case(&store, "H-1").await.case_id;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.held_until(case_id).await.unwrap(), None, "no hold is open");
    tx.rollback().await.unwrap();
    // A failure reported after the hold expired finds no open hold and changes nothing.
    assert_eq!(hold(&store, ("H-1", "pi_h1"), 3, Some(HoldState::Failed), held_until + hours(1)).await, None);
    assert_eq!(case(&store, "H-1").await, view);

    // H-2: the debtor promises a date, then pays by direct debit.
    let case_id = case(&store, "H-2").await.case_id;
    let today = now.date_naive();
    let promised_on = today + chrono::Days::new(2);
    let made = promise_to_pay(store.as_ref(), case_id, promised_on, today, PromiseRules::default(), now);
    let PromiseOutcome::Made { resume_at } = made.await.unwrap() else { panic!("a promise") };
    let paid_by_debit = now + hours(2);
    let held_until = paid_by_debit + Span::days(10);
    assert!(held_until > resume_at, "the hold outlasts the promise's grace");
    assert_eq!(hold(&store, ("H-2", "pi_h2"), 10, None, paid_by_debit).await, Some(held_until));
    assert_eq!(case(&store, "H-2").await.next_action_at, Some(resume_at), "woken when the promise ends");
    // The promise's grace runs out while the money is on its way: it does not break.
    assert_eq!(look_at_paused(&store, resume_at).await, 1);
    let view = case(&store, "H-2").await;
    assert_eq!((view.state, view.next_action_at), (CaseState::Paused, Some(held_until)));
    assert_eq!(kinds(&store, "H-2").await, ["promise.made"]);
    // The direct debit fails: looked at at once, the promise's grace is over, it breaks.
    let failed_at = resume_at + hours(1);
    assert_eq!(hold(&store, ("H-2", "pi_h2"), 10, Some(HoldState::Failed), failed_at).await, Some(failed_at));
    assert_eq!(case(&store, "H-2").await.next_action_at, Some(failed_at));
    assert_eq!(look_at_paused(&store, failed_at).await, 1);
    let view = case(&store, "H-2").await;
    assert_eq!((view.state, view.next_action_at), (CaseState::Reminding, Some(failed_at)));
    assert_eq!(kinds(&store, "H-2").await, ["promise.made", "promise.broken"]);
}
