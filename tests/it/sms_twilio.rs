//! SMS reminders through the configured Twilio account, with wiremock standing in for Twilio's
//! Messages API: every role runs in-process, a plan sends its first stage by SMS, and each debtor's
//! request arrives with the creditor's text, while a number Twilio refuses (21211) leaves its
//! reminder `failed` with Twilio's reason and the others `sent` with Twilio's message id.

use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::Config;
use mahnwerk::demo::world;
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::ReminderStatus;
use serde_json::json;
use std::sync::Arc;
use support::scenario::{eventually, json as message, quiet, service_config, stop_roles};
use support::servers::Backend;
use wiremock::matchers::{basic_auth, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const MESSAGES: &str = "/2010-04-01/Accounts/AC0123/Messages.json";
const REFUSED: &str = "+4915100000003";

fn config(twilio: &MockServer, namespace: &str, outbox: &std::path::Path) -> Config {
    let rest = format!(
        r#"
[twilio]
account_sid = "AC0123"
auth_token = "auth-token-42"
from = "+15005550006"
base_url = "{base}"

[creditors.sms-test]
name = "Stadtwerke Musterstadt"
email = "forderungen@stadtwerke.example"

[tenant_plans.sms-test]
consumer = "sms-first"

[[plans]]
name = "sms-first"
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["sms"]
"#,
        base = twilio.uri()
    );
    service_config(namespace, outbox, &rest)
}

fn invoice(i: usize, phone: &str) -> serde_json::Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "sms-test", "invoice_number": format!("SMS-{i}"),
        "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "49.90",
        "debtor": {"id": format!("D-{i}"), "name": format!("Debtor {i}"), "language": "de",
                   "timezone": "Europe/Berlin", "phone": phone}
    })
}

fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).expect("a form body")
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_reminders_go_through_twilio() {
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(basic_auth("AC0123", "auth-token-42"))
        .respond_with(|request: &Request| {
            let form = form(request);
            if field(&form, "To") == REFUSED {
                ResponseTemplate::new(400).set_body_json(
                    json!({"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}),
                )
            } else {
                let sid = format!("SM{}", &field(&form, "To")[1..]);
                ResponseTemplate::new(201).set_body_json(json!({"sid": sid, "status": "queued"}))
            }
        })
        .mount(&twilio)
        .await;

    let backend = Backend::embedded().await;
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&twilio, &topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let phones = ["+4915100000001", "+4915100000002", REFUSED];
    let invoices =
        phones.iter().enumerate().map(|(i, p)| message("invoice.overdue", &invoice(i, p))).collect();
    queue.publish(&topology.intake_exchange(), invoices).await.unwrap();
    eventually("cases opened", || async { store.stats().await.unwrap().cases.total == 3 }).await;
    eventually("reminders planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    // Monday 12:00 UTC: the first reminders' 10:00 local send time has come in every simulated
    // timezone, and their day's window is still open.
    clock.advance(Days::hours(6));
    eventually("reminders sent", || async { quiet(store.as_ref(), clock.now()).await }).await;
    stop_roles(trigger, roles).await;

    let requests = twilio.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 3, "one request per reminder");
    for (i, phone) in phones.iter().enumerate() {
        let request = requests.iter().map(form).find(|f| field(f, "To") == *phone).expect("a request");
        assert_eq!(field(&request, "From"), "+15005550006");
        let body = field(&request, "Body");
        assert!(body.contains("Stadtwerke Musterstadt") && body.contains(&format!("SMS-{i}")), "{body}");
        assert!(body.contains("49,90 €"), "{body}");
        let reminders = store.reminders_of("sms-test", &format!("SMS-{i}")).await.unwrap();
        assert_eq!(reminders.len(), 1);
        if *phone == REFUSED {
            assert_eq!(reminders[0].status, ReminderStatus::Failed, "{reminders:?}");
            // The number is dead and the debtor has no other channel: the case escalates.
            let case = store.case_by_invoice("sms-test", &format!("SMS-{i}")).await.unwrap().unwrap();
            assert_eq!(case.state.as_str(), "escalated");
        } else {
            assert_eq!(reminders[0].status, ReminderStatus::Sent);
            assert_eq!(reminders[0].provider_id.as_deref(), Some(format!("SM{}", &phone[1..]).as_str()));
        }
    }
    // Nothing went to the sandbox instead.
    assert!(!outbox.path().join("sms.jsonl").exists());
}
