//! Fallback after a dead address on every backend: the stage is planned again elsewhere.

use super::*;

// Fallback after a dead address.

pub(super) async fn suite_fallback(store: Arc<dyn Store>, _raw: Raw) {
    intake(
        &store,
        &[overdue(&invoice("RE-1"), t0()), overdue(&invoice_for("RE-2", debtor("C-2"), eur("9.99")), t0())],
    )
    .await;
    let send_at = t0() + hours(1);
    let ids = plan_reminders(
        &store,
        t0(),
        &[("RE-1", ChannelKind::Email, send_at), ("RE-2", ChannelKind::Email, send_at)],
    )
    .await;
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await.len(), 2);
    store.mark_queued(&ids, t0()).await.unwrap();
    let dead = DeliveryResult::Unreachable {
        error: "unreachable: 550 5.1.1 user unknown".into(),
        address: "erika@example.org".into(),
    };
    report(&store, now, vec![(ids[0], dead.clone()), (ids[1], sent("p-2"))]).await;
    // A redelivered report changes nothing more.
    report(&store, now + hours(1), vec![(ids[0], dead)]).await;

    let first = reminders(&store, "RE-1").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].status, ReminderStatus::Failed);
    let case_1 = case(&store, "RE-1").await;
    // The stage is handed back to the planner at once, with the email address marked dead.
    let decide = |due: &DueCase| {
        assert_eq!(due.invoice_number.as_str(), "RE-1", "only the bounced case is due again");
        assert_eq!(due.stages_planned, 0, "the same stage is planned again");
        assert_eq!(
            due.debtor.unreachable.get(&ChannelKind::Email).map(String::as_str),
            Some("erika@example.org")
        );
        assert!(!due.debtor.reachable_channels().contains(&ChannelKind::Email));
        CaseDecision::Remind(new_reminder(due, ChannelKind::Letter, now + hours(20), now + hours(24 * 7)))
    };
    assert_eq!(plan(&store, now, &decide).await, 1);
    let seen = reminders(&store, "RE-1").await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[1].stage, seen[1].channel), (0, ChannelKind::Letter));
    assert_eq!(seen[1].status, ReminderStatus::Scheduled);
    let jobs = store.delivery_jobs(&[seen[1].id]).await.unwrap();
    assert_eq!(jobs[0].idempotency_key, idempotency_key(case_1.case_id, 0, 0), "a new channel, the same key");
    // The debtor's other invoices see the dead address too; RE-2's debtor is untouched.
    intake(&store, &[overdue(&invoice_for("RE-3", debtor("D-RE-1"), eur("42.00")), now)]).await;
    let check = |due: &DueCase| {
        match due.invoice_number.as_str() {
            "RE-3" => assert!(!due.debtor.reachable_channels().contains(&ChannelKind::Email)),
            other => panic!("{other} is not due"),
        }
        CaseDecision::Wait { until: now + hours(24) }
    };
    assert_eq!(plan(&store, now, &check).await, 1);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.by_status.get("failed"), Some(&1), "{stats:?}");
}
