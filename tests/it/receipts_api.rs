//! The receipt webhooks over real HTTP: every role runs in-process (the API on a free port),
//! wiremock stands in for Twilio's Messages API, and a real HTTP client plays Twilio and Meta
//! calling back. Forged or unsigned calls get 401 and change nothing; signed statuses move the
//! reminder's receipt forward only; an inbound STOP opts the number out, after which the next
//! stage is not offered SMS and no request reaches Twilio; a late failure whose code says the
//! number is dead sends the same stage by email. On the embedded default and on PostgreSQL +
//! RabbitMQ.

use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::Config;
use mahnwerk::demo::world;
use mahnwerk::domain::ChannelKind;
use mahnwerk::queue::{Queue, Topology};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::{ReceiptStatus, ReminderStatus, ReminderView, Store};
use mahnwerk_channels::signature::{meta_signature, twilio_signature};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use support::scenario::{eventually, json as message, live_until, quiet, service_config, stop_roles};
use support::servers::Backend;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "twilio-token-7";
const APP_SECRET: &str = "meta-app-secret";
const PHONE: &str = "+4915100000042";
const SID: &str = "SM0042";
const TENANT: &str = "receipts";

fn config(twilio: &MockServer, namespace: &str, outbox: &std::path::Path) -> Config {
    let rest = format!(
        r#"
[meta]
app_secret = "{APP_SECRET}"
verify_token = "verify-me"

[twilio]
account_sid = "AC0042"
auth_token = "{TOKEN}"
from = "+15005550006"
base_url = "{base}"

[tenant_plans.{TENANT}]
consumer = "sms-twice"

[[plans]]
name = "sms-twice"
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["sms"]
fallback = ["email"]
[[plans.stages]]
name = "1. Mahnung"
wait_days = 7
tone = "firm"
channels = ["sms"]
fallback = ["email"]
"#,
        base = twilio.uri()
    );
    service_config(namespace, outbox, &rest)
}

/// Plays Twilio and Meta calling the API.
struct Provider {
    http: reqwest::Client,
    base: String,
}

impl Provider {
    /// A Twilio webhook, signed with `token` over the URL it calls.
    async fn twilio(&self, route: &str, params: &[(&str, &str)], token: Option<&str>) -> u16 {
        let url = format!("{}{route}", self.base);
        let mut request = self
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(params).unwrap());
        if let Some(token) = token {
            request = request.header("X-Twilio-Signature", twilio_signature(token.as_bytes(), &url, params));
        }
        request.send().await.expect("the API answers").status().as_u16()
    }

    /// A Meta notification, signed with `secret` over the body.
    async fn meta(&self, body: &serde_json::Value, secret: Option<&str>) -> u16 {
        let body = body.to_string();
        let mut request = self.http.post(format!("{}/webhooks/meta", self.base)).body(body.clone());
        if let Some(secret) = secret {
            request =
                request.header("X-Hub-Signature-256", meta_signature(secret.as_bytes(), body.as_bytes()));
        }
        request.send().await.expect("the API answers").status().as_u16()
    }
}

fn status(state: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("MessageSid", SID), ("AccountSid", "AC0042"), ("MessageStatus", state), ("To", PHONE)]
}

fn whatsapp_stop() -> serde_json::Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "user_preferences",
        "value": {"user_preferences": [{"wa_id": &PHONE[1..], "category": "marketing_messages", "value": "stop",
                                        "timestamp": 1767600000}]}}]}]})
}

/// What a user of `mahnwerk stats` and of the reminder views would see.
async fn visible(store: &dyn Store) -> (serde_json::Value, Vec<ReminderView>) {
    let stats = serde_json::to_value(store.stats().await.unwrap()).unwrap();
    (stats, store.reminders_of(TENANT, "RCPT-1").await.unwrap())
}

