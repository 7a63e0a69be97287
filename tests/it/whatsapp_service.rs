//! WhatsApp reminders through the configured Cloud API account, with wiremock standing in for
//! Meta's Graph API: every role runs in-process, a plan sends its first stage by WhatsApp, and
//! each opted-in debtor gets the approved template in their language with the amount and invoice
//! number as body parameters; a number Meta cannot deliver to (131026) is remembered as dead and
//! the stage goes out by letter instead.

use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::Config;
use mahnwerk::demo::world;
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::ReminderStatus;
use serde_json::{json, Value};
use std::sync::Arc;
use support::scenario::{eventually, json as message, live_until, quiet, service_config, stop_roles};
use support::servers::Backend;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const MESSAGES: &str = "/v25.0/106540352242922/messages";
const NOT_ON_WHATSAPP: &str = "+4915100000003";

fn config(meta: &MockServer, namespace: &str, outbox: &std::path::Path) -> Config {
    let rest = format!(
        r#"
[whatsapp]
phone_number_id = "106540352242922"
access_token = "EAAG-token"
base_url = "{base}"
api_version = "v25.0"

[creditors.wa-test]
name = "Stadtwerke Musterstadt"
email = "forderungen@stadtwerke.example"

[tenant_plans.wa-test]
consumer = "whatsapp-first"

[[plans]]
name = "whatsapp-first"
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["whatsapp", "letter"]
"#,
        base = meta.uri()
    );
    service_config(namespace, outbox, &rest)
}

fn invoice(i: usize, phone: &str) -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "wa-test", "invoice_number": format!("WA-{i}"),
        "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "49.90",
        "debtor": {"id": format!("D-{i}"), "name": format!("Debtor {i}"), "language": "de",
                   "timezone": "Europe/Berlin", "whatsapp": phone, "whatsapp_opt_in": true,
                   "address": {"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_reminders_go_out_as_approved_templates() {
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", "Bearer EAAG-token"))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
            let to = body["to"].as_str().unwrap_or_default().to_owned();
            if to == NOT_ON_WHATSAPP {
                ResponseTemplate::new(400).set_body_json(json!({"error": {
                    "message": "Message Undeliverable.", "type": "OAuthException", "code": 131026}}))
            } else {
                ResponseTemplate::new(200).set_body_json(json!({
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
                    "messages": [{"id": format!("wamid.{}", to.trim_start_matches('+'))}]
                }))
            }
        })
        .mount(&meta)
        .await;

    let backend = Backend::embedded().await;
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&meta, &topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let phones = ["+4915100000001", "+4915100000002", NOT_ON_WHATSAPP];
    let invoices =
        phones.iter().enumerate().map(|(i, p)| message("invoice.overdue", &invoice(i, p))).collect();
    queue.publish(&topology.intake_exchange(), invoices).await.unwrap();
    eventually("cases opened", || async { store.stats().await.unwrap().cases.total == 3 }).await;
    eventually("reminders planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    live_until(store.as_ref(), &clock, clock.now() + Days::days(3)).await;
    stop_roles(trigger, roles).await;

    let requests = meta.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 3, "one request per WhatsApp reminder");
    for (i, phone) in phones.iter().enumerate() {
        let body: Value = requests
            .iter()
            .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
            .find(|b| b["to"] == *phone)
            .expect("a request");
        assert_eq!(body["type"], "template", "outside the 24-hour window only a template may go: {body}");
        assert_eq!(body["template"]["name"], "payment_reminder_friendly");
        assert_eq!(body["template"]["language"]["code"], "de");
        let parameters = body["template"]["components"][0]["parameters"].to_string();
        assert!(parameters.contains("49,90 €") && parameters.contains(&format!("WA-{i}")), "{parameters}");
        assert!(!body.to_string().contains("mahnwerk"), "white label: {body}");
        let reminders = store.reminders_of("wa-test", &format!("WA-{i}")).await.unwrap();
        if *phone == NOT_ON_WHATSAPP {
            assert_eq!(reminders.len(), 2, "{reminders:?}");
            assert_eq!(reminders[0].status, ReminderStatus::Failed);
            assert_eq!(
                (reminders[1].channel.as_str(), reminders[1].status),
                ("letter", ReminderStatus::Sent)
            );
        } else {
            assert_eq!(reminders.len(), 1, "{reminders:?}");
            assert_eq!(reminders[0].status, ReminderStatus::Sent);
            assert_eq!(reminders[0].provider_id.as_deref(), Some(format!("wamid.{}", &phone[1..]).as_str()));
        }
    }
    assert!(!outbox.path().join("whatsapp.jsonl").exists(), "nothing went to the sandbox instead");
    assert!(outbox.path().join("letter.jsonl").exists(), "the fallback letter is in the outbox");
}
