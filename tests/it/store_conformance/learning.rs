//! The learning loop on every backend: outcome events, settled windows, snapshots kept.

use super::*;

pub(super) async fn suite_learning(store: Arc<dyn Store>, raw: Raw) {
    let ids = dunned(&store, &["RE-1", "RE-2", "RE-3"]).await;
    let sent_at = t0() + hours(1);

    // A payment inside the window: reward 1 and its event, in the payment's transaction.
    let paid = payment("RE-1", None, t0() + hours(25), "ref-1");
    store.record_payment(&paid, WINDOW).await.unwrap();

    // Windows still open settle nothing; once closed, the unpaid reminders get reward 0, once.
    assert_eq!(store.settle_outcomes(sent_at + hours(71), WINDOW, 100).await.unwrap(), 0);
    let closed = sent_at + hours(73);
    assert_eq!(store.settle_outcomes(closed, WINDOW, 1).await.unwrap(), 1, "the limit holds");
    assert_eq!(store.settle_outcomes(closed, WINDOW, 100).await.unwrap(), 1);
    assert_eq!(store.settle_outcomes(closed + hours(100), WINDOW, 100).await.unwrap(), 0);
    for (number, reward) in [("RE-1", 1.0), ("RE-2", 0.0), ("RE-3", 0.0)] {
        let first = reminders(&store, number).await.into_iter().find(|r| r.stage == 0).unwrap();
        assert_eq!(first.reward, Some(reward), "{number}");
    }

    // Every outcome is one event, a decision-log line, handed to the relay oldest first (on
    // PostgreSQL a batch may stop short while other transactions in the cluster are still
    // running: it is asked for again until it holds all three outcomes).
    let mut batch = next_events(&store, 100).await;
    for _ in 0..400 {
        if batch.events.iter().filter(|e| e.kind == "reminder.outcome").count() == 3 {
            break;
        }
        drop(batch);
        tokio::time::sleep(Duration::from_millis(25)).await;
        batch = next_events(&store, 100).await;
    }
    let events = batch.events.clone();
    let outcomes: Vec<&mahnwerk::store::EventRecord> =
        events.iter().filter(|e| e.kind == "reminder.outcome").collect();
    assert_eq!(outcomes.len(), 3, "{events:?}");
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    let lines: Vec<serde_json::Value> =
        outcomes.iter().map(|e| serde_json::from_str(&e.data).unwrap()).collect();
    let first = &lines[0];
    assert_eq!(first["reminder_id"], serde_json::json!(ids[0].0));
    assert_eq!(first["debtor"], "acme/D-RE-1");
    assert_eq!((first["channel"].as_str(), first["hour"].as_i64()), (Some("email"), Some(9)));
    assert_eq!((first["reward"].as_f64(), first["propensity"].as_f64()), (Some(1.0), Some(0.25)));
    assert_eq!(first["policy_version"], "test-1");
    assert_eq!(first["context"]["segment"], "b2c");
    assert_eq!(first["channels"], serde_json::json!(["email", "letter"]), "the arms it chose among");
    assert_eq!(first["hours"], serde_json::json!([9, 18]));
    let rewards: Vec<f64> = lines.iter().map(|l| l["reward"].as_f64().unwrap()).collect();
    assert_eq!(rewards, [1.0, 0.0, 0.0]);
    let logged: mahnwerk_models::bandit::LoggedDecision = serde_json::from_value(first.clone()).unwrap();
    assert_eq!((logged.channel.as_str(), logged.hour, logged.reward), ("email", 9, Some(1.0)));

    // While one relay holds a batch, no other gets events; a batch dropped unpublished (the
    // publish failed) comes again whole; a published one never again, and what follows it does.
    assert!(store.next_events(100).await.unwrap().is_none(), "one relay at a time");
    drop(batch);
    let again = next_events(&store, 100).await;
    assert_eq!(again.events, events);
    let (head, tail) = events.split_at(2);
    drop(again);
    let first_two = next_events(&store, 2).await;
    assert_eq!(first_two.events, head);
    first_two.published().await.unwrap();
    let rest = next_events(&store, 100).await;
    assert_eq!(rest.events, tail);
    rest.published().await.unwrap();
    assert!(store.next_events(100).await.unwrap().is_none(), "everything went out");

    // Snapshots: versions grow, the newest is served, only the last few are kept.
    assert_eq!(store.latest_policy_version().await.unwrap(), None);
    assert!(store.latest_policy_snapshot().await.unwrap().is_none());
    let mut versions = Vec::new();
    for n in 0..(mahnwerk::store::SNAPSHOTS_KEPT + 2) {
        versions.push(store.save_policy_snapshot(closed, n * 10, &format!("{{\"n\":{n}}}")).await.unwrap());
    }
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let latest = store.latest_policy_snapshot().await.unwrap().unwrap();
    assert_eq!(Some(latest.version), store.latest_policy_version().await.unwrap());
    assert_eq!(latest.version, *versions.last().unwrap());
    assert_eq!((latest.updates, latest.body.as_str(), latest.created_at), (110, "{\"n\":11}", closed));
    let newest_first: Vec<i64> =
        versions.iter().rev().take(mahnwerk::store::SNAPSHOTS_KEPT as usize).copied().collect();
    assert_eq!(store.kept_policy_versions().await.unwrap(), newest_first, "only the newest are kept");

    // A deleted relay cursor is an error that says so, not a relay that quietly finds nothing.
    raw.raw_execute("DELETE FROM event_relay").await;
    let error = store.next_events(100).await.expect_err("no cursor, no relay");
    assert!(error.to_string().contains("event_relay has no row"), "{error}");
}
