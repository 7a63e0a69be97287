//! What arrives after a reminder was planned or sent, on every backend: an opt-out between
//! planning and sending skips the reminder and hands its stage back to the planner; a failed
//! delivery receipt that says the address is dead does what a synchronous dead-address refusal
//! does (the address remembered, `channel.unreachable`, the stage planned again), but only while
//! the case is open and the stage is the newest.

use super::*;
use mahnwerk::store::{ProviderReport, Receipt, ReceiptStatus, ReceiptTarget};

pub(super) async fn suite_late_opt_out(store: Arc<dyn Store>, _raw: Raw) {
    intake(&store, &[overdue(&invoice("RE-1"), t0())]).await;
    let send_at = t0() + hours(1);
    let ids = plan_reminders(&store, t0(), &[("RE-1", ChannelKind::Email, send_at)]).await;
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await.len(), 1);
    store.mark_queued(&ids, t0()).await.unwrap();
    let refused = DeliveryResult::OptedOut { reason: "the debtor opted out of email".into() };
    report(&store, now, vec![(ids[0], refused.clone())]).await;
    // A redelivered report changes nothing more.
    report(&store, now + hours(1), vec![(ids[0], refused)]).await;

    let seen = reminders(&store, "RE-1").await;
    assert_eq!(seen[0].status, ReminderStatus::Skipped);
    assert_eq!(seen[0].last_error.as_deref(), Some("the debtor opted out of email"));
    // The stage is due again at once; the address is not marked dead.
    let decide = |due: &DueCase| {
        assert_eq!(due.stages_planned, 0, "the same stage is planned again");
        assert!(due.debtor.unreachable.is_empty(), "an opt-out is no dead address");
        CaseDecision::Remind(new_reminder(due, ChannelKind::Letter, now + hours(20), now + hours(24 * 7)))
    };
    assert_eq!(plan(&store, now, &decide).await, 1);
    let seen = reminders(&store, "RE-1").await;
    assert_eq!((seen.len(), seen[1].stage, seen[1].channel), (2, 0, ChannelKind::Letter), "{seen:?}");
    assert_eq!(unrelayed_events(&store, "channel.opted_out", 1).await.len(), 1);
    assert!(
        unrelayed_events(&store, "channel.unreachable", 0).await.is_empty(),
        "an opt-out is no dead address"
    );
}

fn failed(provider_id: &str, code: &str, unreachable: bool, at: DateTime<Utc>) -> ProviderReport {
    ProviderReport {
        receipts: vec![Receipt {
            channel: ChannelKind::Sms,
            target: ReceiptTarget::ProviderId(provider_id.into()),
            status: ReceiptStatus::Failed,
            at,
            error: Some(code.into()),
            unreachable,
        }],
        ..ProviderReport::default()
    }
}

/// The invoice numbers of the cases due at `now` (they are left due).
async fn due_at(store: &Arc<dyn Store>, now: DateTime<Utc>) -> Vec<(String, u32)> {
    let seen = Mutex::new(Vec::new());
    let decide = |case: &DueCase| {
        seen.lock().unwrap().push((case.invoice_number.to_string(), case.stages_planned));
        CaseDecision::Wait { until: now }
    };
    plan(store, now, &decide).await;
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    seen
}

pub(super) async fn suite_late_failures(store: Arc<dyn Store>, _raw: Raw) {
    let numbers = ["RE-1", "RE-2", "RE-3", "RE-4"];
    let commands: Vec<IntakeCommand> = numbers.iter().map(|n| overdue(&invoice(n), t0())).collect();
    intake(&store, &commands).await;
    let sms: Vec<_> = numbers.iter().map(|n| (*n, ChannelKind::Sms, t0() + hours(1))).collect();
    let ids = plan_reminders(&store, t0(), &sms).await;
    send(&store, t0() + hours(1), &ids).await;
    let provider = |i: usize| format!("provider-{}", ids[i]);
    // RE-3 is paid before its receipt comes; RE-4 moves on to its next stage.
    store.record_payment(&payment("RE-3", None, t0() + hours(2), "p-3"), WINDOW).await.unwrap();
    let later = t0() + hours(1000);
    let decide = |due: &DueCase| match due.invoice_number.as_str() {
        "RE-4" => CaseDecision::Remind(new_reminder(due, ChannelKind::Email, t0() + hours(26), later)),
        _ => CaseDecision::Wait { until: later },
    };
    assert_eq!(plan(&store, t0() + hours(25), &decide).await, 3);
    let now = t0() + hours(26);
    let record = |report: ProviderReport| {
        let store = Arc::clone(&store);
        async move { store.record_provider_report(&report).await.unwrap() }
    };

    // A failure that says nothing about the number: recorded, nothing else.
    assert_eq!(record(failed(&provider(1), "30001", false, now)).await.receipts, 1);
    assert_eq!(reminders(&store, "RE-2").await[0].receipt_status, Some(ReceiptStatus::Failed));
    assert!(due_at(&store, now).await.iter().all(|(n, _)| n != "RE-2"));

    // A dead number: remembered, announced, and the stage is due again at once.
    assert_eq!(record(failed(&provider(0), "30005", true, now)).await.receipts, 1);
    assert_eq!(due_at(&store, now).await, [("RE-1".to_string(), 0)], "only RE-1's stage goes again");
    let decide = |due: &DueCase| {
        assert_eq!(due.debtor.unreachable.get(&ChannelKind::Sms).map(String::as_str), Some("+4915112345678"));
        assert!(!due.debtor.reachable_channels().contains(&ChannelKind::Sms));
        CaseDecision::Remind(new_reminder(due, ChannelKind::Email, now + hours(1), now + hours(24 * 7)))
    };
    assert_eq!(plan(&store, now, &decide).await, 1);
    let seen = reminders(&store, "RE-1").await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[0].status, seen[0].receipt_status), (ReminderStatus::Sent, Some(ReceiptStatus::Failed)));
    assert_eq!((seen[1].stage, seen[1].channel), (0, ChannelKind::Email));
    // The same webhook again (a retry) changes nothing more.
    assert_eq!(record(failed(&provider(0), "30005", true, now + hours(1))).await.receipts, 0);

    // A paid case and a case past that stage are not planned again; the number is still dead.
    assert_eq!(record(failed(&provider(2), "30005", true, now)).await.receipts, 1);
    assert_eq!(record(failed(&provider(3), "30006", true, now)).await.receipts, 1);
    assert_eq!(case(&store, "RE-3").await.state, CaseState::Paid);
    let re_4 = case(&store, "RE-4").await;
    assert_eq!(re_4.stages_planned, 2, "RE-4 keeps its course");
    assert_eq!(re_4.next_action_at, Some(later));
    assert!(due_at(&store, now).await.is_empty());
    // Both debtors' number is remembered as dead, as a channel worker reads the debtor.
    for number in ["RE-3", "RE-4"] {
        let id = reminders(&store, number).await[0].id;
        let job = store.delivery_jobs(&[id]).await.unwrap().remove(0);
        assert_eq!(
            job.debtor.unreachable.get(&ChannelKind::Sms).map(String::as_str),
            Some("+4915112345678"),
            "{number}"
        );
    }
    assert_eq!(unrelayed_events(&store, "channel.unreachable", 3).await.len(), 3);
}
