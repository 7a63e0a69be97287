//! What an operator sees of a running service: `/metrics` counting what went through (read back
//! by value, per tenant), `/readyz` naming the dependency that is down, a pay token never
//! becoming a label, and the `api` role serving pay-pages and webhooks with RabbitMQ down.

use crate::cli::serve_until;
use crate::support;

use chrono::Duration as Hours;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::links::LinksConfig;
use mahnwerk::config::{Config, PolicyKind};
use mahnwerk::deliver::{LinkClaims, LinkPurpose, Links};
use mahnwerk::demo::world;
use mahnwerk::domain::TenantId;
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::ReminderStatus;
use std::collections::BTreeMap;
use std::sync::Arc;
use support::scenario::{eventually, json, quiet, stop_roles};
use support::servers::Backend;

const SECRET: &str = "a-test-secret-of-enough-length";

/// An overdue invoice of `tenant` whose debtor has only an email address.
fn invoice(tenant: &str, i: usize) -> serde_json::Value {
    let mut body = support::malformed::valid(i);
    body["tenant"] = tenant.into();
    body["due_on"] = "2026-01-02".into();
    body["issued_on"] = "2025-12-01".into();
    body["debtor"]["email"] = format!("debtor{i}@example.org").into();
    for gone in ["phone", "whatsapp", "address"] {
        body["debtor"].as_object_mut().unwrap().remove(gone);
    }
    body
}

/// The value of the one series of `name` whose labels include every pair of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, rest) = series.split_once('{').unwrap_or((series, "}"));
            if series_name != name {
                return None;
            }
            let have: BTreeMap<&str, &str> = rest
                .trim_end_matches('}')
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| pair.split_once('='))
                .map(|(key, value)| (key, value.trim_matches('"')))
                .collect();
            labels.iter().all(|(key, value)| have.get(key) == Some(value)).then(|| value.parse().ok())?
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {} series", found.len());
    found.first().copied()
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Five invoices, two bad ones and one payment through every role on PostgreSQL and RabbitMQ:
/// `/metrics` counts exactly those for the test's tenant, samples the queue and outbox gauges,
/// and counts a pay-page request under its route template, never under its token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_went_through() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    mahnwerk::observe::install_recorder();
    let tenant = format!("obs-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let outbox = tempfile::tempdir().unwrap();
    let config = Config {
        namespace: b.topology.namespace.clone(),
        outbox_dir: outbox.path().to_owned(),
        poll_interval_ms: 20,
        http: mahnwerk::api::HttpConfig::any_port(),
        policy: PolicyKind::Fixed,
        ..Config::default()
    };
    // Monday 2026-01-05, 06:00 UTC: before the 10:00 local send slot.
    let clock = Arc::new(ManualClock::new(world::epoch() + Hours::hours(6)));
    let service = Service::assemble(&config, b.store.clone(), b.queue.clone(), clock.clone()).unwrap();
    let api = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let mut messages: Vec<_> = (0..5).map(|i| json("invoice.overdue", &invoice(&tenant, i))).collect();
    for i in 5..7 {
        let mut bad = invoice(&tenant, i);
        bad["amount_due"] = "0.00".into();
        messages.push(json("invoice.overdue", &bad));
    }
    b.queue.publish(&b.topology.intake_exchange(), messages).await.unwrap();
    eventually("invoices stored", || async { b.store.stats().await.unwrap().cases.total == 5 }).await;
    eventually("first reminders planned", || async { quiet(b.store.as_ref(), clock.now()).await }).await;
    clock.advance(Hours::hours(6));
    eventually("first reminders sent", || async {
        b.store.stats().await.unwrap().reminders.by_status.get("sent") == Some(&5)
    })
    .await;
    let paid = world::paid_message(&tenant, "RE-000000", clock.now());
    b.queue.publish(&b.topology.intake_exchange(), vec![json("invoice.paid", &paid)]).await.unwrap();
    eventually("payment recorded", || async { b.store.stats().await.unwrap().payments == 1 }).await;
    eventually("all quiet", || async { quiet(b.store.as_ref(), clock.now()).await }).await;

    // A debtor opens the pay-page of the second invoice's reminder.
    let reminder = b.store.reminders_of(&tenant, "RE-000001").await.unwrap().remove(0);
    assert_eq!(reminder.status, ReminderStatus::Sent);
    let token = service.links.sign(&LinkClaims {
        purpose: LinkPurpose::Pay,
        tenant: TenantId::parse(&tenant).unwrap(),
        reminder_id: reminder.id,
        expires_at: (clock.now() + Hours::days(30)).timestamp(),
    });
    let (status, _) = get(&format!("http://{api}/pay/{token}")).await;
    assert_eq!(status, 200, "the pay-page answers");

    let (status, text) = get(&format!("http://{api}/metrics")).await;
    assert_eq!(status, 200);
    let t = tenant.as_str();
    let value = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);
    assert_eq!(value("mahnwerk_intake_accepted_total", &[("tenant", t), ("kind", "overdue")]), Some(5.0));
    assert_eq!(value("mahnwerk_intake_accepted_total", &[("tenant", t), ("kind", "paid")]), Some(1.0));
    assert_eq!(value("mahnwerk_intake_rejected_total", &[("tenant", t), ("field", "amount_due")]), Some(2.0));
    assert_eq!(value("mahnwerk_reminders_planned_total", &[("tenant", t), ("channel", "email")]), Some(5.0));
    let sent = [("tenant", t), ("channel", "email"), ("result", "sent")];
    assert_eq!(value("mahnwerk_deliveries_total", &sent), Some(5.0));
    assert_eq!(value("mahnwerk_payments_total", &[("tenant", t), ("source", "amqp")]), Some(1.0));
    // Other tests of this binary may send email too, so the histogram holds at least these five.
    let timed = value("mahnwerk_send_duration_seconds_count", &[("channel", "email")]).unwrap();
    assert!(timed >= 5.0, "{timed} sends timed");
    let intake_queue = b.topology.intake_queue();
    assert_eq!(
        value("mahnwerk_queue_messages", &[("queue", &intake_queue)]),
        Some(0.0),
        "sampled, all consumed"
    );
    assert_eq!(
        value("mahnwerk_outbox_reminders", &[("state", "queued")]),
        Some(0.0),
        "every reminder has a result"
    );
    let pay_page = [("route", "/pay/{token}"), ("method", "GET"), ("status", "200")];
    assert!(value("mahnwerk_http_requests_total", &pay_page).unwrap() >= 1.0, "{text}");
    assert!(!text.contains(&token), "a pay token is never a label value");

    // Both services up: ready, and the answer names what was checked.
    let (status, body) = get(&format!("http://{api}/readyz")).await;
    let readiness: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(readiness["checks"]["database"]["ok"], true, "{body}");
    assert_eq!(readiness["checks"]["rabbitmq"]["ok"], true, "{body}");
    stop_roles(trigger, roles).await;
}

