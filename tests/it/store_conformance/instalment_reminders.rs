//! Instalment reminders on every backend, on a simulated clock: agreeing a plan of three plans
//! two reminders per instalment (three days before its due date and on it, at 10:00 in the
//! debtor's time zone on a day reminders may be sent, on the channel of the case's latest stage
//! reminder); they are dispatched and sent like any reminder while the case is paused; paying an
//! instalment in time cancels its reminder still to go out; a missed instalment ends the plan as
//! before and cancels the rest, so nothing more goes out. They are no stage: the legal engine,
//! the learner's outcomes, the stats' stages and the planner's gap between stages ignore them.

use super::*;
use mahnwerk::domain::{InstalmentRules, PaymentSource, PromiseRules};
use mahnwerk::pay::instalments::{choose_instalments, InstalmentChoice, InstalmentOutcome};
use mahnwerk::schedule::resume_broken_promises;

async fn look_at_paused(store: &Arc<dyn Store>, now: DateTime<Utc>) -> usize {
    resume_broken_promises(store.as_ref(), now, PromiseRules::default(), 100).await.unwrap()
}

/// The case's instalment reminders as (instalment, notice stage, send time, status).
async fn instalment_reminders(store: &Arc<dyn Store>) -> Vec<(u32, u32, DateTime<Utc>, ReminderStatus)> {
    let mut seen: Vec<_> = reminders(store, "I-1")
        .await
        .into_iter()
        .filter(|r| r.instalment > 0)
        .map(|r| (r.instalment, r.stage, r.send_at, r.status))
        .collect();
    seen.sort_by_key(|&(instalment, stage, ..)| (instalment, stage));
    seen
}

async fn id_of(store: &Arc<dyn Store>, instalment: u32, stage: u32) -> i64 {
    let all = reminders(store, "I-1").await;
    all.iter().find(|r| r.instalment == instalment && r.stage == stage).expect("that reminder").id
}

