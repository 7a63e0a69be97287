//! The tenants' summaries behind `GET /api/v1/stats` and the overview, on both backends: a
//! summary is what reading the tenant's facts on demand gives, it stays as it was (with its
//! "as of" time) until it is read anew, and read anew it equals the on-demand reading again —
//! both when a test reads it anew itself and when the `api` role does it in the background every
//! `[console] summary_refresh_secs`. The figures the API answers are the statistics of a fresh
//! reading, field by field.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use chrono::Duration as Days;
use mahnwerk::api::console::accounts;
use mahnwerk::api::console::summary::{read_facts, Summaries};
use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole, TenantId};
use mahnwerk::learn::stats::tenant_stats;
use mahnwerk::runtime::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use support::scenario::{eventually, stop_roles};
use support::servers::Backend;

/// Invoice `number` of `tenant`, issued on `issued`, paid `amount` on `paid` (a bank payment).
async fn paid_invoice(
    console: &Console,
    key: &Auth,
    tenant: &str,
    number: &str,
    issued: &str,
    paid: &[(&str, &str)],
) {
    let mut body = invoice(number, "de");
    body["tenant"] = json!(tenant);
    body["issued_on"] = json!(issued);
    let (status, answer) = console.call(Method::POST, "/api/v1/invoices", key, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    for (n, (amount, day)) in paid.iter().enumerate() {
        pay(console, key, number, amount, day, &format!("bank-{number}-{n}")).await;
    }
}

async fn pay(console: &Console, key: &Auth, number: &str, amount: &str, day: &str, reference: &str) {
    let paid = json!({"paid_at": format!("{day}T10:00:00Z"), "amount_paid": amount, "currency": "EUR",
                      "payment_reference": reference});
    let path = format!("/api/v1/invoices/{number}/paid");
    let (status, answer) = console.call(Method::POST, &path, key, Some(&paid)).await;
    assert!(status.is_success(), "{answer}");
}

/// The figures of a fresh reading of `tenant`'s facts now, as the API writes them.
async fn fresh_figures(console: &Console, tenant: &TenantId) -> Value {
    let facts = read_facts(console.store.as_ref(), tenant, console.clock.now()).await.unwrap();
    let version = console.store.latest_policy_version().await.unwrap();
    let costs = mahnwerk::config::default_costs_eur();
    serde_json::to_value(tenant_stats(&facts, &costs, version)).unwrap()
}

/// Two tenants' paid, part-paid, credited and open invoices over several months.
async fn fixture(console: &Console) -> (Auth, TenantId) {
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let other = Auth::Key(console.key(B, KeyScope::Write).await);
    paid_invoice(console, &key, A, "S-1", "2025-10-01", &[("129.90", "2025-10-31")]).await;
    paid_invoice(console, &key, A, "S-2", "2025-10-01", &[("50.00", "2025-11-10"), ("79.90", "2025-12-24")])
        .await;
    paid_invoice(console, &key, A, "S-3", "2025-11-15", &[("0.10", "2025-11-14")]).await;
    paid_invoice(console, &key, A, "S-4", "2025-12-01", &[]).await;
    paid_invoice(console, &other, B, "U-1", "2025-11-01", &[("129.90", "2025-12-01")]).await;
    let (_, s4) = console.call(Method::GET, "/api/v1/cases?q=S-4", &key, None).await;
    let s4 = s4["cases"][0]["case_id"].as_i64().expect("S-4");
    let credit = json!({"kind": "credit", "amount": "20.00"});
    let path = format!("/api/v1/cases/{s4}/credit");
    let (status, answer) = console.call(Method::POST, &path, &key, Some(&credit)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    (key, TenantId::parse(A).unwrap())
}

async fn kept_until_read_anew(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let (key, tenant) = fixture(&console).await;
    let (store, clock) = (console.store.as_ref(), console.clock.as_ref());

    let summaries = Summaries::new();
    let first = summaries.facts(store, clock, &tenant).await.unwrap();
    assert_eq!(*first, read_facts(store, &tenant, clock.now()).await.unwrap(), "read on demand");
    assert_eq!(first.as_of, clock.now());
    assert!(!first.payments.is_empty() && !first.cases.is_empty(), "{first:?}");

    pay(&console, &key, "S-4", "9.90", "2026-01-04", "bank-S-4").await;
    console.clock.advance(Days::hours(1));
    let kept = summaries.facts(store, clock, &tenant).await.unwrap();
    assert!(Arc::ptr_eq(&first, &kept), "kept, not read per call");
    let now = read_facts(store, &tenant, clock.now()).await.unwrap();
    assert_ne!(now.payments, kept.payments, "the new payment is not in the kept summary");

    assert_eq!(summaries.refresh(store, clock).await, 1, "the one summarised tenant");
    let anew = summaries.facts(store, clock, &tenant).await.unwrap();
    assert_eq!(*anew, now, "read anew: what a reading on demand gives");

    // The API's own summary, read on its first call, answers the figures of a fresh reading.
    let (status, stats) = console.call(Method::GET, "/api/v1/stats", &key, None).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats, fresh_figures(&console, &tenant).await);
    assert_eq!(stats["as_of"], json!(clock.now()), "{stats}");
    assert_eq!(stats["collected"]["EUR"], json!("269.80"), "tenant B's payment is not A's: {stats}");
    assert_eq!(stats["credited"]["EUR"], json!("20.00"), "{stats}");
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_is_kept_until_read_anew_on_sqlite() {
    kept_until_read_anew(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_is_kept_until_read_anew_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    kept_until_read_anew(backend).await;
}

/// The `api` role reads the summaries anew every second here: after a payment and an hour on
/// the clock, the statistics come to show the new time and, field by field, a fresh reading.
async fn read_anew_in_the_background(backend: Backend) {
    let (console, trigger, roles) =
        Console::start_with(&backend, Role::Api, "summary_refresh_secs = 1\n").await;
    let (key, tenant) = fixture(&console).await;
    let (_, before) = console.call(Method::GET, "/api/v1/stats", &key, None).await;
    assert_eq!(before["as_of"], json!(console.clock.now()), "{before}");

    pay(&console, &key, "S-4", "9.90", "2026-01-04", "bank-S-4").await;
    console.clock.advance(Days::hours(1));
    let later = json!(console.clock.now());
    let stats = |key: Auth| {
        let console = &console;
        async move { console.call(Method::GET, "/api/v1/stats", &key, None).await.1 }
    };
    eventually("the summary read anew", || async { stats(key.clone()).await["as_of"] == later }).await;
    let after = stats(key.clone()).await;
    assert_eq!(after, fresh_figures(&console, &tenant).await);
    let collected = |figures: &Value| figures["collected"]["EUR"].as_str().unwrap().parse::<f64>().unwrap();
    assert!((collected(&after) - collected(&before) - 9.90).abs() < 1e-9, "{before}\n{after}");

    // The overview shows the time its figures are as of.
    let viewer = "viewer@paytest.example";
    console.operator(A, viewer, OperatorRole::Viewer, "a long enough password").await;
    let (session, _) = console.login(A, viewer, "a long enough password").await;
    let response = console.http.get(console.url("/console?lang=en")).header("cookie", &session).send().await;
    let html = response.unwrap().text().await.unwrap();
    let shown = console.clock.now().format("Figures as of %Y-%m-%d %H:%M UTC").to_string();
    assert!(html.contains(&shown), "{shown}: {html}");
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_role_reads_the_summaries_anew_on_sqlite() {
    read_anew_in_the_background(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_role_reads_the_summaries_anew_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    read_anew_in_the_background(backend).await;
}

/// Read ahead, as the `api` role does at its start (`[console] summaries_at_start`): the tenants
/// with a console account (an operator, or a key not revoked) and no summary yet are read, once;
/// a tenant without one is left to its first call; a call meanwhile shares the reading.
async fn read_ahead(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let (key, tenant) = fixture(&console).await;
    let (store, clock) = (console.store.as_ref(), console.clock.as_ref());
    let revoked = TenantId::parse(B).unwrap();
    let (id, _) = accounts::create_api_key(store, &revoked, KeyScope::Write, clock.now()).await.unwrap();
    // B's other key is the fixture's: revoke it too, so that B has no account left.
    let listed_keys = store.begin().await.unwrap().tenant_api_keys(&revoked).await.unwrap();
    for listed in listed_keys {
        accounts::revoke_api_key(store, &revoked, listed.id, clock.now()).await.unwrap();
    }
    assert!(!accounts::revoke_api_key(store, &revoked, id, clock.now()).await.unwrap(), "revoked");
    let staff = TenantId::parse("staffonly").unwrap();
    let pw = "a long enough password";
    accounts::add_operator(store, &staff, "admin@staff.example", OperatorRole::Admin, pw, clock.now())
        .await
        .unwrap();

    let (_never, shutdown) = mahnwerk::shutdown::channel();
    let summaries = Summaries::new();
    let started = clock.now();
    assert_eq!(summaries.read_ahead(store, clock, &shutdown).await, 2, "A and the tenant with an operator");
    assert_eq!(summaries.read_ahead(store, clock, &shutdown).await, 0, "read already");
    console.clock.advance(Days::hours(1));
    let kept = summaries.facts(store, clock, &tenant).await.unwrap();
    assert_eq!(kept.as_of, started, "read ahead, kept for the first call");
    assert_eq!(*kept, read_facts(store, &tenant, started).await.unwrap());
    assert_eq!(summaries.facts(store, clock, &staff).await.unwrap().as_of, started);
    let on_demand = summaries.facts(store, clock, &revoked).await.unwrap();
    assert_eq!(on_demand.as_of, clock.now(), "no account: read on its first call");

    // A call while the reading ahead runs gets the one reading.
    let fresh = Summaries::new();
    let (_, called) =
        tokio::join!(fresh.read_ahead(store, clock, &shutdown), fresh.facts(store, clock, &tenant));
    let called = called.unwrap();
    assert!(Arc::ptr_eq(&called, &fresh.facts(store, clock, &tenant).await.unwrap()), "one reading, shared");

    // Triggered shutdown: nothing is read.
    let (stop, stopped) = mahnwerk::shutdown::channel();
    stop.trigger();
    assert_eq!(Summaries::new().read_ahead(store, clock, &stopped).await, 0);
    drop(key);
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summaries_of_tenants_with_accounts_are_read_ahead_on_sqlite() {
    read_ahead(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summaries_of_tenants_with_accounts_are_read_ahead_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    read_ahead(backend).await;
}
