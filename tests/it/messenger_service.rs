//! Messenger reminders through the Send API, with wiremock standing in for Meta: Messenger only
//! delivers inside 24 hours of the person's last message to the page, so the scheduler offers it
//! only then. A debtor who wrote an hour ago gets the reminder on Messenger; one who never wrote
//! gets the plan's next channel (a letter) and Meta receives nothing for them.

use crate::support;
use support::rules::Rules as _;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::Config;
use mahnwerk::demo::world;
use mahnwerk::domain::ChannelKind;
use mahnwerk::queue::{MemoryQueue, Queue, Topology};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::{Inbound, ProviderReport, ReminderStatus};
use serde_json::{json, Value};
use std::sync::Arc;
use support::scenario::{eventually, json as message, quiet, service_config, stop_roles};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MESSAGES: &str = "/v25.0/me/messages";

fn config(meta: &MockServer, namespace: &str, outbox: &std::path::Path) -> Config {
    let rest = format!(
        r#"
[messenger]
page_access_token = "EAAP-token"
base_url = "{base}"
api_version = "v25.0"

[creditors.fb-test]
name = "Stadtwerke Musterstadt"
email = "forderungen@stadtwerke.example"

[tenant_plans.fb-test]
consumer = "messenger-first"

[[plans]]
name = "messenger-first"
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["messenger", "letter"]
"#,
        base = meta.uri()
    );
    service_config(namespace, outbox, &rest)
}

fn invoice(i: usize, psid: &str) -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "fb-test", "invoice_number": format!("FB-{i}"),
        "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "49.90",
        "debtor": {"id": format!("D-{i}"), "name": format!("Debtor {i}"), "language": "de",
                   "timezone": "Europe/Berlin", "messenger_psid": psid,
                   "address": {"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_is_used_only_inside_the_24_hour_window() {
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", "Bearer EAAP-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"recipient_id": "7001", "message_id": "m_1"})),
        )
        .mount(&meta)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let store = mahnwerk::store::open(&format!("sqlite://{}/m.sqlite", dir.path().display())).await.unwrap();
    let topology = Topology::new("mahnwerk");
    let queue = Arc::new(MemoryQueue::new(topology.clone()));
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&meta, &topology.namespace, outbox.path());
    // 07:00 in Berlin: every send hour of the day is within 24 hours of a message at 06:00.
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();

    let invoices =
        [("7001", 0), ("7002", 1)].iter().map(|(p, i)| message("invoice.overdue", &invoice(*i, p))).collect();
    // Intake only, then the debtor of FB-0 writes to the page before anything is planned.
    let intake = service.intake();
    queue.publish(&topology.intake_exchange(), invoices).await.unwrap();
    let mut consumer = queue.consume(&topology.intake_queue(), 10).await.unwrap();
    let batch = queue.take_ready(&topology.intake_queue(), consumer.as_mut(), 10).await;
    intake.process_batch(&batch).await.unwrap();
    drop(consumer);
    let wrote = ProviderReport {
        inbound: vec![Inbound {
            channel: ChannelKind::Messenger,
            contact: "7001".into(),
            at: clock.now() - Days::hours(1),
            message_id: None,
        }],
        ..ProviderReport::default()
    };
    let recorded = store.record_provider_report(&wrote).await.unwrap();
    assert_eq!(recorded.inbound, 1, "the message is matched to the debtor of FB-0");

    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);
    eventually("reminders planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    // Monday 12:00 UTC: the first reminders' 10:00 local send time has come in every simulated
    // timezone, and their day's window is still open.
    clock.advance(Days::hours(6));
    eventually("reminders sent", || async { quiet(store.as_ref(), clock.now()).await }).await;
    stop_roles(trigger, roles).await;

    let requests = meta.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "only the debtor who wrote gets a Messenger message");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["recipient"]["id"], "7001");
    let text = body["message"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("49,90 €") && text.contains("FB-0"), "{body}");
    let wrote_reminders = store.reminders_of("fb-test", "FB-0").await.unwrap();
    assert_eq!(
        (wrote_reminders[0].channel, wrote_reminders[0].status),
        (ChannelKind::Messenger, ReminderStatus::Sent)
    );
    let silent = store.reminders_of("fb-test", "FB-1").await.unwrap();
    assert_eq!(silent.len(), 1, "{silent:?}");
    assert_eq!(silent[0].channel, ChannelKind::Letter, "never wrote: Messenger is not offered");
}
