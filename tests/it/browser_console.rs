//! The console's pages in a real headless Chromium, as an operator meets them: every role runs
//! in-process on SQLite; the operator logs in, finds a case by its invoice number, pauses it with
//! the button, sees no reminder go out while the scheduler runs through its send time, resumes it
//! and sees the reminder in the timeline; a German operator sees the overview, escalates a case
//! with its confirmation, and cancels another one, whose page speaks German words. Screenshots land in
//! `target/test-artefacts/screenshots/console-*.png`.

use crate::console_api::{Auth, Console, A};
use crate::pay_page::invoice;
use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, KeyScope, OperatorRole};
use mahnwerk::runtime::Clock;
use mahnwerk::store::ReminderStatus;
use reqwest::Method;
use support::browser::Browser;
use support::scenario::{eventually, live_until, quiet, stop_roles};
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";

/// Opens the case page, which sends an ended session to the login form, and logs in there.
async fn log_in_again(browser: &Browser, console: &Console, case_id: i64) {
    browser.goto(&console.url(&format!("/console/cases/{case_id}"))).await;
    browser.wait_for_text("Password").await;
    browser.fill("Tenant", A).await;
    browser.fill("Email", "agent@paytest.example").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Log in").await;
    browser.wait_for_text("B-3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_pauses_and_resumes_a_case_in_the_browser() {
    let backend = Backend::embedded().await;
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    console.operator(A, "agent@paytest.example", OperatorRole::Agent, PASSWORD).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut case_id = 0;
    for number in ["B-1", "B-2", "B-3"] {
        let (_, answer) =
            console.call(Method::POST, "/api/v1/invoices", &key, Some(&invoice(number, "de"))).await;
        if number == "B-2" {
            case_id = answer["case_id"].as_i64().unwrap();
        }
    }
    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;
    let Some(browser) = Browser::start().await else { return stop_roles(trigger, roles).await };
    browser.desktop().await;

    browser.goto(&console.url("/console")).await;
    browser.fill("Tenant", A).await;
    browser.fill("Email", "agent@paytest.example").await;
    browser.fill("Password", "not the password").await;
    browser.click_button("Log in").await;
    browser.wait_for_text("Wrong tenant, email or password.").await;
    browser.fill("Email", "agent@paytest.example").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Log in").await;
    let list = browser.wait_for_text("B-3").await;
    assert!(list.contains("B-1") && list.contains("B-2"), "{list}");
    browser.screenshot("console-cases").await;

    browser.fill("Search", "b-2").await;
    browser.click_button("Filter").await;
    eventually("the list filtered", || async { !browser.text().await.contains("B-3") }).await;
    assert!(browser.text().await.contains("B-2"));
    browser.click(&format!("a[href='/console/cases/{case_id}']")).await;
    browser.wait_for_text("Pause dunning").await;
    browser.click_button("Pause dunning").await;
    browser.wait_for_text("Dunning is paused for this case.").await;
    assert_eq!(store.case_by_invoice(A, "B-2").await.unwrap().unwrap().state, CaseState::Paused);
    browser.screenshot("console-case-paused").await;

    // The scheduler runs through the send time: the others are reminded, B-2 is not.
    let sent = |number: &'static str| {
        let store = store.clone();
        async move {
            let reminders = store.reminders_of(A, number).await.unwrap();
            reminders.iter().filter(|r| r.status == ReminderStatus::Sent).count()
        }
    };
    live_until(store.as_ref(), &console.clock, console.clock.now() + Days::days(2)).await;
    assert_eq!((sent("B-1").await, sent("B-2").await), (1, 0));

    // Two days later the session has ended (12 hours): log in again, then resume.
    log_in_again(&browser, &console, case_id).await;
    browser.goto(&console.url(&format!("/console/cases/{case_id}"))).await;
    browser.click_button("Resume dunning").await;
    browser.wait_for_text("Dunning is resumed for this case.").await;
    live_until(store.as_ref(), &console.clock, console.clock.now() + Days::days(2)).await;
    assert_eq!(sent("B-2").await, 1, "resumed, its reminder went out");
    log_in_again(&browser, &console, case_id).await;
    browser.goto(&console.url(&format!("/console/cases/{case_id}"))).await;
    let page = browser.wait_for_text("dunning resumed by").await;
    assert!(page.contains("dunning paused by") && page.contains(": sent;"), "{page}");
    assert!(!page.contains("case.pause"), "words, not identifiers: {page}");
    // Below the interventions: the timeline in view for the screenshot.
    let scroll = "document.querySelector('main h2').scrollIntoView()";
    browser.client().execute(scroll, vec![]).await.expect("scrolling to the timeline");
    browser.screenshot("console-case-timeline").await;
    browser.close().await;
    stop_roles(trigger, roles).await;
}

