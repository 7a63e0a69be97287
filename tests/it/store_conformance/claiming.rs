//! Claiming due reminders for dispatch on every backend: leases, limits and order.

use super::*;

pub(super) async fn suite_claim(store: Arc<dyn Store>, _raw: Raw) {
    let numbers = ["RE-1", "RE-2", "RE-3", "RE-4", "RE-5"];
    let commands: Vec<_> = numbers.iter().map(|n| overdue(&invoice(n), t0())).collect();
    intake(&store, &commands).await;
    let ids = plan_reminders(
        &store,
        t0(),
        &[
            ("RE-1", ChannelKind::Email, t0() + hours(1)),
            ("RE-2", ChannelKind::Sms, t0() + hours(3)),
            ("RE-3", ChannelKind::Letter, t0() + hours(10)),
            ("RE-4", ChannelKind::Letter, t0() + hours(10)),
            ("RE-5", ChannelKind::Whatsapp, t0() + hours(10)),
        ],
    )
    .await;
    let (r1, r2) = (ids[0], ids[1]);

    assert!(claim(&store, t0(), 10).await.is_empty(), "nothing is due before its send time");
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await, [ClaimedReminder { id: r1, channel: ChannelKind::Email }]);
    assert_eq!(status_of(&store, "RE-1", 0).await, ReminderStatus::Scheduled, "leased, still scheduled");
    assert_eq!(status_of(&store, "RE-2", 0).await, ReminderStatus::Scheduled);
    assert_eq!(store.next_due_at().await.unwrap(), Some(now + Span::seconds(60)), "the lease's end is due");

    // Leased: not claimed again until the lease runs out.
    assert!(claim(&store, now + Span::seconds(30), 10).await.is_empty());
    assert!(claim(&store, now + Span::seconds(60), 10).await.is_empty(), "the lease runs to its end");
    let after_lease = now + Span::seconds(61);
    assert_eq!(
        claim(&store, after_lease, 10).await,
        [ClaimedReminder { id: r1, channel: ChannelKind::Email }]
    );

    // Queued reminders are not claimed again; only leased ones are marked queued.
    store.mark_queued(&[r1, r2], t0()).await.unwrap();
    assert_eq!(status_of(&store, "RE-1", 0).await, ReminderStatus::Queued);
    assert_eq!(status_of(&store, "RE-2", 0).await, ReminderStatus::Scheduled, "not claimed, not queued");
    store.mark_queued(&[], t0()).await.unwrap();
    assert!(claim(&store, after_lease + Span::seconds(3600 * 24), 0).await.is_empty(), "limit 0");
    assert!(claim(&store, now + Span::seconds(200), 10).await.is_empty());
    assert_eq!(
        claim(&store, t0() + hours(4), 10).await,
        [ClaimedReminder { id: r2, channel: ChannelKind::Sms }]
    );
    store.mark_queued(&[r2], t0()).await.unwrap();

    // The limit caps one claim.
    let late = t0() + hours(11);
    let first = claim(&store, late, 2).await;
    let second = claim(&store, late, 2).await;
    assert_eq!((first.len(), second.len()), (2, 1), "{first:?} then {second:?}");
    let all: BTreeSet<i64> = first.iter().chain(&second).map(|c| c.id).collect();
    assert_eq!(all, ids[2..].iter().copied().collect(), "each due reminder exactly once");
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.by_status["scheduled"], 3);
    assert_eq!(stats.reminders.by_status["queued"], 2);
}
