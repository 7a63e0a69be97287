//! The learning loop through the running service, every role in-process on a manual clock:
//! the adaptive policy decides the first reminders (version `bandit-v0`), payments and closed
//! attribution windows become outcome events, the dispatcher publishes them, the learner role
//! learns and writes snapshots, the scheduler hot-reloads them, and the next stage's reminders
//! are decided by the learned model and say so. Once on the embedded default, once on
//! PostgreSQL + RabbitMQ.

use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::{Config, LearnConfig, PolicyKind};
use mahnwerk::demo::world;
use mahnwerk::queue::{Message, Queue, Topology};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::Store;
use mahnwerk_models::bandit::Snapshot;
use mahnwerk_models::sim::{Population, SimConfig};
use std::sync::Arc;
use support::scenario::{eventually, json, live_until, quiet, stop_roles};
use support::servers::Backend;

const INVOICES: usize = 40;
const TENANT: &str = "learn";

fn invoice_messages() -> Vec<(String, Message)> {
    let population = Population::generate(
        5,
        &SimConfig { debtors: INVOICES, invoices_per_debtor: (1, 1), ..SimConfig::default() },
    )
    .expect("valid simulation");
    population
        .invoices(5)
        .iter()
        .take(INVOICES)
        .enumerate()
        .map(|(i, invoice)| {
            let debtor = &population.debtors()[invoice.debtor_index];
            let mut body = world::invoice_message(TENANT, debtor, invoice);
            let number = format!("L-{i:04}");
            body["invoice_number"] = number.clone().into();
            body["due_on"] = "2026-01-02".into();
            body["issued_on"] = "2025-12-01".into();
            (number.clone(), json("invoice.overdue", &body))
        })
        .collect()
}

/// Outcomes the newest stored snapshot has learned from.
async fn learned(store: &dyn Store) -> u64 {
    match store.latest_policy_snapshot().await.expect("latest snapshot") {
        Some(record) => {
            let snapshot: Snapshot = serde_json::from_str(&record.body).expect("a snapshot");
            assert_eq!(snapshot.stats().updates as i64, record.updates);
            snapshot.stats().updates
        }
        None => 0,
    }
}

/// Reminders of `invoices` with an outcome (reward set) in the store: what the learner must learn.
async fn rewarded(store: &dyn Store, invoices: &[(String, Message)]) -> usize {
    let mut n = 0;
    for (number, _) in invoices {
        n += store.reminders_of(TENANT, number).await.unwrap().iter().filter(|r| r.reward.is_some()).count();
    }
    n
}

