//! The debtor page and the audit page in a real headless Chromium that prefers German: the
//! operator logs in, opens a case, follows its debtor's name to the debtor page, opens the
//! Mahnstopp's confirmation and confirms it, sees every one of the debtor's cases paused (and
//! another debtor's not), and finds the entry on the audit page, in English, linked back to the
//! debtor, whose page then lifts the Mahnstopp (both cases reminded again). The pages fit a
//! tablet's width without scrolling sideways. Screenshots: `console-debtor-de.png` (with the
//! marketing consent per channel), `console-debtor-stopped-de.png`, `console-audit-en.png`,
//! `console-debtor-lifted-en.png`.

use crate::console_api::{Auth, Console, A};
use crate::pay_page::invoice;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, KeyScope, OperatorRole};
use mahnwerk::runtime::Clock;
use reqwest::Method;
use support::browser::Browser;
use support::scenario::{eventually, quiet, stop_roles};
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";
const DEBTOR: &str = "Kunde 7/A";
const DEBTOR_PATH: &str = "/console/debtors/Kunde%207%2FA";
/// A tablet held upright (an iPad Air), in CSS pixels.
const TABLET: (u32, u32) = (820, 1180);

/// Whether the page is no wider than the window (nothing to scroll sideways).
async fn fits(browser: &Browser) -> bool {
    let script = "return document.documentElement.scrollWidth <= window.innerWidth";
    browser.client().execute(script, vec![]).await.expect("measuring the page").as_bool().unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_stops_dunning_a_debtor_and_finds_it_in_the_audit_log() {
    let backend = Backend::embedded().await;
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    console.operator(A, "agent@paytest.example", OperatorRole::Agent, PASSWORD).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["T-1", "T-2", "T-3"] {
        let mut body = invoice(number, "de");
        if number != "T-3" {
            body["debtor"]["id"] = DEBTOR.into();
        }
        let (_, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;
    let state = |number: &'static str| {
        let store = store.clone();
        async move { store.case_by_invoice(A, number).await.unwrap().unwrap().state }
    };
    assert_eq!(state("T-1").await, CaseState::Reminding);
    let Some(browser) = Browser::in_language("de").await else { return stop_roles(trigger, roles).await };

    browser.goto(&console.url("/console")).await;
    browser.fill("Mandant", A).await;
    browser.fill("E-Mail", "agent@paytest.example").await;
    browser.fill("Passwort", PASSWORD).await;
    browser.click_button("Anmelden").await;
    browser.wait_for_text("T-3").await;

    // From a case to its debtor.
    browser.goto(&console.url(&format!("/console/cases/{}", ids[0]))).await;
    browser.wait_for_text("Rechnung T-1").await;
    browser.click(&format!("dd a[href='{DEBTOR_PATH}']")).await;
    let page = browser.wait_for_text("Kundennummer").await;
    for shown in [
        "Erika Mustermann",
        "Kunde 7/A",
        "T-1",
        "T-2",
        "wird gemahnt",
        "Einwilligungen je Kanal",
        "Werbeeinwilligung je Kanal",
        "ja: Bestandskunde (§ 7 Abs. 3 UWG)",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    assert!(!page.contains("T-3") && !page.contains("reminding"), "{page}");
    browser.screenshot("console-debtor-de").await;

    // The Mahnstopp, confirmed.
    browser.click("details:has(form[action$='/stop']) summary").await;
    browser.wait_for_text("Bestätigen: Mahnstopp").await;
    browser.click_button("Bestätigen: Mahnstopp").await;
    let page = browser
        .wait_for_text("Mahnstopp: die Fälle des Schuldners, die gemahnt wurden, sind pausiert.")
        .await;
    assert!(page.contains("Pausierte Fälle: T-1, T-2"), "{page}");
    assert_eq!([state("T-1").await, state("T-2").await], [CaseState::Paused, CaseState::Paused]);
    assert_eq!(state("T-3").await, CaseState::Reminding, "another debtor's case");
    assert!(!page.contains("wird gemahnt"), "every case shows paused: {page}");

    // On a tablet: the stopped debtor, then the audit log in English.
    browser.viewport(TABLET, 1, true).await;
    browser.goto(&console.url(DEBTOR_PATH)).await;
    browser.wait_for_text("Pausierte Fälle").await;
    assert_eq!(browser.layout_width().await, u64::from(TABLET.0));
    assert!(fits(&browser).await, "the debtor page fits a tablet");
    browser.screenshot("console-debtor-stopped-de").await;
    browser.goto(&console.url("/console/audit?lang=en")).await;
    let page = browser.wait_for_text("paused cases T-1, T-2").await;
    for shown in ["Audit log", "agent@paytest.example", "Mahnstopp: every case paused", "Kunde 7/A"] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    assert!(!page.contains("debtor.stop") && !page.contains("operator:"), "words, not identifiers: {page}");
    assert!(fits(&browser).await, "the audit page fits a tablet");
    browser.screenshot("console-audit-en").await;
    browser.click(&format!("td a[href='{DEBTOR_PATH}']")).await;
    browser.wait_for_text("Customer number").await;

    // The Mahnstopp lifted, confirmed, on the English page: both cases are reminded again.
    browser.click("details:has(form[action$='/lift-stop']) summary").await;
    browser.wait_for_text("Confirm: lift the Mahnstopp").await;
    browser.click_button("Confirm: lift the Mahnstopp").await;
    let page = browser.wait_for_text("Mahnstopp lifted: the cases it paused are being reminded again.").await;
    assert!(page.contains("Cases resumed: T-1, T-2"), "{page}");
    assert!(page.contains("Marketing consent per channel"), "{page}");
    assert_eq!([state("T-1").await, state("T-2").await], [CaseState::Reminding, CaseState::Reminding]);
    assert!(!page.contains("Confirm: lift the Mahnstopp"), "nothing left to lift: {page}");
    assert!(fits(&browser).await, "the debtor page fits a tablet");
    browser.screenshot("console-debtor-lifted-en").await;
    browser.close().await;
    stop_roles(trigger, roles).await;
}
