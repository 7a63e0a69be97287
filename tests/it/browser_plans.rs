//! The plans page in a real headless Chromium: a German viewer reads the tenant's plans as
//! tables in words and previews a stage in German; in English, a letter preview links its PDF
//! and an email preview shows the email's HTML in its sandboxed frame. Screenshots:
//! `console-plans-de.png`, `console-preview-en.png` (`target/test-artefacts/screenshots/`).

use crate::console_api::{Console, A, A_PLAN};
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::OperatorRole;
use support::browser::Browser;
use support::scenario::stop_roles;
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";

/// Chooses `channel` and the debtor's `language` in the preview form of a stage and sends it.
async fn preview(browser: &Browser, form: &str, channel: &str, language: &str) {
    browser.click(&format!("#{form} select[name=channel] option[value={channel}]")).await;
    browser.click(&format!("#{form} select[name=language] option[value={language}]")).await;
    browser.click(&format!("#{form} button")).await;
}

async fn scroll_to(browser: &Browser, selector: &str) {
    let script = format!("document.querySelector('{selector}').scrollIntoView()");
    browser.client().execute(&script, vec![]).await.expect("scrolling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_the_plans_and_previews_stages_in_the_browser() {
    let backend = Backend::embedded().await;
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, PASSWORD).await;
    let Some(browser) = Browser::in_language("de").await else { return stop_roles(trigger, roles).await };
    browser.desktop().await;

    browser.goto(&console.url("/console")).await;
    browser.fill("Mandant", A).await;
    browser.fill("E-Mail", "viewer@paytest.example").await;
    browser.fill("Passwort", PASSWORD).await;
    browser.click_button("Anmelden").await;
    browser.wait_for_text("Abmelden").await;
    browser.click("header nav a[href='/console/plans']").await;
    let page = browser.wait_for_text("Mahnpläne").await;
    for words in [
        A_PLAN,
        "Standard für Verbraucher",
        "7 Tage nach der vorigen Mahnung",
        "5,00 je Mahnung",
        "sachlich",
        "bestimmt",
        "14 Tage nach der letzten Mahnung unbezahlt: Eskalation.",
    ] {
        assert!(page.contains(words), "{words:?} on the page: {page}");
    }
    assert!(!page.contains("neutral") && !page.contains("friendly"), "words, not identifiers: {page}");

    // The second stage of the tenant's own plan, by email, in German.
    preview(&browser, "preview-plan-2-2", "email", "de").await;
    let page = browser.wait_for_text("Betreff:").await;
    assert!(page.contains("Vorschau: E-Mail · de") && page.contains("Rechnung RE-2026-0042"), "{page}");
    scroll_to(&browser, "#plan-2").await;
    browser.screenshot("console-plans-de").await;

    // In English: the last stage of standard-b2c as a letter, then as an email in English.
    browser.goto(&console.url("/console/plans?lang=en")).await;
    browser.wait_for_text("If none reaches the debtor").await;
    preview(&browser, "preview-plan-1-4", "letter", "en").await;
    let page = browser.wait_for_text("The letter as PDF").await;
    assert!(page.contains("Preview: letter · en"), "{page}");
    preview(&browser, "preview-plan-1-4", "email", "en").await;
    let page = browser.wait_for_text("Preview: email · en").await;
    assert!(page.contains("Subject:") && page.contains("Plain-text part"), "{page}");
    let frame = browser.css(".preview iframe").await;
    assert!(frame.attr("sandbox").await.unwrap().is_some(), "a sandboxed frame");
    scroll_to(&browser, ".preview").await;
    browser.screenshot("console-preview-en").await;
    browser.close().await;
    stop_roles(trigger, roles).await;
}