/// The overview and the case page's confirmed interventions, in German, in a real Chromium that
/// prefers German: the overview's charts, a confirmation opened, the case escalated with it,
/// another case's page in German words with every intervention, cancelled with its button.
/// Screenshots: `console-overview-de.png`, `console-overview-en.png`,
/// `console-case-interventions-de.png`, `console-case-escalated-de.png`,
/// `console-case-cancel-de.png`, `console-case-cancelled-de.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_the_overview_and_escalates_a_case_in_german() {
    let backend = Backend::embedded().await;
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    console.operator(A, "agent@paytest.example", OperatorRole::Agent, PASSWORD).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["G-1", "G-2", "G-3", "G-4"] {
        let (_, answer) =
            console.call(Method::POST, "/api/v1/invoices", &key, Some(&invoice(number, "de"))).await;
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    let case_id = ids[3];
    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;
    live_until(store.as_ref(), &console.clock, console.clock.now() + Days::days(1)).await;
    let paid = serde_json::json!({"paid_at": console.clock.now(), "amount_paid": "129.90", "currency": "EUR",
                                  "payment_reference": "bank-1"});
    console.call(Method::POST, "/api/v1/invoices/G-1/paid", &key, Some(&paid)).await;
    let Some(browser) = Browser::in_language("de").await else { return stop_roles(trigger, roles).await };
    browser.desktop().await;

    browser.goto(&console.url("/console")).await;
    browser.fill("Mandant", A).await;
    browser.fill("E-Mail", "agent@paytest.example").await;
    browser.fill("Passwort", PASSWORD).await;
    browser.click_button("Anmelden").await;
    browser.wait_for_text("G-4").await;
    browser.goto(&console.url("/console")).await;
    let overview = browser.wait_for_text("Eingegangen in diesem Monat").await;
    assert!(overview.contains("Fälle nach Status") && overview.contains("Kanalmix"), "{overview}");
    browser.screenshot("console-overview-de").await;
    browser.goto(&console.url("/console?lang=en")).await;
    browser.wait_for_text("Collected this month").await;
    browser.screenshot("console-overview-en").await;

    browser.goto(&console.url(&format!("/console/cases/{case_id}?lang=de"))).await;
    browser.wait_for_text("Jetzt eskalieren…").await;
    browser.click(".interventions details summary").await;
    browser.wait_for_text("Bestätigen: eskalieren").await;
    browser.screenshot("console-case-interventions-de").await;
    browser.click_button("Bestätigen: eskalieren").await;
    browser.wait_for_text("Der Fall ist eskaliert").await;
    assert_eq!(store.case_by_invoice(A, "G-4").await.unwrap().unwrap().state, CaseState::Escalated);
    let page = browser.wait_for_text("eskaliert durch").await;
    assert!(!page.contains("Jetzt eskalieren…"), "nothing more to escalate: {page}");
    browser.screenshot("console-case-escalated-de").await;

    // Another case: its state and timeline in German words, every intervention offered; it is
    // cancelled with its button.
    browser.goto(&console.url(&format!("/console/cases/{}", ids[2]))).await;
    let page = browser.wait_for_text("wird gemahnt").await;
    for offered in [
        "Nächste Mahnung verschieben…",
        "Gutschreiben oder abschreiben…",
        "Fall stornieren…",
        "Kontaktdaten des Schuldners korrigieren…",
        "Mahnung pausieren",
    ] {
        assert!(page.contains(offered), "{offered}: {page}");
    }
    let status_in_words = page.contains(": versandt;") || page.contains(": geplant;");
    assert!(page.contains("Stufe 1") && page.contains("per E-Mail") && status_in_words, "{page}");
    assert!(!page.contains("reminding") && !page.contains(": sent;"), "no identifiers: {page}");
    browser.click("details:has(form[action$='/cancel']) summary").await;
    browser.wait_for_text("Bestätigen: Fall stornieren").await;
    browser.screenshot("console-case-cancel-de").await;
    browser.click_button("Bestätigen: Fall stornieren").await;
    let page = browser.wait_for_text("Der Fall ist storniert.").await;
    assert_eq!(store.case_by_invoice(A, "G-3").await.unwrap().unwrap().state, CaseState::Cancelled);
    assert!(page.contains("Fall storniert durch") && !page.contains("Fall stornieren…"), "{page}");
    browser.screenshot("console-case-cancelled-de").await;
    browser.close().await;
    stop_roles(trigger, roles).await;
}
