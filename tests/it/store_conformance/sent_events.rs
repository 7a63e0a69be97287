//! What a delivery batch sent becomes one `reminders.sent` event per tenant and channel, on every
//! backend: each lists its reminders in id order, no tenant's event names another tenant's
//! invoices, each names its case, invoice and debtor, and a replayed report adds no event.

use super::*;
use mahnwerk::queue::SENT_EVENT;

/// (tenant, channel, [(invoice number, stage)]) of one event.
type Summary = (String, String, Vec<(String, i64)>);

pub(super) async fn suite_sent_events(store: Arc<dyn Store>, _raw: Raw) {
    let mut theirs = invoice_for("RE-1", debtor("C-9"), eur("5.00"));
    theirs.tenant = TenantId::parse("other").unwrap();
    let ours_sms = invoice_for("RE-2", debtor("C-2"), eur("9.99"));
    intake(&store, &[overdue(&invoice("RE-1"), t0()), overdue(&ours_sms, t0()), overdue(&theirs, t0())])
        .await;
    let send_at = t0() + hours(1);
    let decide = |case: &DueCase| {
        let channel =
            if case.invoice_number.as_str() == "RE-2" { ChannelKind::Sms } else { ChannelKind::Email };
        CaseDecision::Remind(new_reminder(case, channel, send_at, send_at + hours(24)))
    };
    assert_eq!(plan(&store, t0(), &decide).await, 3);
    let now = t0() + hours(2);
    let ids: Vec<i64> = claim(&store, now, 10).await.into_iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 3);
    store.mark_queued(&ids, t0()).await.unwrap();
    let all_sent = || ids.iter().map(|&id| (id, sent(&format!("p-{id}")))).collect();
    report(&store, now, all_sent()).await;
    report(&store, now + hours(1), all_sent()).await;

    let events = unrelayed_events(&store, SENT_EVENT, 3).await;
    let summary: Vec<Summary> = events
        .iter()
        .map(|e| {
            assert_eq!(e["schema"], "mahnwerk.event.v1", "{e}");
            assert_eq!(e["occurred_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), now, "{e}");
            let reminders = e["reminders"].as_array().unwrap();
            let listed: Vec<i64> = reminders.iter().map(|r| r["reminder_id"].as_i64().unwrap()).collect();
            assert!(listed.windows(2).all(|w| w[0] < w[1]), "in id order: {e}");
            assert!(reminders.iter().all(|r| r["case_id"].is_i64() && r["debtor_id"].is_string()), "{e}");
            let numbers = reminders
                .iter()
                .map(|r| (r["invoice_number"].as_str().unwrap().to_owned(), r["stage"].as_i64().unwrap()))
                .collect();
            (e["tenant"].as_str().unwrap().to_owned(), e["channel"].as_str().unwrap().to_owned(), numbers)
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("acme".to_owned(), "email".to_owned(), vec![("RE-1".to_owned(), 1)]),
            ("acme".to_owned(), "sms".to_owned(), vec![("RE-2".to_owned(), 1)]),
            ("other".to_owned(), "email".to_owned(), vec![("RE-1".to_owned(), 1)]),
        ],
        "one event per tenant and channel, none for the replay"
    );
    let listed: BTreeSet<i64> = events
        .iter()
        .flat_map(|e| e["reminders"].as_array().unwrap().iter().map(|r| r["reminder_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(listed, ids.iter().copied().collect(), "every reminder sent is listed once");
}
