//! The pay-page in a real headless Chromium, as debtors on phones meet it: every role runs
//! in-process on SQLite, the first reminders go out by email, and their pay-links are opened in
//! German and English, a promise and a dispute are made through the page's forms, a paid case
//! shows the thank-you page and an expired link the refusal. Screenshots land in
//! `target/test-artefacts/screenshots/pay-*.png`.

use crate::pay_page::{case_state, config_with, invoice, pay_link, BASE};
use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::demo::world;
use mahnwerk::domain::{CaseState, TenantId};
use mahnwerk::runtime::{Clock, ManualClock};
use serde_json::json;
use std::sync::Arc;
use support::browser::Browser;
use support::scenario::{eventually, json as message, quiet, stop_roles};
use support::servers::Backend;

const WEBHOOK_SECRET: &str = "whsec_browser_test";

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap().trim_start_matches("x=").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debtors_use_the_pay_page_in_a_browser() {
    let backend = Backend::embedded().await;
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let outbox = tempfile::tempdir().unwrap();
    // Stripe stood in by wiremock: it creates the checkout session and serves its page.
    let stripe = wiremock::MockServer::start().await;
    let checkout_page = format!("{}/checkout/cs_test_B2", stripe.uri());
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/checkout/sessions"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(json!({"id": "cs_test_B2", "url": checkout_page})),
        )
        .expect(1)
        .mount(&stripe)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/checkout/cs_test_B2"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string("<!doctype html><title>Checkout</title><h1>Stand-in checkout</h1>"),
        )
        .mount(&stripe)
        .await;
    let stripe_section = format!(
        "[stripe]\nsecret_key = \"sk_test_pay\"\nwebhook_secret = \"{WEBHOOK_SECRET}\"\napi_base = \"{}\"\n",
        stripe.uri()
    );
    let config = config_with(&topology.namespace, outbox.path(), &stripe_section);
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);
    let invoices = [invoice("B-1", "de"), invoice("B-2", "en"), invoice("B-3", "de")];
    queue
        .publish(
            &topology.intake_exchange(),
            invoices.iter().map(|i| message("invoice.overdue", i)).collect(),
        )
        .await
        .unwrap();
    let sent = async {
        eventually("the cases opened", || async { store.stats().await.unwrap().cases.total == 3 }).await;
        eventually("the first stage planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
        // Monday 12:00 UTC: the 10:00 local send time has come, its day's window still open.
        clock.advance(Days::hours(6));
        eventually("the first emails sent", || async {
            store.stats().await.unwrap().reminders.by_status.get("sent").copied() == Some(3)
        })
        .await;
    };
    // Chromium starts while the roles send the emails.
    let (browser, ()) = tokio::join!(Browser::in_language("de-DE"), sent);
    let Some(browser) = browser else { return stop_roles(trigger, roles).await };

    // The page as a German debtor sees it on a phone, and on a desktop.
    let link = pay_link(outbox.path(), "B-1", addr);
    browser.phone().await;
    browser.goto(&link).await;
    assert_eq!(browser.layout_width().await, 390, "laid out at the phone's width");
    let page = browser.text().await;
    for expected in
        ["Rechnung B-1", "Offener Gesamtbetrag", "129,90 €", "DE89 3704 0044 0532 0130 00", "Zahlung zusagen"]
    {
        assert!(page.contains(expected), "{expected:?} missing: {page}");
    }
    browser.screenshot("pay-de-phone").await;
    browser.desktop().await;
    browser.goto(&link).await;
    browser.screenshot("pay-de-desktop").await;
    browser.phone().await;

    // A promise through the form: the date set as a date picker would, the button pressed.
    let promised = clock.now().date_naive() + Days::days(6);
    browser
        .client()
        .execute(
            "document.getElementById('promised_on').value = arguments[0]",
            vec![json!(promised.to_string())],
        )
        .await
        .unwrap();
    browser.click_button("Zahlung zusagen").await;
    let confirmed = browser.wait_for_text("Vielen Dank. Bis zum").await;
    assert!(confirmed.contains("Sie haben die Zahlung bis zum"), "{confirmed}");
    browser.screenshot("pay-promised-phone").await;
    assert_eq!(case_state(store.as_ref(), "B-1").await, CaseState::Paused, "dunning paused");

    // A dispute through the form: the case is held.
    let link3 = pay_link(outbox.path(), "B-3", addr);
    browser.goto(&link3).await;
    browser.click_button("Einwand senden").await;
    let refused = browser.wait_for_text("Bitte prüfen Sie Ihre Eingabe").await;
    assert!(refused.contains("Bitte füllen Sie dieses Feld aus."), "the reason is named: {refused}");
    browser.screenshot("pay-dispute-error-phone").await;
    browser
        .client()
        .execute("document.getElementById('reason').value = 'wrong_amount'", vec![])
        .await
        .unwrap();
    browser.fill("Einzelheiten (freiwillig)", "Der Betrag ist zu hoch.").await;
    browser.click_button("Einwand senden").await;
    browser.wait_for_text("Wir haben Ihren Einwand erhalten").await;
    assert_eq!(case_state(store.as_ref(), "B-3").await, CaseState::Disputed, "the case is held");

    // Paid: the same link thanks the debtor and asks for nothing.
    let paid = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "B-1",
                      "paid_at": clock.now().to_rfc3339()});
    queue.publish(&topology.intake_exchange(), vec![message("invoice.paid", &paid)]).await.unwrap();
    eventually("B-1 paid", || async { case_state(store.as_ref(), "B-1").await == CaseState::Paid }).await;
    browser.goto(&link).await;
    let thanks = browser.text().await;
    assert!(thanks.contains("Vielen Dank!") && !thanks.contains("IBAN"), "{thanks}");
    browser.screenshot("pay-thanks-phone").await;

    // An expired link: the friendly refusal, naming the creditor, with status 404.
    let tenant = TenantId::parse("paytest").unwrap();
    let expired = service
        .links
        .pay_url(&tenant, 1, clock.now() - Days::days(400))
        .replace(BASE, &format!("http://{addr}"));
    assert_eq!(browser.status(&expired).await, 404);
    browser.goto(&expired).await;
    let refusal = browser.text().await;
    assert!(
        refusal.contains("Dieser Link ist nicht gültig")
            && refusal.contains("forderungen@stadtwerke.example"),
        "{refusal}"
    );
    browser.screenshot("pay-expired-phone").await;
    browser.close().await;

    // An English debtor, whatever the browser asks for, pays by card: the button leads to the
    // (stand-in) checkout, Stripe's signed webhook records the payment, and the page Stripe
    // sends the debtor back to thanks them.
    let english = Browser::in_language("de-DE").await.expect("started before");
    english.phone().await;
    let link2 = pay_link(outbox.path(), "B-2", addr);
    english.goto(&link2).await;
    let page = english.text().await;
    assert!(page.contains("Invoice B-2") && page.contains("Total due") && page.contains("€129.90"), "{page}");
    english.screenshot("pay-en-phone").await;
    english.click_button("Pay €129.90 now").await;
    english.wait_for_text("Stand-in checkout").await;
    let requests = stripe.received_requests().await.unwrap();
    let form = String::from_utf8_lossy(&requests[0].body).to_string();
    assert!(form.contains("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=12990"), "{form}");
    assert!(form.contains(&format!("success_url={}", urlencode(&format!("{BASE}/pay/")))), "{form}");
    let body = json!({
        "id": "evt_browser_1", "object": "event", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_test_B2", "object": "checkout.session", "amount_total": 12990,
            "currency": "eur", "payment_status": "paid", "payment_intent": "pi_browser_1",
            "metadata": {"tenant": "paytest", "invoice_number": "B-2"}}}
    })
    .to_string();
    let signature = mahnwerk::pay::psp::stripe_signature::sign(
        WEBHOOK_SECRET.as_bytes(),
        clock.now().timestamp(),
        body.as_bytes(),
    );
    let delivered = reqwest::Client::new()
        .post(format!("http://{addr}/webhooks/stripe"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(delivered.status().as_u16(), 200);
    assert_eq!(case_state(store.as_ref(), "B-2").await, CaseState::Paid);
    english.goto(&format!("{link2}/thanks")).await;
    let thanks = english.text().await;
    assert!(thanks.contains("Thank you!") && thanks.contains("Invoice B-2 is paid"), "{thanks}");
    english.screenshot("pay-card-thanks-en-phone").await;
    english.close().await;
    stop_roles(trigger, roles).await;
}
