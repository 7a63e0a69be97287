//! A Mahnstopp holds the debtor's invoices taken in after it, on SQLite with the in-process queue
//! and on PostgreSQL with RabbitMQ, every role running on a manual clock: an invoice for a
//! stopped debtor, taken in through the intake (`POST /api/v1/invoices`), gets no reminder while
//! the scheduler runs days past its first stage's date, and its case is paused as the
//! Mahnstopp's own; lifting the Mahnstopp resumes it with the others and its first stage goes
//! out. A case an operator resumed on its own under the Mahnstopp is held again by the planner.
//! Another debtor's invoice is dunned all along.

use crate::console_api::{Auth, Console, A};
use crate::pay_page::invoice;
use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, KeyScope};
use mahnwerk::runtime::Clock;
use mahnwerk::store::ReminderStatus;
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::scenario::{eventually, live_until, quiet, stop_roles};
use support::servers::Backend;

const STOP: &str = "/api/v1/debtors/D-HELD/stop";

async fn sent(console: &Console, number: &str) -> usize {
    let reminders = console.store.reminders_of(A, number).await.unwrap();
    reminders.iter().filter(|r| r.status == ReminderStatus::Sent).count()
}

async fn state(console: &Console, number: &str) -> CaseState {
    console.store.case_by_invoice(A, number).await.unwrap().expect("the case").state
}

/// Takes in `number` for `debtor` through the HTTP intake; answers its case id.
async fn take_in(console: &Console, key: &Auth, number: &str, debtor: &str) -> i64 {
    let mut body = invoice(number, "de");
    body["debtor"]["id"] = json!(debtor);
    let (status, answer) = console.call(Method::POST, "/api/v1/invoices", key, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["case_id"].as_i64().unwrap()
}

async fn held_after_the_stop(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let first = take_in(&console, &key, "H-1", "D-HELD").await;
    take_in(&console, &key, "H-OTHER", "D-FREE").await;
    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;

    // The Mahnstopp; then a new invoice of the same debtor, through the intake.
    let (status, stop) = console.call(Method::POST, STOP, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{stop}");
    assert_eq!(stop["after"]["paused_cases"], json!([first]));
    let new = take_in(&console, &key, "H-2", "D-HELD").await;
    let resumed_on_its_own = take_in(&console, &key, "H-3", "D-HELD").await;

    // Days past the first stage's date: nothing for the stopped debtor, the other one dunned.
    let until = console.clock.now() + Days::days(3);
    live_until(store.as_ref(), &console.clock, until).await;
    for number in ["H-1", "H-2", "H-3"] {
        assert_eq!(sent(&console, number).await, 0, "{number}: no reminder under a Mahnstopp");
        assert!(
            console
                .store
                .reminders_of(A, number)
                .await
                .unwrap()
                .iter()
                .all(|r| r.status != ReminderStatus::Scheduled),
            "{number}"
        );
        assert_eq!(state(&console, number).await, CaseState::Paused, "{number}: held as the Mahnstopp's own");
    }
    assert_eq!(sent(&console, "H-OTHER").await, 1, "another debtor's invoice is dunned");

    // An operator resumes H-3 on its own page: the planner holds it again while the stop is in force.
    let resume = format!("/api/v1/cases/{resumed_on_its_own}/resume");
    let (status, answer) = console.call(Method::POST, &resume, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let until = console.clock.now() + Days::days(1);
    live_until(store.as_ref(), &console.clock, until).await;
    assert_eq!(state(&console, "H-3").await, CaseState::Paused);
    assert_eq!(sent(&console, "H-3").await, 0);

    // Lifted: every case it holds is resumed, the new ones with the first, and their first stage goes out.
    let (status, lifted) = console.call(Method::DELETE, STOP, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{lifted}");
    assert_eq!(lifted["after"]["resumed_cases"], json!([first, new, resumed_on_its_own]), "{lifted}");
    let until = console.clock.now() + Days::days(2);
    live_until(store.as_ref(), &console.clock, until).await;
    for number in ["H-1", "H-2", "H-3"] {
        assert_eq!(sent(&console, number).await, 1, "{number}: dunned again after the lift");
        assert_eq!(state(&console, number).await, CaseState::Reminding, "{number}");
    }

    // After the lift a new invoice is dunned as usual.
    take_in(&console, &key, "H-4", "D-HELD").await;
    let until = console.clock.now() + Days::days(5);
    live_until(store.as_ref(), &console.clock, until).await;
    assert_eq!(sent(&console, "H-4").await, 1, "no Mahnstopp in force: dunned");
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mahnstopp_holds_invoices_taken_in_after_it_on_sqlite() {
    held_after_the_stop(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mahnstopp_holds_invoices_taken_in_after_it_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    held_after_the_stop(backend).await;
}