async fn scenario(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn,mahnwerk=info").try_init();
    let outbox = tempfile::tempdir().unwrap();
    let config = Config {
        namespace: topology.namespace.clone(),
        outbox_dir: outbox.path().to_owned(),
        poll_interval_ms: 20,
        // Role::All runs the API too; a free port, so that tests side by side never collide.
        http: mahnwerk::api::HttpConfig::any_port(),
        policy: PolicyKind::Adaptive,
        learn: LearnConfig {
            snapshot_every: 7,
            snapshot_secs: 1,
            reload_secs: 1,
            seed: Some(3),
            ..LearnConfig::default()
        },
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, Arc::clone(&store), Arc::clone(&queue), clock.clone()).unwrap();
    let policy = service.adaptive.clone().expect("the adaptive policy");
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let invoices = invoice_messages();
    queue
        .publish(&topology.intake_exchange(), invoices.iter().map(|(_, m)| m.clone()).collect())
        .await
        .unwrap();
    eventually("all invoices stored", || async {
        store.stats().await.unwrap().cases.total == INVOICES as u64
    })
    .await;
    eventually("first reminders planned", || async { quiet(store.as_ref(), clock.now()).await }).await;

    // The first reminders go out within three days (any hour of 08-20 local, no holidays).
    live_until(store.as_ref(), &clock, clock.now() + Days::days(3)).await;
    let mut first = Vec::new();
    for (number, _) in &invoices {
        let reminders = store.reminders_of(TENANT, number).await.unwrap();
        assert_eq!(reminders.len(), 1, "{number}");
        assert_eq!(reminders[0].policy_version, "bandit-v0", "{number}: decided before any snapshot");
        first.push(reminders[0].clone());
    }
    assert!(first.iter().all(|r| r.sent_at.is_some()), "{first:?}");

    // Some pay now, within their first reminder's window: reward 1 each.
    let paid_at = clock.now();
    let in_window =
        |r: &mahnwerk::store::ReminderView| r.sent_at.is_some_and(|t| paid_at - t < Days::hours(70));
    let (paid, _): (Vec<_>, Vec<_>) =
        invoices.iter().zip(&first).partition(|(_, reminder)| in_window(reminder));
    let paid: Vec<&(String, Message)> =
        paid.into_iter().map(|(invoice, _)| invoice).take(INVOICES / 4).collect();
    let unpaid: Vec<&(String, Message)> =
        invoices.iter().filter(|(number, _)| !paid.iter().any(|(p, _)| p == number)).collect();
    assert!(paid.len() >= 5, "enough first reminders in the window to pay: {}", paid.len());
    let payments = paid
        .iter()
        .map(|(number, _)| json("invoice.paid", &world::paid_message(TENANT, number, paid_at)))
        .collect();
    queue.publish(&topology.intake_exchange(), payments).await.unwrap();
    eventually("the paid reminders learned", || async { learned(store.as_ref()).await >= paid.len() as u64 })
        .await;

    // Three days on, the other windows have closed: reward 0 each, learned too.
    // A reminder sent at the last jump (now) has its window close exactly 72 h later; an hour
    // more and every window has closed.
    clock.advance(Days::days(3) + Days::hours(1));
    eventually("every first reminder's outcome learned", || async {
        let rewarded = rewarded(store.as_ref(), &invoices).await;
        rewarded >= INVOICES && learned(store.as_ref()).await == rewarded as u64
    })
    .await;
    eventually("the scheduler reloaded the newest snapshot", || async {
        policy.snapshot_version() == store.latest_policy_version().await.unwrap().unwrap()
    })
    .await;
    assert!(policy.snapshot_version() >= 2, "snapshots every 7 outcomes: {}", policy.snapshot_version());

    // The unpaid cases' next stage is decided by the learned model, and logged as such.
    live_until(store.as_ref(), &clock, clock.now() + Days::days(14)).await;
    // Every outcome so far (first and later stages) ends up in a stored snapshot.
    let outcomes = rewarded(store.as_ref(), &invoices).await;
    assert!(outcomes > INVOICES, "later stages had outcomes too: {outcomes}");
    eventually("all outcomes learned", || async { learned(store.as_ref()).await == outcomes as u64 }).await;
    stop_roles(trigger, roles).await;
    for (number, _) in &unpaid {
        let reminders = store.reminders_of(TENANT, number).await.unwrap();
        assert!(reminders.len() >= 2, "{number}: the plan went on: {reminders:?}");
        assert_eq!(reminders[0].reward, Some(0.0), "{number}");
        let version: i64 = reminders[1].policy_version.bandit_snapshot().unwrap();
        assert!(version >= 1, "{number}: the second stage was decided by a learned snapshot: {reminders:?}");
    }
    for (number, _) in &paid {
        let reminders = store.reminders_of(TENANT, number).await.unwrap();
        assert_eq!(reminders.len(), 1, "{number}");
        assert_eq!(reminders[0].reward, Some(1.0), "{number}");
    }
    // Everything the learner took is acknowledged: nothing waits in its queue (nor is held).
    assert_eq!(queue.ready_count(&topology.learner_queue()).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_default_sqlite_and_in_process_queue() {
    let b = Backend::embedded().await;
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_rabbitmq() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}