pub(super) async fn suite_instalment_reminders(store: Arc<dyn Store>, _raw: Raw) {
    use ReminderStatus::{Cancelled, Scheduled, Sent};
    let ids = dunned(&store, &["I-1"]).await; // stage 1 by email sent, stage 2 by letter planned
    let now = t0() + hours(30); // Tuesday 3 March 2026, 15:00 in Berlin
    let case_id = case(&store, "I-1").await.case_id;
    let choice = InstalmentChoice { total: dec("100.00"), months: 3, today: now.date_naive() };
    let (rules, grace) = (InstalmentRules::default(), PromiseRules::default());
    let agreed = choose_instalments(store.as_ref(), case_id, choice, rules, grace, now).await.unwrap();
    let InstalmentOutcome::Agreed { first_due } = agreed else { panic!("agreed: {agreed:?}") };
    let dues: Vec<NaiveDate> =
        ["2026-03-10", "2026-04-10", "2026-05-10"].iter().map(|d| d.parse().unwrap()).collect();
    assert_eq!(first_due, dues[0]);

    // Two per instalment, by email (the channel stage 1 reached the debtor on), at 10:00 Berlin
    // time (CET until 29 March, CEST after); 10 May is a Sunday, so its reminder waits a day.
    let planned: [(u32, u32, DateTime<Utc>); 6] = [
        (1, 0, at("2026-03-07T09:00:00Z")),
        (1, 1, at("2026-03-10T09:00:00Z")),
        (2, 0, at("2026-04-07T08:00:00Z")),
        (2, 1, at("2026-04-10T08:00:00Z")),
        (3, 0, at("2026-05-07T08:00:00Z")),
        (3, 1, at("2026-05-11T08:00:00Z")),
    ];
    let expect = |statuses: [ReminderStatus; 6]| -> Vec<_> {
        planned.iter().zip(statuses).map(|(&(i, s, send_at), status)| (i, s, send_at, status)).collect()
    };
    assert_eq!(instalment_reminders(&store).await, expect([Scheduled; 6]));
    let stages = reminders(&store, "I-1").await;
    let stages: Vec<_> = stages.iter().filter(|r| r.instalment == 0).map(|r| (r.id, r.status)).collect();
    assert_eq!(stages, [(ids[0].0, Sent), (ids[0].1, Cancelled)], "no stage goes out while the plan runs");
    let by = reminders(&store, "I-1").await;
    assert!(by.iter().filter(|r| r.instalment > 0).all(|r| r.channel == ChannelKind::Email), "{by:?}");

    // The first instalment's first reminder: due at its time, not a second before; a channel
    // worker gets the instalment and its plan with it.
    let upcoming_1 = id_of(&store, 1, 0).await;
    assert!(claim(&store, planned[0].2 - Span::seconds(1), 1000).await.is_empty());
    let jobs = store.delivery_jobs(&[upcoming_1]).await.unwrap();
    assert_eq!((jobs[0].instalment, jobs[0].stage, jobs[0].fee), (1, 0, Decimal::ZERO));
    let plan_seen = jobs[0].plan.as_ref().expect("the open plan");
    assert_eq!(plan_seen.instalments.iter().map(|i| i.due_on).collect::<Vec<_>>(), dues);
    send(&store, planned[0].2, &[upcoming_1]).await;

    // Paid in time (the next day): its reminder on the due date is cancelled, the others stay.
    let paid = PaymentRecord {
        source: PaymentSource::Bank,
        ..payment("I-1", Some(eur("33.33")), planned[0].2 + hours(24), "T-1")
    };
    assert_eq!(
        store.record_payment(&paid, WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    assert_eq!(
        instalment_reminders(&store).await,
        expect([Sent, Cancelled, Scheduled, Scheduled, Scheduled, Scheduled])
    );
    assert!(claim(&store, planned[1].2, 1000).await.is_empty(), "nothing goes out on its due date");
    assert_eq!(look_at_paused(&store, grace.resume_at(dues[0])).await, 1);
    assert_eq!(case(&store, "I-1").await.state, CaseState::Paused, "on track");

    // The second instalment is not paid: both its reminders go out, then its grace ends.
    let (upcoming_2, due_2) = (id_of(&store, 2, 0).await, id_of(&store, 2, 1).await);
    send(&store, planned[2].2, &[upcoming_2]).await;
    send(&store, planned[3].2, &[due_2]).await;
    let missed_at = grace.resume_at(dues[1]);
    assert_eq!(look_at_paused(&store, missed_at).await, 1);
    let view = case(&store, "I-1").await;
    assert_eq!((view.state, view.next_action_at), (CaseState::Reminding, Some(missed_at)), "dunning resumes");
    // Missed: the plan ends as before and the third instalment is never reminded of.
    assert_eq!(
        instalment_reminders(&store).await,
        expect([Sent, Cancelled, Sent, Sent, Cancelled, Cancelled])
    );
    assert!(claim(&store, at("2026-06-01T12:00:00Z"), 1000).await.is_empty());

    // No stage: not a reminder sent for the legal engine, not a stage in the stats, no outcome.
    let mut tx = store.begin().await.unwrap();
    let claim_now = tx.case_claim(case_id).await.unwrap().expect("the case");
    tx.rollback().await.unwrap();
    assert_eq!(claim_now.reminders.len(), 1, "{:?}", claim_now.reminders);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.by_stage.values().sum::<u64>(), 2, "{:?}", stats.reminders.by_stage);
    store.settle_outcomes(at("2026-07-01T00:00:00Z"), WINDOW, 100).await.unwrap();
    for reminder in reminders(&store, "I-1").await {
        let settled = reminder.instalment == 0 && reminder.status == Sent;
        assert_eq!(reminder.reward.is_some(), settled, "{reminder:?}");
    }

    // The next stage is planned at once: the gap counts from stage 1's send, not from the
    // instalment reminders, and none of them is pending.
    let seen = Mutex::new(Vec::new());
    let decide = |due: &DueCase| {
        seen.lock().unwrap().push((due.stages_planned, due.last_sent_at, due.reminder_pending));
        CaseDecision::Remind(new_reminder(due, ChannelKind::Email, missed_at, missed_at + hours(24)))
    };
    assert_eq!(plan(&store, missed_at, &decide).await, 1);
    assert_eq!(seen.into_inner().unwrap(), [(2, Some(t0() + hours(1)), false)]);
}

/// The instalments of the case's open plan as (key, number in the plan, due date), read as a
/// channel worker gets them with the reminder `id`.
async fn plan_of_job(store: &Arc<dyn Store>, id: i64) -> Vec<(u32, u32, NaiveDate)> {
    let jobs = store.delivery_jobs(&[id]).await.unwrap();
    let plan = jobs[0].plan.as_ref().expect("the open plan");
    plan.instalments.iter().map(|i| (i.seq, i.number, i.due_on)).collect()
}

/// A second plan on the same case: one agreed while a plan is open replaces it, and one agreed
/// after a plan broke follows it. Each new plan's instalments are keyed on after the earlier
/// plans' (so neither they nor their reminders collide with the old rows, which stay as history),
/// while the debtor still reads "1 of N".
pub(super) async fn suite_second_plan(store: Arc<dyn Store>, _raw: Raw) {
    use ReminderStatus::{Cancelled, Scheduled};
    dunned(&store, &["I-1"]).await;
    let now = t0() + hours(30); // Tuesday 3 March 2026, 15:00 in Berlin
    let case_id = case(&store, "I-1").await.case_id;
    let (rules, grace) = (InstalmentRules::default(), PromiseRules::default());
    let choose = |months: u32, today: DateTime<Utc>| {
        let choice = InstalmentChoice { total: dec("100.00"), months, today: today.date_naive() };
        let store = store.clone();
        async move { choose_instalments(store.as_ref(), case_id, choice, rules, grace, today).await.unwrap() }
    };
    assert!(matches!(choose(3, now).await, InstalmentOutcome::Agreed { .. }));

    // The debtor changes their mind the next day: two instalments instead of three.
    let next_day = now + hours(24);
    let agreed = choose(2, next_day).await;
    assert!(matches!(agreed, InstalmentOutcome::Agreed { .. }), "{agreed:?}");
    let seen: Vec<_> =
        instalment_reminders(&store).await.into_iter().map(|(i, s, _, st)| (i, s, st)).collect();
    assert_eq!(
        seen,
        [
            (1, 0, Cancelled),
            (1, 1, Cancelled),
            (2, 0, Cancelled),
            (2, 1, Cancelled),
            (3, 0, Cancelled),
            (3, 1, Cancelled),
            (4, 0, Scheduled),
            (4, 1, Scheduled),
            (5, 0, Scheduled),
            (5, 1, Scheduled),
        ],
        "the replaced plan's reminders are cancelled, the new plan's are keyed 4 and 5"
    );
    let first_of_second = id_of(&store, 4, 0).await;
    let dues: Vec<NaiveDate> = ["2026-03-11", "2026-04-11"].iter().map(|d| d.parse().unwrap()).collect();
    assert_eq!(plan_of_job(&store, first_of_second).await, [(4, 1, dues[0]), (5, 2, dues[1])]);
    let jobs = store.delivery_jobs(&[first_of_second]).await.unwrap();
    let facts = mahnwerk::deliver::instalment::facts(&jobs[0]).expect("an instalment reminder");
    assert_eq!((facts.number, facts.of, facts.open), (1, 2, dec("50.00")), "the debtor reads 1 of 2");

    // The second plan breaks (nothing paid); the debtor then agrees a third one.
    let missed_at = grace.resume_at(dues[0]);
    assert_eq!(look_at_paused(&store, missed_at).await, 1);
    assert_eq!(case(&store, "I-1").await.state, CaseState::Reminding);
    let agreed = choose(2, missed_at).await;
    assert!(matches!(agreed, InstalmentOutcome::Agreed { .. }), "{agreed:?}");
    assert_eq!(case(&store, "I-1").await.state, CaseState::Paused);
    let keys: Vec<_> = instalment_reminders(&store)
        .await
        .into_iter()
        .filter(|&(.., status)| status == Scheduled)
        .map(|(instalment, stage, ..)| (instalment, stage))
        .collect();
    assert_eq!(keys, [(6, 0), (6, 1), (7, 0), (7, 1)], "the third plan follows the broken one");
    let numbers: Vec<_> =
        plan_of_job(&store, id_of(&store, 7, 1).await).await.iter().map(|&(k, n, _)| (k, n)).collect();
    assert_eq!(numbers, [(6, 1), (7, 2)]);
}
