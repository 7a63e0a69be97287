//! The super-admin in a real headless Chromium that prefers German: it logs in with the tenant
//! left empty, lands on the tenant chooser, acts for one tenant, sees that tenant's cases (and
//! not another's) with "Switch tenant" in the header, and its intervention is in the tenant's
//! audit log under its email, marked. Screenshots: `console-tenant-chooser-de.png`,
//! `console-super-admin-cases-en.png`.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole};
use mahnwerk::runtime::Clock;
use reqwest::Method;
use support::browser::Browser;
use support::scenario::stop_roles;
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_super_admin_chooses_a_tenant_and_works_as_its_admin() {
    let backend = Backend::embedded().await;
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    for (tenant, number) in [(A, "SB-A"), (B, "SB-B")] {
        let key = Auth::Key(console.key(tenant, KeyScope::Write).await);
        let mut body = invoice(number, "de");
        body["tenant"] = tenant.into();
        console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
    }
    console.operator(B, "admin@other.example", OperatorRole::Admin, PASSWORD).await;
    let now = console.clock.now();
    mahnwerk::api::console::accounts::add_super_admin(
        console.store.as_ref(),
        "root@example.org",
        PASSWORD,
        now,
    )
    .await
    .unwrap();
    let Some(browser) = Browser::in_language("de").await else { return stop_roles(trigger, roles).await };

    browser.goto(&console.url("/console")).await;
    browser.wait_for_text("Als Super-Admin der Installation den Mandanten leer lassen.").await;
    browser.fill("E-Mail", "root@example.org").await;
    browser.fill("Passwort", PASSWORD).await;
    browser.click_button("Anmelden").await;
    let page = browser.wait_for_text("Mandant wählen").await;
    assert!(page.contains("Angemeldet als Super-Admin der Installation root@example.org"), "{page}");
    assert!(page.contains("Handeln für other") && page.contains("Handeln für paytest"), "{page}");
    browser.screenshot("console-tenant-chooser-de").await;

    browser.click_button("Handeln für paytest").await;
    browser.goto(&console.url("/console/cases?lang=en")).await;
    let page = browser.wait_for_text("SB-A").await;
    assert!(!page.contains("SB-B"), "another tenant's case: {page}");
    assert!(
        page.contains("root@example.org (super-admin) · paytest") && page.contains("Switch tenant"),
        "{page}"
    );
    browser.screenshot("console-super-admin-cases-en").await;
    browser.goto(&console.url("/console/audit?lang=en")).await;
    let page = browser.wait_for_text("super-admin began acting for the tenant").await;
    assert!(page.contains("root@example.org (super-admin)"), "{page}");
    browser.close().await;
    stop_roles(trigger, roles).await;
}
