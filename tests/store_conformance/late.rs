//! What arrives after a reminder was planned, on every backend: an opt-out between planning and
//! sending skips the reminder and hands its stage back to the planner.

use super::*;

pub(super) async fn suite_late_opt_out(store: Arc<dyn Store>, raw: Raw) {
    intake(&store, &[overdue(&invoice("RE-1"), t0())]).await;
    let send_at = t0() + hours(1);
    let ids = plan_reminders(&store, t0(), &[("RE-1", ChannelKind::Email, send_at)]).await;
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await.len(), 1);
    store.mark_queued(&ids).await.unwrap();
    let refused = DeliveryResult::OptedOut { reason: "the debtor opted out of email".into() };
    report(&store, now, vec![(ids[0], refused.clone())]).await;
    // A redelivered report changes nothing more.
    report(&store, now + hours(1), vec![(ids[0], refused)]).await;

    let seen = reminders(&store, "RE-1").await;
    assert_eq!(seen[0].status, ReminderStatus::Skipped);
    assert_eq!(
        raw.raw_strings(&format!("SELECT last_error FROM reminders WHERE id = {}", ids[0])).await,
        ["the debtor opted out of email"]
    );
    // The stage is due again at once; the address is not marked dead.
    let decide = |due: &DueCase| {
        assert_eq!(due.stages_planned, 0, "the same stage is planned again");
        assert!(due.debtor.unreachable.is_empty(), "an opt-out is no dead address");
        CaseDecision::Remind(new_reminder(due, ChannelKind::Letter, now + hours(20), now + hours(24 * 7)))
    };
    assert_eq!(plan(&store, now, &decide).await, 1);
    let seen = reminders(&store, "RE-1").await;
    assert_eq!((seen.len(), seen[1].stage, seen[1].channel), (2, 0, ChannelKind::Letter), "{seen:?}");
    assert_eq!(
        raw.raw_strings("SELECT kind FROM events WHERE kind LIKE 'channel.%' ORDER BY id").await,
        ["channel.opted_out"]
    );
}
