//! Letters through the configured Pingen organisation, with wiremock standing in for Pingen's
//! identity host, API and presigned upload URL: every role runs in-process (the API on a free
//! port), a plan sends its first stage by letter, each letter is uploaded as a PDF and created
//! with `auto_send`, and the reminder records Pingen's letter id. Pingen's signed webhooks then
//! move the receipt (`sent`, `undeliverable` → failed, and a returned letter's address counts as
//! dead, so its case escalates with no other channel left); forged or unsigned calls get 401 and
//! change nothing, and events about unknown letters get 200 and change nothing. On the embedded
//! default and on PostgreSQL + RabbitMQ.

use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::Config;
use mahnwerk::demo::world;
use mahnwerk::domain::CaseState;
use mahnwerk::queue::{Queue, Topology};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::{ReceiptStatus, ReminderStatus, ReminderView, Store};
use mahnwerk_channels::signature::pingen_signature;
use serde_json::{json, Value};
use std::sync::Arc;
use support::scenario::{eventually, json as message, quiet, service_config, stop_roles};
use support::servers::Backend;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TENANT: &str = "letter-test";
const ORG: &str = "0c9e3d2a-7b1f-4c8e-9d6a-5f4e3b2a1c0d";
const LETTERS: &str = "/organisations/0c9e3d2a-7b1f-4c8e-9d6a-5f4e3b2a1c0d/deliveries/letters";
const HOOK_KEY: &str = "pingen-hook-key";

fn config(pingen: &MockServer, namespace: &str, outbox: &std::path::Path) -> Config {
    let rest = format!(
        r#"
[pingen]
client_id = "client-9"
client_secret = "client-secret-9"
organisation_id = "{ORG}"
webhook_secret = "{HOOK_KEY}"
identity_url = "{base}"
api_url = "{base}"
delivery_product = "fast"

[creditors.{TENANT}]
name = "Stadtwerke Musterstadt"
email = "forderungen@stadtwerke.example"
address_lines = ["Hauptstr. 1", "10115 Berlin"]

[tenant_plans.{TENANT}]
consumer = "letter-first"

[[plans]]
name = "letter-first"
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["letter"]
"#,
        base = pingen.uri()
    );
    service_config(namespace, outbox, &rest)
}

fn invoice(i: usize) -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": TENANT, "invoice_number": format!("LTR-{i}"),
        "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "149.90",
        "debtor": {"id": format!("D-{i}"), "name": format!("Debtor {i}"), "language": "de",
                   "timezone": "Europe/Berlin",
                   "address": {"line1": format!("Musterstr. {i}"), "postal_code": "10115", "city": "Berlin", "country": "DE"}}
    })
}

/// Pingen's letter id for the letter created with `key`.
fn letter_id(key: &str) -> String {
    format!("pl-{key}")
}

async fn pingen() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/access-tokens"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "tok-9", "expires_in": 43200})),
        )
        .mount(&server)
        .await;
    let upload = format!("{}/upload/letter?signature=presigned", server.uri());
    Mock::given(method("GET"))
        .and(path("/file-upload"))
        .and(header("authorization", "Bearer tok-9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"type": "file_uploads",
            "attributes": {"url": upload, "url_signature": "sig-9"}}})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/upload/letter"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(LETTERS))
        .and(header("authorization", "Bearer tok-9"))
        .respond_with(|request: &Request| {
            let key = request.headers["idempotency-key"].to_str().unwrap();
            ResponseTemplate::new(201).set_body_json(json!({"data": {"id": letter_id(key), "type": "letters",
                "attributes": {"status": "validating"}}}))
        })
        .mount(&server)
        .await;
    server
}

/// A Pingen letter webhook of `kind` about `letter`.
fn event(kind: &str, letter: &str, reason: Option<&str>) -> String {
    let mut attributes =
        json!({"url": "https://dunning.example/webhooks/pingen", "created_at": "2026-01-05T09:42:48+0100"});
    if let Some(reason) = reason {
        attributes["reason"] = json!(reason);
    }
    json!({"data": {"id": "99aaaaaa-1111-2222-3333-444444444444", "type": kind, "attributes": attributes,
        "relationships": {
            "organisation": {"data": {"id": ORG, "type": "organisations"}},
            "letter": {"data": {"id": letter, "type": "letters"}},
            "event": {"data": {"id": "dddddddd-1111-2222-3333-444444444444", "type": "letters_events"}}}}})
    .to_string()
}

/// Posts a webhook as Pingen would, signed with `key` (or unsigned).
async fn call(http: &reqwest::Client, base: &str, body: &str, key: Option<&str>) -> u16 {
    let mut request = http
        .post(format!("{base}/webhooks/pingen"))
        .header("content-type", "application/vnd.api+json")
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("Signature", pingen_signature(key.as_bytes(), body.as_bytes()));
    }
    request.send().await.expect("the API answers").status().as_u16()
}

async fn visible(store: &dyn Store) -> (Value, Vec<ReminderView>, Vec<ReminderView>) {
    let stats = serde_json::to_value(store.stats().await.unwrap()).unwrap();
    (
        stats,
        store.reminders_of(TENANT, "LTR-0").await.unwrap(),
        store.reminders_of(TENANT, "LTR-1").await.unwrap(),
    )
}