/// A port nothing listens on: a broker that is down.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A role that consumes from RabbitMQ, started as a process with its health listener: ready
/// with both services up; with `amqp_url` at a closed port it answers at once, 503, naming
/// RabbitMQ and not the database.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_rabbitmq_when_it_is_down() {
    let Some(database) = support::servers::TestDatabase::create().await else { return };
    let Some(amqp) = support::servers::amqp_url() else { return };
    let namespace = support::servers::namespace();
    let _cleanup =
        support::servers::BrokerCleanup::new(&amqp, &mahnwerk::queue::Topology::new(namespace.clone()));
    let dir = tempfile::tempdir().unwrap();
    let down = format!("amqp://guest:guest@127.0.0.1:{}/%2f", closed_port());
    for (url, ready) in [(amqp.as_str(), true), (down.as_str(), false)] {
        let envs = [
            ("MAHNWERK_DATABASE_URL", database.url.as_str()),
            ("MAHNWERK_AMQP_URL", url),
            ("MAHNWERK_NAMESPACE", namespace.as_str()),
            ("MAHNWERK_LINKS_SECRET", SECRET),
            ("MAHNWERK_OBSERVE_LISTEN", "127.0.0.1:0"),
        ];
        let served = serve_until(dir.path(), &envs, &["--role", "intake"], "health and metrics listening");
        let base = format!("http://{}", served.addr);
        assert_eq!(get(&format!("{base}/healthz")).await, (200, "ok".to_owned()), "alive at once");
        // The database opens (and migrates) first; with the broker up the role becomes ready,
        // with it down it keeps waiting for it (a minute) and says so meanwhile.
        let readyz = format!("{base}/readyz");
        let database_ok = |body: &str| {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["checks"]["database"]["ok"] == true
        };
        eventually("the database connected", || async { database_ok(&get(&readyz).await.1) }).await;
        if ready {
            eventually("the intake connected", || async { get(&readyz).await.0 == 200 }).await;
        }
        let (status, body) = get(&readyz).await;
        let readiness: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(readiness["roles"], "intake", "{body}");
        assert_eq!(readiness["checks"]["database"]["ok"], true, "{body}");
        assert_eq!(readiness["checks"]["rabbitmq"]["ok"], ready, "{body}");
        if !ready {
            assert_eq!(status, 503, "{body}");
            assert!(
                readiness["checks"]["rabbitmq"]["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{body}"
            );
        }
        let (metrics_status, _) = get(&format!("{base}/metrics")).await;
        assert_eq!(metrics_status, 200, "every role has /metrics");
        served.terminate();
    }
}

/// The `api` role with `amqp_url` at a closed port serves `/healthz`, `/readyz` (it depends on
/// the database alone), the pay-page and the webhooks at once: it never connects to the broker.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_serves_pay_pages_and_webhooks_with_rabbitmq_down() {
    let Some(database) = support::servers::TestDatabase::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let down = format!("amqp://guest:guest@127.0.0.1:{}/%2f", closed_port());
    let envs = [
        ("MAHNWERK_DATABASE_URL", database.url.as_str()),
        ("MAHNWERK_AMQP_URL", down.as_str()),
        ("MAHNWERK_LINKS_SECRET", SECRET),
    ];
    let served = serve_until(dir.path(), &envs, &["--role", "api"], "api listening");
    let base = format!("http://{}", served.addr);
    assert_eq!(get(&format!("{base}/healthz")).await, (200, "ok".to_owned()));
    let (status, body) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 200, "{body}");
    let readiness: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(readiness["checks"].as_object().unwrap().keys().collect::<Vec<_>>(), ["database"], "{body}");
    // A correctly signed link to a reminder that does not exist: the pay-page's friendly 404.
    let links = Links::new(&LinksConfig { secret: Some(SECRET.to_owned().into()), ..LinksConfig::default() });
    let token = links.sign(&LinkClaims {
        purpose: LinkPurpose::Pay,
        tenant: TenantId::parse("acme").unwrap(),
        reminder_id: 424_242,
        expires_at: (chrono::Utc::now() + Hours::days(1)).timestamp(),
    });
    let (status, page) = get(&format!("{base}/pay/{token}")).await;
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("<html"), "the pay-page's own page: {page}");
    // An unsigned webhook is refused, not left hanging.
    let refused = reqwest::Client::new()
        .post(format!("{base}/webhooks/twilio/status"))
        .form(&[("MessageSid", "SM1"), ("MessageStatus", "delivered")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let (status, log) = served.terminate();
    assert!(status.success(), "{status:?}: {log}");
}
