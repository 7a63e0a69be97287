//! Planning on every backend: reminders written and cases moved in one transaction.

use super::*;

pub(super) async fn suite_plan(store: Arc<dyn Store>, _raw: Raw) {
    assert_eq!(store.next_due_at().await.unwrap(), None, "an empty store has nothing due");
    intake(
        &store,
        &[
            overdue(&invoice("RE-1"), t0()),
            overdue(&invoice("RE-2"), t0() + hours(48)),
            overdue(&invoice("RE-3"), t0()),
            overdue(&invoice("RE-4"), t0()),
        ],
    )
    .await;
    assert_eq!(store.next_due_at().await.unwrap(), Some(t0()));

    let now = t0() + hours(1);
    let seen = Mutex::new(Vec::new());
    let decide = |case: &DueCase| {
        seen.lock().unwrap().push((case.invoice_number.to_string(), case.state, case.stages_planned));
        match case.invoice_number.as_str() {
            "RE-1" => {
                CaseDecision::Remind(new_reminder(case, ChannelKind::Sms, now + hours(2), now + hours(168)))
            }
            "RE-3" => CaseDecision::Wait { until: now + hours(24) },
            "RE-4" => CaseDecision::Escalate,
            other => panic!("{other} is not due at {now}"),
        }
    };
    assert_eq!(plan(&store, now, &decide).await, 3);
    let mut seen = seen.into_inner().unwrap();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("RE-1".to_string(), CaseState::Open, 0),
            ("RE-3".to_string(), CaseState::Open, 0),
            ("RE-4".to_string(), CaseState::Open, 0),
        ]
    );

    // Remind: one scheduled reminder as decided; the case moves on.
    let written = reminders(&store, "RE-1").await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(
        written[0],
        ReminderView {
            id: written[0].id,
            stage: 0,
            channel: ChannelKind::Sms,
            status: ReminderStatus::Scheduled,
            send_at: now + hours(2),
            sent_at: None,
            provider_id: None,
            reward: None,
            policy_version: mahnwerk::domain::PolicyVersion::parse("test-1").unwrap(),
            receipt_status: None,
            receipt_at: None,
            last_error: None,
            receipt_error: None,
            instalment: 0,
        }
    );
    let view = case(&store, "RE-1").await;
    assert_eq!(
        (view.state, view.stages_planned, view.next_action_at),
        (CaseState::Reminding, 1, Some(now + hours(168)))
    );
    // Wait: only the time moves.
    let view = case(&store, "RE-3").await;
    assert_eq!(
        (view.state, view.stages_planned, view.next_action_at),
        (CaseState::Open, 0, Some(now + hours(24)))
    );
    assert!(reminders(&store, "RE-3").await.is_empty());
    // Escalate: handed over, never due again.
    let view = case(&store, "RE-4").await;
    assert_eq!((view.state, view.stages_planned, view.next_action_at), (CaseState::Escalated, 0, None));
    assert!(reminders(&store, "RE-4").await.is_empty());
    // Not yet due: untouched.
    let view = case(&store, "RE-2").await;
    assert_eq!((view.state, view.next_action_at), (CaseState::Open, Some(t0() + hours(48))));

    // Nothing is due any more at the same time.
    let nothing = |case: &DueCase| -> CaseDecision { panic!("{} decided twice", case.invoice_number) };
    assert_eq!(plan(&store, now, &nothing).await, 0);
    assert_eq!(store.next_due_at().await.unwrap(), Some(now + hours(2)), "the reminder's send time is next");

    // The limit caps one call; the earliest due case goes first.
    let later = t0() + hours(72);
    let order = Mutex::new(Vec::new());
    let wait = |case: &DueCase| {
        order.lock().unwrap().push(case.invoice_number.to_string());
        CaseDecision::Wait { until: later + hours(1000) }
    };
    assert_eq!(store.plan_due_cases(later, 1, &wait).await.unwrap(), 1);
    assert_eq!(store.plan_due_cases(later, 1, &wait).await.unwrap(), 1);
    assert_eq!(store.plan_due_cases(later, 1, &wait).await.unwrap(), 0);
    assert_eq!(order.into_inner().unwrap(), ["RE-3", "RE-2"], "earliest next action first");

    // The next stage of RE-1, a week later: the case arrives with one stage planned.
    let week = now + hours(168);
    let stage_two = |case: &DueCase| {
        assert_eq!(case.invoice_number.as_str(), "RE-1");
        assert_eq!((case.state, case.stages_planned), (CaseState::Reminding, 1));
        CaseDecision::Remind(new_reminder(case, ChannelKind::Letter, week + hours(1), week + hours(168)))
    };
    assert_eq!(plan(&store, week, &stage_two).await, 1);
    let written = reminders(&store, "RE-1").await;
    assert_eq!(
        written.iter().map(|r| (r.stage, r.channel)).collect::<Vec<_>>(),
        [(0, ChannelKind::Sms), (1, ChannelKind::Letter)]
    );
    assert_eq!(case(&store, "RE-1").await.stages_planned, 2);

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cases.by_state["reminding"], 1);
    assert_eq!(stats.cases.by_state["escalated"], 1);
    assert_eq!(stats.cases.by_state["open"], 2);
    assert_eq!(stats.reminders.by_status["scheduled"], 2);
    assert_eq!(stats.reminders.by_stage.get("1"), Some(&1));
    assert_eq!(stats.reminders.by_stage.get("2"), Some(&1));
}
