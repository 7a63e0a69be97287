//! The invoice's whole path, end to end, with every role running in-process on a manual clock:
//! 200 overdue invoices in, first reminders out to a real SMTP server, half of them paid, and
//! the paid ones never hear from us again while the others go on through the plan. Once on the
//! embedded default (SQLite + in-process queue), once on PostgreSQL + RabbitMQ.

use crate::smtp_sink;
use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::{Config, EmailTransport, PolicyKind, SmtpConfig};
use mahnwerk::demo::world;
use mahnwerk::queue::{Message, Queue, Topology};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::{ReminderStatus, Store};
use mahnwerk_models::sim::{Population, SimConfig};
use smtp_sink::SmtpSink;
use std::collections::BTreeMap;
use std::sync::Arc;
use support::scenario::{eventually, json, live_until, quiet, stop_roles, PATIENCE};
use support::servers::Backend;

const INVOICES: usize = 200;
const TENANT: &str = "e2e";

/// 200 invoice messages whose debtors each have an email address of their own.
fn invoice_messages() -> Vec<(String, String, Message)> {
    let population = Population::generate(
        11,
        &SimConfig { debtors: INVOICES, invoices_per_debtor: (1, 1), ..SimConfig::default() },
    )
    .expect("valid simulation");
    population
        .invoices(11)
        .iter()
        .take(INVOICES)
        .enumerate()
        .map(|(i, invoice)| {
            let debtor = &population.debtors()[invoice.debtor_index];
            let mut body = world::invoice_message(TENANT, debtor, invoice);
            let number = format!("E2E-{i:04}");
            let email = format!("debtor{i}@example.org");
            body["invoice_number"] = number.clone().into();
            body["debtor"]["email"] = email.clone().into();
            body["debtor"]["kind"] = "consumer".into();
            body["due_on"] = "2026-01-02".into();
            body["issued_on"] = "2025-12-01".into();
            (number, email, json("invoice.overdue", &body))
        })
        .collect()
}

async fn scenario(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn,mahnwerk=info").try_init();
    let sink = SmtpSink::start().await;
    let outbox = tempfile::tempdir().unwrap();
    let config = Config {
        namespace: topology.namespace.clone(),
        outbox_dir: outbox.path().to_owned(),
        email_transport: EmailTransport::Smtp,
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(sink.port()),
            security: Some("none".into()),
            username: None,
            password: None,
            timeout_secs: Some(10),
            dkim: None,
        }),
        poll_interval_ms: 20,
        // Role::All runs the API too; a free port, so that tests side by side never collide.
        http: mahnwerk::api::HttpConfig::any_port(),
        // The fixed schedule, so that every reminder takes the channel these checks expect.
        policy: PolicyKind::Fixed,
        ..Config::default()
    };
    // Monday 2026-01-05, 06:00 UTC: before the 10:00 local send slot in every simulated timezone.
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, Arc::clone(&store), Arc::clone(&queue), clock.clone()).unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let invoices = invoice_messages();
    queue
        .publish(&topology.intake_exchange(), invoices.iter().map(|(_, _, m)| m.clone()).collect())
        .await
        .unwrap();
    eventually("all invoices stored", || async {
        store.stats().await.unwrap().cases.total == INVOICES as u64
    })
    .await;

    eventually("first reminders planned", || async { quiet(store.as_ref(), clock.now()).await }).await;

    // The first reminders: one email per debtor at 10:00 local time.
    // Monday 12:00 UTC: the first reminders' 10:00 local send time has come in every simulated
    // timezone, and their day's window is still open.
    clock.advance(Days::hours(6));

    let mails = sink.wait_for(INVOICES, PATIENCE).await;
    assert_eq!(mails.len(), INVOICES, "one first reminder per invoice");
    eventually("first reminders recorded", || async { quiet(store.as_ref(), clock.now()).await }).await;

    // Half of the debtors pay.
    let (paid, unpaid) = invoices.split_at(INVOICES / 2);
    let paid_at = clock.now();
    let payments = paid
        .iter()
        .map(|(number, _, _)| json("invoice.paid", &world::paid_message(TENANT, number, paid_at)))
        .collect();
    queue.publish(&topology.intake_exchange(), payments).await.unwrap();
    eventually("payments recorded", || async {
        store.stats().await.unwrap().cases.by_state["paid"] == paid.len() as u64
    })
    .await;
    let mails_before = sink.messages().len();

    // Two months pass.
    live_until(store.as_ref(), &clock, clock.now() + Days::days(60)).await;
    stop_roles(trigger, roles).await;

    // Who received what after the payments.
    let mut later: BTreeMap<String, usize> = BTreeMap::new();
    for mail in &sink.messages()[mails_before..] {
        for rcpt in &mail.rcpt_to {
            *later.entry(rcpt.trim_matches(['<', '>']).to_owned()).or_default() += 1;
        }
    }
    for (number, email, _) in paid {
        assert_eq!(later.get(email), None, "{number} was paid but {email} got more mail");
        let reminders = store.reminders_of(TENANT, number).await.unwrap();
        assert_eq!(reminders.len(), 1, "{number}: only the first reminder");
        assert_eq!(reminders[0].reward, Some(1.0), "{number}: the reminder is credited with the payment");
        let case = store.case_by_invoice(TENANT, number).await.unwrap().unwrap();
        assert_eq!(case.state.as_str(), "paid");
    }
    let mut reminded_again = 0;
    for (number, email, _) in unpaid {
        let reminders = store.reminders_of(TENANT, number).await.unwrap();
        assert!(reminders.len() >= 3, "{number}: the plan went on ({} reminders)", reminders.len());
        assert!(reminders.iter().all(|r| r.status == ReminderStatus::Sent), "{number}: {reminders:?}");
        reminded_again += usize::from(later.contains_key(email));
    }
    assert_eq!(reminded_again, unpaid.len(), "every unpaid debtor got further emails");
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.payments, paid.len() as u64);
    assert_eq!(stats.intake_rejections, 0);
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
