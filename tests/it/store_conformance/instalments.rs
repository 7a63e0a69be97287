//! An instalment plan on every backend, through `pay::choose_instalments`, `pay::record_payment`
//! and the scheduler's look at paused cases, with the scheduler's clock given: the plan pauses
//! the case (its pending reminder cancelled); payments towards the case count towards the
//! instalments in order, a part payment too; an instalment paid by its grace's end keeps the plan
//! on track until the next one's; a missed one ends the plan (`instalment.missed`) and makes
//! everything still open due: dunning resumes at once with the next stage, for the whole rest.

use super::*;
use mahnwerk::domain::{InstalmentRules, PaymentSource, PromiseRules};
use mahnwerk::pay::instalments::{choose_instalments, InstalmentChoice, InstalmentOutcome};
use mahnwerk::schedule::resume_broken_promises;

async fn look_at_paused(store: &Arc<dyn Store>, now: DateTime<Utc>) -> usize {
    resume_broken_promises(store.as_ref(), now, PromiseRules::default(), 100).await.unwrap()
}

fn bank(number: &str, amount: &str, paid_at: DateTime<Utc>, reference: &str) -> PaymentRecord {
    PaymentRecord { source: PaymentSource::Bank, ..payment(number, Some(eur(amount)), paid_at, reference) }
}

pub(super) async fn suite_instalments(store: Arc<dyn Store>, _raw: Raw) {
    let ids = dunned(&store, &["I-1"]).await;
    let now = t0() + hours(30);
    let case_id = case(&store, "I-1").await.case_id;
    let today = now.date_naive();
    let choice = InstalmentChoice { total: dec("100.00"), months: 3, today };
    let grace = PromiseRules::default();
    let agreed = choose_instalments(store.as_ref(), case_id, choice, InstalmentRules::default(), grace, now);
    let InstalmentOutcome::Agreed { first_due } = agreed.await.unwrap() else { panic!("agreed") };
    assert_eq!(first_due, today + chrono::Days::new(7));
    let second_due = first_due + chrono::Months::new(1);
    let view = case(&store, "I-1").await;
    assert_eq!((view.state, view.next_action_at), (CaseState::Paused, Some(grace.resume_at(first_due))));
    let written = reminders(&store, "I-1").await;
    assert_eq!(
        written.iter().filter(|r| r.instalment == 0).map(|r| (r.id, r.status)).collect::<Vec<_>>(),
        [(ids[0].0, ReminderStatus::Sent), (ids[0].1, ReminderStatus::Cancelled)],
        "no stage goes out while the plan runs"
    );

    // The first instalment (33.33) paid in two parts before its due date.
    let paid_at = now + hours(48);
    for (amount, reference) in [("20.00", "T-1"), ("13.33", "T-2")] {
        let paid = store.record_payment(&bank("I-1", amount, paid_at, reference), WINDOW).await.unwrap();
        assert_eq!(paid, IntakeOutcome::PaymentRecorded { case_closed: false });
    }
    let view = case(&store, "I-1").await;
    assert_eq!((view.state, view.amount_paid), (CaseState::Paused, dec("33.33")), "still paused");
    // At the first instalment's grace end: paid, so the plan is on track until the second's.
    assert_eq!(look_at_paused(&store, grace.resume_at(first_due) - Span::seconds(1)).await, 0);
    assert_eq!(look_at_paused(&store, grace.resume_at(first_due)).await, 1);
    let view = case(&store, "I-1").await;
    assert_eq!((view.state, view.next_action_at), (CaseState::Paused, Some(grace.resume_at(second_due))));
    let nothing_due = |_: &DueCase| -> CaseDecision { unreachable!("nothing is due during the plan") };
    assert_eq!(plan(&store, grace.resume_at(first_due), &nothing_due).await, 0);

    // The second instalment: only part of it arrives. Its grace ends: missed, the rest is due.
    let part = store.record_payment(&bank("I-1", "10.00", paid_at + Span::days(30), "T-3"), WINDOW).await;
    assert_eq!(part.unwrap(), IntakeOutcome::PaymentRecorded { case_closed: false });
    let missed_at = grace.resume_at(second_due);
    assert_eq!(look_at_paused(&store, missed_at).await, 1);
    let view = case(&store, "I-1").await;
    assert_eq!(
        (view.state, view.amount_paid, view.next_action_at),
        (CaseState::Reminding, dec("43.33"), Some(missed_at)),
        "dunning resumes at once"
    );
    let missed = unrelayed_events(&store, "instalment.missed", 1).await;
    assert_eq!(missed.len(), 1);
    assert_eq!(
        (&missed[0]["seq"], &missed[0]["amount"], &missed[0]["due_on"]),
        (&serde_json::json!(2), &serde_json::json!("33.33"), &serde_json::json!(second_due.to_string())),
        "{}",
        missed[0]
    );
    let mut tx = store.begin().await.unwrap();
    let ended = tx.instalments(&tenant(), view.case_id).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(!ended.is_empty() && ended.iter().all(|i| i.state == "broken"), "the plan ended: {ended:?}");
    // The next planning step plans the next stage for everything still open (56.67). (The stage
    // cancelled when the plan was agreed counts as planned, as with a promise to pay.)
    let seen = Mutex::new(Vec::new());
    let decide = |due: &DueCase| {
        seen.lock().unwrap().push((due.stages_planned, due.amount_due.amount() - due.amount_paid));
        CaseDecision::Remind(new_reminder(due, ChannelKind::Email, missed_at, missed_at + hours(24)))
    };
    assert_eq!(plan(&store, missed_at, &decide).await, 1);
    assert_eq!(seen.into_inner().unwrap(), [(2, dec("56.67"))]);
}
