//! What follows a payment besides the thank-you view, on both backends (SQLite with the
//! in-process queue; PostgreSQL with a real RabbitMQ): the shop webhook POSTs the body of
//! `recommendation.created`, signed, to a shop (wiremock) that is down at first and up later —
//! it arrives, once delivered it is not sent again, and the signature verifies with the shop's
//! secret; and later invoices of the debtor with a recommended SKU give one
//! `recommendation.converted`, consumed from the queue bound to the events exchange, and show in
//! what `mahnwerk-train recommend-report` reads.
//!
//! The intake role runs; the hooks, the webhook sender, the conversion scan and the event relay
//! are driven step by step, and the clock is moved by hand past the webhook's backoff.

use crate::pay_page::{collect_events, config_with};
use crate::support;
use crate::thank_you::{email, history, invoice, paid, paid_case, tenant, CATALOGUE};

use chrono::Duration as Days;
use hmac::{Hmac, Mac};
use mahnwerk::app::{Role, Service};
use mahnwerk::config::creditors::WebhookSecret;
use mahnwerk::demo::world;
use mahnwerk::hooks::refit::refit_tenant;
use mahnwerk::hooks::shop::sender::Outcome;
use mahnwerk::runtime::{Clock, ManualClock};
use secrecy::SecretString;
use serde_json::Value;
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use support::scenario::{eventually, json as message, stop_roles};
use support::servers::Backend;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "the shop's webhook secret";

fn events_of(events: &Mutex<Vec<Value>>, kind: &str) -> Vec<Value> {
    events.lock().unwrap().iter().filter(|e| e["kind"] == kind).cloned().collect()
}

