//! The unsubscribe link of reminder emails over real HTTP: every role runs in-process (the API on
//! a free port), the first reminder goes out by email into the sandbox, and its link is
//! followed. A GET shows a page and changes nothing (mail scanners open links); a forged or a
//! pay-link token is refused; the one-click POST (RFC 8058) records the opt-out, after which the
//! next stage goes by letter.

use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::Config;
use mahnwerk::demo::world;
use mahnwerk::domain::ChannelKind;
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::ReminderStatus;
use serde_json::json;
use std::sync::Arc;
use support::scenario::{eventually, json as message, quiet, service_config, stop_roles};
use support::servers::Backend;

pub(crate) fn config(namespace: &str, outbox: &std::path::Path) -> Config {
    const REST: &str = r#"
[links]
base_url = "https://pay.stadtwerke.example"
secret = "a secret of more than sixteen characters"

[tenant_plans.unsub]
consumer = "email-then-letter"

[[plans]]
name = "email-then-letter"
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["email", "letter"]
[[plans.stages]]
name = "1. Mahnung"
wait_days = 7
tone = "firm"
channels = ["email", "letter"]
"#;
    service_config(namespace, outbox, REST)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_click_unsubscribe_opts_the_debtor_out_of_email() {
    let backend = Backend::embedded().await;
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let (local, eml) = first_unsubscribe_link(&backend, clock.as_ref(), outbox.path(), addr).await;
    let first = store.reminders_of("unsub", "U-1").await.unwrap().remove(0);
    assert!(eml.contains("List-Unsubscribe: <https://pay.stadtwerke.example/unsubscribe/"), "{eml}");
    assert!(eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{eml}");
    let http = reqwest::Client::new();
    let consents =
        || async { serde_json::to_value(store.stats().await.unwrap()).unwrap()["consents"].clone() };
    let before = consents().await;

    let page = http.get(&local).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("<form method=\"post\"") && page.contains("E-Mail"), "{page}");
    assert!(!page.to_lowercase().contains("mahnwerk"), "white label: {page}");
    let mut forged = local.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let one_click = |url: String| {
        http.post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
    };
    assert_eq!(one_click(forged).await.unwrap().status().as_u16(), 401);
    let pay =
        service.links.pay_url(&mahnwerk::domain::TenantId::parse("unsub").unwrap(), first.id, clock.now());
    let pay_token = pay.rsplit('/').next().unwrap();
    assert_eq!(
        one_click(format!("http://{addr}/unsubscribe/{pay_token}")).await.unwrap().status().as_u16(),
        400
    );
    assert_eq!(consents().await, before, "a GET, a forged link and a pay-link changed nothing");

    assert_eq!(one_click(local.clone()).await.unwrap().status().as_u16(), 200);
    assert_eq!(consents().await["email"]["opt_out"], 1, "{}", consents().await);

    // The next stage is not offered email any more.
    clock.advance(Days::days(8));
    eventually("the second stage planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    clock.advance(Days::days(1));
    eventually("the second stage sent", || async {
        let reminders = store.reminders_of("unsub", "U-1").await.unwrap();
        reminders.len() == 2 && reminders[1].status == ReminderStatus::Sent
    })
    .await;
    stop_roles(trigger, roles).await;
    let reminders = store.reminders_of("unsub", "U-1").await.unwrap();
    assert_eq!(reminders[1].channel, ChannelKind::Letter, "{reminders:?}");
}

/// Publishes an overdue invoice (`unsub`, U-1, a German debtor with an email address) to the
/// running roles, lets the first reminder go out by email, and returns the unsubscribe link in
/// that email (pointed at the API on `addr`) and the email.
pub(crate) async fn first_unsubscribe_link(
    backend: &Backend,
    clock: &ManualClock,
    outbox: &std::path::Path,
    addr: std::net::SocketAddr,
) -> (String, String) {
    let store = &backend.store;
    let invoice = json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "unsub", "invoice_number": "U-1",
        "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "80.00",
        "debtor": {"id": "D-1", "name": "Debtor One", "language": "de", "timezone": "Europe/Berlin",
                   "email": "debtor1@example.org",
                   "address": {"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}}
    });
    let intake = backend.topology.intake_exchange();
    backend.queue.publish(&intake, vec![message("invoice.overdue", &invoice)]).await.unwrap();
    eventually("the case opened", || async { store.stats().await.unwrap().cases.total == 1 }).await;
    eventually("the first stage planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    // Monday 12:00 UTC: the 10:00 local send time has come, its day's window still open.
    clock.advance(Days::hours(6));
    eventually("the first email sent", || async {
        let reminders = store.reminders_of("unsub", "U-1").await.unwrap();
        reminders.first().is_some_and(|r| r.status == ReminderStatus::Sent)
    })
    .await;
    let first = store.reminders_of("unsub", "U-1").await.unwrap().remove(0);
    assert_eq!(first.channel, ChannelKind::Email);

    let eml = std::fs::read_dir(outbox.join("email")).unwrap().next().unwrap().unwrap().path();
    let eml = std::fs::read_to_string(eml).unwrap().replace("=\r\n", "");
    let start = eml.find("https://pay.stadtwerke.example/unsubscribe/").expect("an unsubscribe link");
    let link: String =
        eml[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(*c)).collect();
    (link.replace("https://pay.stadtwerke.example", &format!("http://{addr}")), eml)
}