async fn scenario(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/AC0042/Messages.json"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": SID, "status": "queued"})))
        .mount(&twilio)
        .await;
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&twilio, &topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr: SocketAddr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);
    let provider = Provider { http: reqwest::Client::new(), base: format!("http://{addr}") };

    let invoice = json!({
        "schema": "mahnwerk.invoice.v1", "tenant": TENANT, "invoice_number": "RCPT-1",
        "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "80.00",
        "debtor": {"id": "D-1", "name": "Debtor One", "language": "de", "timezone": "Europe/Berlin",
                   "phone": PHONE, "email": "debtor1@example.org"}
    });
    queue.publish(&topology.intake_exchange(), vec![message("invoice.overdue", &invoice)]).await.unwrap();
    eventually("the case opened", || async { store.stats().await.unwrap().cases.total == 1 }).await;
    eventually("the first stage planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    // Monday 12:00 UTC: the first reminders' 10:00 local send time has come in every simulated
    // timezone, and their day's window is still open.
    clock.advance(Days::hours(6));
    eventually("the first SMS sent", || async {
        store
            .reminders_of(TENANT, "RCPT-1")
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.status == ReminderStatus::Sent)
    })
    .await;
    assert_eq!(twilio.received_requests().await.unwrap().len(), 1);

    // Forged, unsigned and wrongly keyed calls: 401, and nothing anyone can see has changed.
    let before = visible(store.as_ref()).await;
    let stop = [("MessageSid", "SM-in-1"), ("From", PHONE), ("To", "+15005550006"), ("Body", "STOP")];
    assert_eq!(provider.twilio("/webhooks/twilio/status", &status("delivered"), Some("forged")).await, 401);
    assert_eq!(provider.twilio("/webhooks/twilio/status", &status("delivered"), None).await, 401);
    assert_eq!(provider.twilio("/webhooks/twilio/inbound", &stop, Some("forged")).await, 401);
    assert_eq!(provider.meta(&whatsapp_stop(), Some("forged")).await, 401);
    assert_eq!(provider.meta(&whatsapp_stop(), None).await, 401);
    let verify = |token: &str| {
        format!(
            "{}/webhooks/meta?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=c-42",
            provider.base
        )
    };
    assert_eq!(provider.http.get(verify("wrong")).send().await.unwrap().status().as_u16(), 401);
    assert_eq!(visible(store.as_ref()).await, before, "refused calls changed nothing");
    // Meta's handshake with the right token echoes the challenge.
    assert_eq!(provider.http.get(verify("verify-me")).send().await.unwrap().text().await.unwrap(), "c-42");

    // Signed statuses move the receipt forward, never back; unknown ids are accepted and ignored.
    assert_eq!(provider.twilio("/webhooks/twilio/status", &status("delivered"), Some(TOKEN)).await, 200);
    let reminder = visible(store.as_ref()).await.1.remove(0);
    assert_eq!(reminder.receipt_status, Some(ReceiptStatus::Delivered));
    assert_eq!(provider.twilio("/webhooks/twilio/status", &status("read"), Some(TOKEN)).await, 200);
    assert_eq!(provider.twilio("/webhooks/twilio/status", &status("delivered"), Some(TOKEN)).await, 200);
    let unknown = [("MessageSid", "SM-unknown"), ("MessageStatus", "delivered")];
    let before = visible(store.as_ref()).await;
    assert_eq!(provider.twilio("/webhooks/twilio/status", &unknown, Some(TOKEN)).await, 200);
    let unknown_wamid = json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
        "value": {"statuses": [{"id": "wamid.unknown", "status": "read", "timestamp": "1767600000"}]}}]}]});
    assert_eq!(provider.meta(&unknown_wamid, Some(APP_SECRET)).await, 200);
    let (stats, reminders) = visible(store.as_ref()).await;
    assert_eq!((stats.clone(), reminders.clone()), before, "unknown ids changed nothing");
    assert_eq!(reminders[0].receipt_status, Some(ReceiptStatus::Read), "read is not undone by delivered");
    assert_eq!(stats["reminders"]["by_receipt"]["read"], 1, "{stats}");

    // The debtor replies STOP: opted out in the ledger.
    assert_eq!(provider.twilio("/webhooks/twilio/inbound", &stop, Some(TOKEN)).await, 200);
    let stats = visible(store.as_ref()).await.0;
    assert_eq!(stats["consents"]["sms"]["opt_out"], 1, "{stats}");

    // The next stage is not offered SMS: it goes by its fallback, email, and Twilio hears nothing
    // more.
    live_until(store.as_ref(), &clock, clock.now() + Days::days(9)).await;
    stop_roles(trigger, roles).await;
    let reminders = store.reminders_of(TENANT, "RCPT-1").await.unwrap();
    assert_eq!(reminders.len(), 2, "{reminders:?}");
    assert_eq!((reminders[1].channel, reminders[1].status), (ChannelKind::Email, ReminderStatus::Sent));
    assert_eq!(twilio.received_requests().await.unwrap().len(), 1, "no SMS after the STOP");
}

