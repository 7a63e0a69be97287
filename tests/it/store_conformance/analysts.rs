//! What analysts read and write on every backend: the decision export (streamed, filtered, with
//! the invoice's payment) and published models (one transaction with the snapshot, kept after
//! the snapshot rows are pruned).

use super::*;
use futures_util::TryStreamExt as _;
use mahnwerk::store::{ExportFilter, NewPublication};

async fn export(store: &Arc<dyn Store>, filter: ExportFilter) -> Vec<mahnwerk::store::ExportedDecision> {
    store.export_decisions(filter).try_collect().await.unwrap()
}

pub(super) async fn suite_analysts(store: Arc<dyn Store>, _raw: Raw) {
    let ids = dunned(&store, &["RE-1", "RE-2"]).await;
    let paid_at = t0() + hours(25);
    store.record_payment(&payment("RE-1", None, paid_at, "ref-1"), WINDOW).await.unwrap();

    // Sent reminders only (each invoice's second reminder is planned, not sent), oldest first.
    let all = export(&store, ExportFilter::default()).await;
    assert_eq!(all.iter().map(|d| d.line.reminder_id).collect::<Vec<_>>(), [ids[0].0, ids[1].0]);
    let (paid, open) = (&all[0], &all[1]);
    assert_eq!((paid.line.reward, paid.paid_at, paid.amount_paid), (Some(1.0), Some(paid_at), dec("100.00")));
    assert_eq!((paid.subject.invoice_number.as_str(), paid.currency.as_str()), ("RE-1", "EUR"));
    assert_eq!((paid.line.channel, paid.line.hour, paid.line.stage), (ChannelKind::Email, 9, 1));
    assert_eq!(paid.line.channels, serde_json::json!(["email", "letter"]));
    assert_eq!(
        (open.line.reward, open.paid_at, open.amount_paid),
        (None, None, Decimal::ZERO),
        "window open"
    );

    // Filters: tenant, and the decision's time (since inclusive, until exclusive).
    let only = |tenant: &str| ExportFilter { tenant: Some(tenant.to_owned()), ..ExportFilter::default() };
    assert_eq!(export(&store, only(TENANT)).await.len(), 2);
    assert!(export(&store, only("other")).await.is_empty());
    let planned = all[0].line.at;
    let since = ExportFilter { since: Some(planned), ..ExportFilter::default() };
    assert_eq!(export(&store, since).await.len(), 2, "since is inclusive");
    let until = ExportFilter { until: Some(planned), ..ExportFilter::default() };
    assert!(export(&store, until).await.is_empty(), "until is exclusive");

    // Publishing: the newest snapshot and its record, in one go; kept after snapshots are pruned.
    let learner = store.save_policy_snapshot(t0(), 5, "{\"learner\":1}").await.unwrap();
    let publication = NewPublication {
        published_at: t0() + hours(1),
        published_by: "alice",
        note: "sms first",
        evaluation: Some("{\"n\":10}"),
        restores: None,
        updates: 7,
        body: "{\"model\":\"a\"}",
    };
    let version = store.publish_policy(&publication).await.unwrap();
    assert_eq!(version, learner + 1);
    let newest = store.latest_policy_snapshot().await.unwrap().unwrap();
    assert_eq!((newest.version, newest.updates, newest.body.as_str()), (version, 7, "{\"model\":\"a\"}"));
    for n in 0..mahnwerk::store::SNAPSHOTS_KEPT {
        store.save_policy_snapshot(t0() + hours(2), n, "{}").await.unwrap();
    }
    let again = NewPublication { restores: Some(version), evaluation: None, note: "back", ..publication };
    let restored = store.publish_policy(&again).await.unwrap();
    let published = store.published_models().await.unwrap();
    let summary: Vec<_> = published.iter().map(|p| (p.version, p.note.as_str(), p.restores)).collect();
    assert_eq!(summary, [(restored, "back", Some(version)), (version, "sms first", None)]);
    assert_eq!(
        (published[1].published_by.as_str(), published[1].evaluation.as_deref()),
        ("alice", Some("{\"n\":10}"))
    );
    assert_eq!(published[1].published_at, t0() + hours(1));
    assert_eq!(
        store.published_body(version).await.unwrap().as_deref(),
        Some("{\"model\":\"a\"}"),
        "kept after pruning"
    );
    assert_eq!(store.published_body(learner).await.unwrap(), None, "the learner's are not published");
}
