//! Rejections and `stats` on every backend.

use super::*;
use mahnwerk::store::{RejectionScope, StoredRejection};

pub(super) async fn suite_stats(store: Arc<dyn Store>, _raw: Raw) {
    let rejection = |field: &str, payload: Vec<u8>, tenant: Option<&str>| Rejection {
        received_at: t0(),
        routing_key: "invoice.overdue".into(),
        field: field.into(),
        reason: format!("{field}: must be valid"),
        tenant: tenant.map(str::to_owned),
        invoice_number: tenant.map(|_| "RE-9".to_owned()),
        payload,
    };
    store.record_rejections(&[]).await.unwrap();
    store
        .record_rejections(&[
            rejection("amount_due", br#"{"amount_due":"1,5"}"#.to_vec(), Some(TENANT)),
            rejection("body", vec![0xff, 0xfe, 0x00, 0x80], None),
        ])
        .await
        .unwrap();
    assert_eq!(store.stats().await.unwrap().intake_rejections, 2);
    let listed = |rejections: Vec<StoredRejection>| -> Vec<(String, Option<String>, u64)> {
        rejections.into_iter().map(|r| (r.field, r.tenant, r.payload_bytes)).collect()
    };
    let all = store.rejections(&RejectionScope::All, 10).await.unwrap();
    assert_eq!(all[0].reason, "body: must be valid");
    assert_eq!(
        (all[1].routing_key.as_str(), all[1].invoice_number.as_deref()),
        ("invoice.overdue", Some("RE-9"))
    );
    assert_eq!(all[1].received_at, t0());
    assert_eq!(
        listed(all),
        [("body".to_owned(), None, 4), ("amount_due".to_owned(), Some(TENANT.to_owned()), 20)],
        "newest first, with the bytes kept"
    );
    let no_tenant = store.rejections(&RejectionScope::NoTenant, 10).await.unwrap();
    assert_eq!(listed(no_tenant), [("body".to_owned(), None, 4)]);
    let of_tenant = store.rejections(&RejectionScope::Tenant(TENANT.to_owned()), 10).await.unwrap();
    assert_eq!(listed(of_tenant), [("amount_due".to_owned(), Some(TENANT.to_owned()), 20)]);
    let other = store.rejections(&RejectionScope::Tenant("someone-else".to_owned()), 10).await.unwrap();
    assert!(other.is_empty());
    assert_eq!(store.rejections(&RejectionScope::All, 1).await.unwrap().len(), 1, "the limit holds");

    intake(
        &store,
        &[
            overdue(&invoice("RE-1"), t0()),
            overdue(&invoice("RE-2"), t0()),
            overdue(&invoice("RE-3"), t0() + hours(100)),
        ],
    )
    .await;
    let ids = plan_reminders(
        &store,
        t0(),
        &[("RE-1", ChannelKind::Sms, t0() + hours(1)), ("RE-2", ChannelKind::Email, t0() + hours(1))],
    )
    .await;
    // The outbox's backlog: planned for t0 + 1 h, due from then on; nothing dispatched yet.
    let early = store.backlog(t0()).await.unwrap();
    assert_eq!((early.reminders_due, early.reminders_queued), (0, 0), "{early:?}");
    let due = store.backlog(t0() + hours(1)).await.unwrap();
    assert_eq!((due.reminders_due, due.reminders_queued), (2, 0), "{due:?}");
    send(&store, t0() + hours(1), &ids[..1]).await;
    store.record_payment(&payment("RE-2", None, t0() + hours(2), "p-1"), WINDOW).await.unwrap();

    let stats = store.stats().await.unwrap();
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["cases"]["total"], 3, "{json}");
    for state in CaseState::ALL {
        assert!(json["cases"][state.as_str()].is_u64(), "cases.{state} in {json}");
    }
    assert_eq!(json["cases"]["open"], 1);
    assert_eq!(json["cases"]["reminding"], 1);
    assert_eq!(json["cases"]["paid"], 1);
    assert_eq!(json["reminders"]["total"], 2);
    let by_status = json["reminders"]["by_status"].as_object().expect("reminders.by_status");
    assert_eq!(
        by_status.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        ReminderStatus::ALL.iter().map(|s| s.as_str()).collect::<BTreeSet<_>>()
    );
    assert_eq!(by_status["sent"], 1);
    assert_eq!(by_status["cancelled"], 1);
    assert_eq!(by_status["scheduled"], 0);
    assert_eq!(json["reminders"]["by_channel"], serde_json::json!({"sms": 1, "email": 1}));
    assert_eq!(json["reminders"]["by_stage"], serde_json::json!({"1": 2}));
    assert_eq!(json["payments"], 1);
    assert_eq!(json["intake_rejections"], 2);

    // The events not yet relayed are those the relay hands out next; once published, none.
    // (On PostgreSQL an event becomes readable to the relay only once every older transaction in
    // the cluster has ended, so the relay may hand them out over several batches.)
    let unrelayed = store.backlog(t0() + hours(2)).await.unwrap().events_unrelayed;
    assert!(unrelayed > 0);
    let mut relayed = 0;
    while relayed < unrelayed {
        let batch = next_events(&store, 1000).await;
        relayed += batch.events.len() as u64;
        batch.published().await.unwrap();
    }
    assert_eq!(relayed, unrelayed);
    assert_eq!(store.backlog(t0() + hours(2)).await.unwrap().events_unrelayed, 0);
}