/// The lower-case hex HMAC-SHA256 of `"{t}.{body}"`, computed here, apart from the service.
fn expected_signature(t: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

async fn scenario(backend: Backend) {
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let shop = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/mahnwerk"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&shop)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks/mahnwerk"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&shop)
        .await;
    let outbox = tempfile::tempdir().unwrap();
    let mut config = config_with(&topology.namespace, outbox.path(), "[recommend]\npoll_ms = 20\n");
    let creditor = config.creditors.get_mut("paytest").unwrap();
    creditor.shop_webhook_url = Some(format!("{}/hooks/mahnwerk", shop.uri()));
    creditor.shop_webhook_secret = Some(WebhookSecret(SecretString::from(SECRET)));
    config.validate().expect("the shop webhook's settings are valid");
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let events = collect_events(queue.clone(), &topology);
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::Intake, &shutdown);
    let now = clock.now();

    let mut messages: Vec<_> = history(now).iter().map(|i| message("invoice.issued", i)).collect();
    messages.push(message(
        "invoice.overdue",
        &invoice("R-1", "D-1", email("D-1"), &["DRU-1"], now - Days::days(10)),
    ));
    queue.publish(&topology.intake_exchange(), messages).await.unwrap();
    eventually("R-1 stored", || async { store.case_by_invoice("paytest", "R-1").await.unwrap().is_some() })
        .await;
    mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), CATALOGUE, now).await.unwrap();
    refit_tenant(store.as_ref(), &tenant(), &config.recommend.params().unwrap(), now).await.unwrap();
    let payment = message("invoice.paid", &paid("R-1", "TX-1", now));
    queue.publish(&topology.intake_exchange(), vec![payment.clone(), payment]).await.unwrap();
    paid_case(&store, "R-1").await;
    while service.hook_runner().try_execute_task().await.unwrap() != mahnwerk::hooks::Outcome::Idle {}

    // The shop is down: the first POST is answered 503 and tried again only after the backoff.
    let sender = service.shop_webhook_sender().unwrap();
    assert_eq!(sender.try_execute_task().await.unwrap(), Outcome::Handled(1));
    assert_eq!(sender.try_execute_task().await.unwrap(), Outcome::Idle, "not before the backoff");
    clock.advance(Days::minutes(2));
    assert_eq!(sender.try_execute_task().await.unwrap(), Outcome::Handled(1));
    clock.advance(Days::days(2));
    assert_eq!(sender.try_execute_task().await.unwrap(), Outcome::Idle, "delivered: never again");
    let posts = shop.received_requests().await.unwrap();
    assert_eq!(posts.len(), 2, "one refused while down, one delivered");
    assert_eq!(posts[0].body, posts[1].body, "the same body both times");
    let delivery = |i: usize| posts[i].headers.get("mahnwerk-delivery").unwrap().to_str().unwrap().to_owned();
    assert_eq!(delivery(0), delivery(1), "the same delivery id both times");
    let header = posts[1].headers.get("mahnwerk-signature").unwrap().to_str().unwrap();
    let (t, v1) = header.split_once(',').unwrap();
    let (t, v1) = (t.strip_prefix("t=").unwrap(), v1.strip_prefix("v1=").unwrap());
    assert_eq!(v1, expected_signature(t, &posts[1].body), "the signature verifies with the shop's secret");
    assert_ne!(v1, expected_signature(t, b"{}"));
    let body: Value = serde_json::from_slice(&posts[1].body).unwrap();
    assert_eq!(posts[1].headers.get("content-type").unwrap(), "application/json");

    // The same body as the event.
    // Relayed while waiting: PostgreSQL hands an event to the relay only once every older
    // transaction in the cluster has ended, so one pass may find nothing yet.
    let scheduler = service.scheduler();
    let relayed = |kind: &'static str| {
        let (scheduler, events) = (&scheduler, &events);
        move || async move {
            scheduler.relay_events().await.unwrap();
            !events_of(events, kind).is_empty()
        }
    };
    eventually("recommendation.created consumed", relayed("recommendation.created")).await;
    let created = events_of(&events, "recommendation.created");
    assert_eq!(created, vec![body.clone()], "the webhook carries the event's body");
    assert_eq!(body["items"][0]["sku"], "TON-1", "{body}");

    // Later purchases of D-1: TON-1 in a dunned invoice and again in an issued one; nothing of
    // what was recommended in another debtor's invoice.
    let later = clock.now();
    let purchases = vec![
        message("invoice.overdue", &invoice("R-9", "D-1", email("D-1"), &["TON-1"], later)),
        message(
            "invoice.issued",
            &invoice("I-1", "D-1", email("D-1"), &["TON-1", "DRU-1"], later + Days::days(1)),
        ),
        message("invoice.overdue", &invoice("R-8", "D-8", email("D-8"), &["TON-1"], later)),
    ];
    queue.publish(&topology.intake_exchange(), purchases).await.unwrap();
    eventually("the later invoices stored", || async {
        let mut tx = store.begin().await.unwrap();
        let mine =
            tx.purchases(&tenant(), Some(&mahnwerk::domain::DebtorId::parse("D-1").unwrap())).await.unwrap();
        tx.rollback().await.unwrap();
        mine.len() == 4 && store.case_by_invoice("paytest", "R-8").await.unwrap().is_some()
    })
    .await;
    let window = config.recommend.conversion_window_days;
    assert_eq!(
        mahnwerk::hooks::conversions::record_conversions(store.as_ref(), window, later).await.unwrap(),
        1
    );
    assert_eq!(
        mahnwerk::hooks::conversions::record_conversions(store.as_ref(), window, later).await.unwrap(),
        0
    );
    eventually("recommendation.converted consumed", relayed("recommendation.converted")).await;
    let converted = events_of(&events, "recommendation.converted");
    assert_eq!(converted.len(), 1, "{converted:?}");
    let event = &converted[0];
    assert_eq!((event["tenant"].as_str(), event["debtor_id"].as_str()), (Some("paytest"), Some("D-1")));
    assert_eq!((event["sku"].as_str(), event["invoice"].as_str()), (Some("TON-1"), Some("R-9")), "{event}");
    assert_eq!(event["invoice_number"], "R-1", "about the case the recommendation was made for");
    assert_eq!(event["model_version"], body["model_version"]);
    assert_eq!(event["recommended_at"], body["occurred_at"]);

    // What the report reads: every item shown, TON-1 converted.
    let mut tx = store.begin().await.unwrap();
    let outcomes = tx.recommended_outcomes().await.unwrap();
    tx.rollback().await.unwrap();
    let shown = body["items"].as_array().unwrap().len();
    assert_eq!(outcomes.len(), shown);
    let converted: Vec<&str> = outcomes.iter().filter(|o| o.converted).map(|o| o.sku.as_str()).collect();
    assert_eq!(converted, ["TON-1"]);
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_webhook_and_conversions_on_the_embedded_backend() {
    scenario(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_webhook_and_conversions_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    scenario(backend).await;
}