/// A failed status for a sent SMS: a code that says the number is dead (30005) hands the stage
/// back to the planner, which sends it by email; a code about anything else (30001, queue
/// overflow) is recorded and nothing more happens.
async fn late_failures(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let twilio = MockServer::start().await;
    for (digits, sid) in [("4915100000043", "SM0043"), ("4915100000044", "SM0044")] {
        Mock::given(method("POST"))
            .and(path("/2010-04-01/Accounts/AC0042/Messages.json"))
            .and(body_string_contains(digits))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": sid, "status": "queued"})))
            .mount(&twilio)
            .await;
    }
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&twilio, &topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr: SocketAddr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);
    let provider = Provider { http: reqwest::Client::new(), base: format!("http://{addr}") };

    let invoices: Vec<_> = [("LATE-1", "D-43", "+4915100000043"), ("LATE-2", "D-44", "+4915100000044")]
        .into_iter()
        .map(|(number, debtor, phone)| {
            message(
                "invoice.overdue",
                &json!({
                    "schema": "mahnwerk.invoice.v1", "tenant": TENANT, "invoice_number": number,
                    "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "80.00",
                    "debtor": {"id": debtor, "name": "Debtor", "language": "de", "timezone": "Europe/Berlin",
                               "phone": phone, "email": format!("{debtor}@example.org")}
                }),
            )
        })
        .collect();
    queue.publish(&topology.intake_exchange(), invoices).await.unwrap();
    eventually("the cases opened", || async { store.stats().await.unwrap().cases.total == 2 }).await;
    eventually("the first stages planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    // Monday 12:00 UTC: the first reminders' 10:00 local send time has come in every simulated
    // timezone, and their day's window is still open.
    clock.advance(Days::hours(6));
    let sent = |number: &'static str| {
        let store = store.clone();
        async move {
            let reminders = store.reminders_of(TENANT, number).await.unwrap();
            reminders.len() == 1 && reminders[0].status == ReminderStatus::Sent
        }
    };
    eventually("both SMS sent", || async { sent("LATE-1").await && sent("LATE-2").await }).await;
    assert_eq!(twilio.received_requests().await.unwrap().len(), 2);

    let undelivered = |sid: &'static str, code: &'static str| {
        vec![
            ("MessageSid", sid),
            ("AccountSid", "AC0042"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", code),
        ]
    };
    assert_eq!(
        provider.twilio("/webhooks/twilio/status", &undelivered("SM0043", "30005"), Some(TOKEN)).await,
        200
    );
    assert_eq!(
        provider.twilio("/webhooks/twilio/status", &undelivered("SM0044", "30001"), Some(TOKEN)).await,
        200
    );
    live_until(store.as_ref(), &clock, clock.now() + Days::days(2)).await;
    stop_roles(trigger, roles).await;

    let dead = store.reminders_of(TENANT, "LATE-1").await.unwrap();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!((dead[0].channel, dead[0].receipt_status), (ChannelKind::Sms, Some(ReceiptStatus::Failed)));
    assert_eq!(
        (dead[1].stage, dead[1].channel, dead[1].status),
        (0, ChannelKind::Email, ReminderStatus::Sent),
        "the same stage by email: {dead:?}"
    );
    let other = store.reminders_of(TENANT, "LATE-2").await.unwrap();
    assert_eq!(other.len(), 1, "a queue overflow is recorded only: {other:?}");
    assert_eq!(other[0].receipt_status, Some(ReceiptStatus::Failed));
    assert_eq!(twilio.received_requests().await.unwrap().len(), 2, "no SMS to the dead number again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_failures_on_the_embedded_default() {
    let b = Backend::embedded().await;
    late_failures(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_failures_on_postgres_and_rabbitmq() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    late_failures(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_on_the_embedded_default() {
    let b = Backend::embedded().await;
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_on_postgres_and_rabbitmq() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}