async fn scenario(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let pingen = pingen().await;
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&pingen, &topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let invoices = (0..2).map(|i| message("invoice.overdue", &invoice(i))).collect();
    queue.publish(&topology.intake_exchange(), invoices).await.unwrap();
    eventually("cases opened", || async { store.stats().await.unwrap().cases.total == 2 }).await;
    eventually("letters planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    // Monday 12:00 UTC: the first reminders' 10:00 local send time has come in every simulated
    // timezone, and their day's window is still open.
    clock.advance(Days::hours(6));
    eventually("letters sent", || async { quiet(store.as_ref(), clock.now()).await }).await;

    // Pingen got one upload and one letter per reminder, and each reminder holds its letter id.
    let requests = pingen.received_requests().await.expect("recording is on");
    let of = |verb: &str, route: &str| -> Vec<&Request> {
        requests.iter().filter(|r| r.method.as_str() == verb && r.url.path() == route).collect()
    };
    assert_eq!(of("POST", "/auth/access-tokens").len(), 1, "one token serves both letters");
    let uploads = of("PUT", "/upload/letter");
    assert_eq!(uploads.len(), 2);
    assert!(uploads.iter().all(|r| r.body.starts_with(b"%PDF-")), "the printed letters are uploaded");
    let creates = of("POST", LETTERS);
    assert_eq!(creates.len(), 2);
    let mut ids = Vec::new();
    for i in 0..2 {
        let reminders = store.reminders_of(TENANT, &format!("LTR-{i}")).await.unwrap();
        assert_eq!(reminders.len(), 1, "{reminders:?}");
        assert_eq!((reminders[0].channel.as_str(), reminders[0].status), ("letter", ReminderStatus::Sent));
        let id = reminders[0].provider_id.clone().expect("Pingen's letter id is recorded");
        let create = creates
            .iter()
            .find(|r| letter_id(r.headers["idempotency-key"].to_str().unwrap()) == id)
            .expect("the letter was created with the reminder's idempotency key");
        let body: Value = serde_json::from_slice(&create.body).unwrap();
        let attributes = &body["data"]["attributes"];
        assert_eq!(body["data"]["type"], "letters");
        assert_eq!(
            (attributes["address_position"].as_str(), attributes["auto_send"].as_bool()),
            (Some("left"), Some(true))
        );
        assert_eq!(attributes["delivery_product"], "fast");
        assert_eq!(attributes["file_url_signature"], "sig-9");
        ids.push(id);
    }
    assert!(!outbox.path().join("letter.jsonl").exists(), "nothing went to the sandbox instead");

    // Forged and unsigned webhooks: 401, and nothing anyone can see has changed.
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let sent = event("webhook_sent", &ids[0], None);
    let before = visible(store.as_ref()).await;
    assert_eq!(call(&http, &base, &sent, Some("forged-key")).await, 401);
    assert_eq!(call(&http, &base, &sent, None).await, 401);
    assert_eq!(visible(store.as_ref()).await, before, "refused calls changed nothing");

    // Events about unknown letters are accepted and change nothing.
    assert_eq!(call(&http, &base, &event("webhook_sent", "pl-unknown", None), Some(HOOK_KEY)).await, 200);
    assert_eq!(visible(store.as_ref()).await, before, "unknown letters changed nothing");

    // Signed events move the receipts: one letter handed to the post, the other returned.
    assert_eq!(call(&http, &base, &sent, Some(HOOK_KEY)).await, 200);
    let returned = event(
        "webhook_undeliverable",
        &ids[1],
        Some("Recipient could not be determined at the specified address."),
    );
    assert_eq!(call(&http, &base, &returned, Some(HOOK_KEY)).await, 200);
    let (stats, first, second) = visible(store.as_ref()).await;
    assert_eq!(first[0].receipt_status, Some(ReceiptStatus::Sent));
    assert_eq!(second[0].receipt_status, Some(ReceiptStatus::Failed));
    assert_eq!(stats["reminders"]["by_receipt"]["failed"], 1, "{stats}");
    // A late `sent` does not undo the return.
    assert_eq!(call(&http, &base, &event("webhook_sent", &ids[1], None), Some(HOOK_KEY)).await, 200);
    assert_eq!(visible(store.as_ref()).await.2[0].receipt_status, Some(ReceiptStatus::Failed));
    // The returned letter's address is dead and the plan has no other channel for the stage: the
    // case escalates; the delivered one goes on.
    let state = |number: &'static str| {
        let store = store.clone();
        async move { store.case_by_invoice(TENANT, number).await.unwrap().expect("the case exists").state }
    };
    eventually("the returned letter's case escalates", || async {
        state("LTR-1").await == CaseState::Escalated
    })
    .await;
    assert_eq!(state("LTR-0").await, CaseState::Reminding);
    assert_eq!(
        store.reminders_of(TENANT, "LTR-1").await.unwrap().len(),
        1,
        "no second letter to a dead address"
    );

    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letters_through_pingen_on_the_embedded_default() {
    let b = Backend::embedded().await;
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letters_through_pingen_on_postgres_and_rabbitmq() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}
