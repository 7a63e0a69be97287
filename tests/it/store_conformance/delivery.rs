//! Delivery jobs and what channel workers report, on every backend.

use super::*;

pub(super) async fn suite_delivery(store: Arc<dyn Store>, _raw: Raw) {
    let numbers = ["RE-1", "RE-2", "RE-3", "RE-4"];
    let invoices: Vec<Invoice> =
        numbers.iter().map(|n| invoice_for(n, debtor("C-1"), eur("250.00"))).collect();
    intake(&store, &invoices.iter().map(|i| overdue(i, t0())).collect::<Vec<_>>()).await;
    let send_at = t0() + hours(1);
    let ids = plan_reminders(
        &store,
        t0(),
        &numbers.iter().map(|n| (*n, ChannelKind::Email, send_at)).collect::<Vec<_>>(),
    )
    .await;

    assert!(store.delivery_jobs(&[]).await.unwrap().is_empty());
    let jobs = store.delivery_jobs(&[ids[0], 999_999, ids[0]]).await.unwrap();
    assert_eq!(jobs.len(), 1, "unknown ids are left out, a repeated one gives one job");
    let job = &jobs[0];
    let case_id = case(&store, "RE-1").await.case_id;
    assert_eq!(job.reminder_id, ids[0]);
    assert_eq!(job.idempotency_key, format!("rem-{case_id}-0"));
    assert_eq!(job.idempotency_key, idempotency_key(case_id, 0, 0));
    assert_eq!(job.status, ReminderStatus::Scheduled);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.channel, ChannelKind::Email);
    assert_eq!(job.stage, 0);
    assert_eq!(job.stage_name, "Stufe 1");
    assert_eq!(job.tone, Tone::Firm);
    assert_eq!(job.fee, dec("2.50"));
    assert_eq!(job.case_state, CaseState::Reminding);
    assert_eq!(job.tenant, tenant());
    assert_eq!(job.invoice_number, number("RE-1"));
    assert_eq!(job.due_on, invoices[0].due_on);
    assert_eq!(job.amount_due, eur("250.00"));
    assert_eq!(job.amount_paid, Decimal::ZERO);
    assert_eq!(job.debtor, debtor("C-1"));
    let all = store.delivery_jobs(&ids).await.unwrap();
    assert_eq!(all.iter().map(|j| j.reminder_id).collect::<BTreeSet<_>>(), ids.iter().copied().collect());
    let keys: BTreeSet<&str> = all.iter().map(|j| j.idempotency_key.as_str()).collect();
    assert_eq!(keys.len(), 4, "idempotency keys are unique");

    // Through dispatch, then one report of each kind.
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await.len(), 4);
    store.mark_queued(&ids, t0()).await.unwrap();
    let retry_at = now + hours(6);
    report(
        &store,
        now,
        vec![
            (ids[0], sent("provider-1")),
            (ids[1], DeliveryResult::Retry { error: "timeout".into(), retry_at }),
            (ids[2], DeliveryResult::Failed { error: "mailbox unknown".into() }),
            (ids[3], DeliveryResult::Skipped { reason: "case paid".into() }),
        ],
    )
    .await;

    let view = |number: &'static str| {
        let store = Arc::clone(&store);
        async move { reminders(&store, number).await.remove(0) }
    };
    let r = view("RE-1").await;
    assert_eq!(
        (r.status, r.provider_id.as_deref(), r.sent_at),
        (ReminderStatus::Sent, Some("provider-1"), Some(now))
    );
    let r = view("RE-2").await;
    assert_eq!((r.status, r.send_at, r.sent_at), (ReminderStatus::Scheduled, retry_at, None));
    assert_eq!(view("RE-3").await.status, ReminderStatus::Failed);
    assert_eq!(view("RE-4").await.status, ReminderStatus::Skipped);
    let attempts: BTreeMap<i64, u32> =
        store.delivery_jobs(&ids).await.unwrap().into_iter().map(|j| (j.reminder_id, j.attempts)).collect();
    assert_eq!(attempts[&ids[0]], 1, "sent");
    assert_eq!(attempts[&ids[1]], 1, "retried");
    assert_eq!(attempts[&ids[2]], 1, "failed");

    // Reports for reminders that do not exist change nothing and fail nothing.
    report(&store, now, vec![(999_999, sent("provider-x"))]).await;

    // Late or repeated reports do not undo an outcome.
    report(
        &store,
        now + hours(1),
        vec![
            (ids[0], sent("provider-2")),
            (ids[2], DeliveryResult::Retry { error: "late".into(), retry_at }),
            (ids[3], sent("provider-3")),
        ],
    )
    .await;
    let r = view("RE-1").await;
    assert_eq!((r.provider_id.as_deref(), r.sent_at), (Some("provider-1"), Some(now)), "a replayed send");
    assert_eq!(view("RE-3").await.status, ReminderStatus::Failed);
    // A skipped reminder that was in fact sent is recorded as sent: it did go out.
    assert_eq!(view("RE-4").await.status, ReminderStatus::Sent);

    // The retried reminder comes due again at its new time, with the same key.
    assert!(claim(&store, retry_at - Span::seconds(1), 10).await.is_empty());
    assert_eq!(
        claim(&store, retry_at, 10).await,
        [ClaimedReminder { id: ids[1], channel: ChannelKind::Email }]
    );
    let again = store.delivery_jobs(&[ids[1]]).await.unwrap().remove(0);
    assert_eq!(again.idempotency_key, idempotency_key(case(&store, "RE-2").await.case_id, 0, 0));
    assert_eq!(again.status, ReminderStatus::Scheduled);

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.by_status["sent"], 2);
    assert_eq!(stats.reminders.by_status["scheduled"], 1);
    assert_eq!(stats.reminders.by_status["failed"], 1);
    assert_eq!(stats.reminders.by_channel.get("email"), Some(&4));
}
