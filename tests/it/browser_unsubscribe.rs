//! The unsubscribe page in a real headless Chromium, as a debtor on a phone meets it: every role
//! runs in-process on SQLite, the first reminder goes out by email, and its unsubscribe link is
//! opened, read, screenshotted and its button pressed; a tampered link is refused and changes
//! nothing. Screenshots land in `target/test-artefacts/screenshots/unsubscribe-*.png`.

use crate::support;
use crate::unsubscribe_api::{config, first_unsubscribe_link};

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::demo::world;
use mahnwerk::domain::ChannelKind;
use mahnwerk::runtime::ManualClock;
use std::sync::Arc;
use support::browser::Browser;
use support::scenario::stop_roles;
use support::servers::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_unsubscribes_from_email_on_the_page_behind_the_link() {
    let backend = Backend::embedded().await;
    let store = backend.store.clone();
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&backend.topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), backend.queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);
    // Chromium starts while the roles send the email.
    let (browser, (link, _)) =
        tokio::join!(Browser::start(), first_unsubscribe_link(&backend, clock.as_ref(), outbox.path(), addr));
    let Some(browser) = browser else { return stop_roles(trigger, roles).await };
    let reminder = store.reminders_of("unsub", "U-1").await.unwrap().remove(0).id;
    let consents =
        || async { serde_json::to_value(store.stats().await.unwrap()).unwrap()["consents"].clone() };
    let before = consents().await;

    // Opening the link shows what the button does, and does nothing yet (mail scanners open links).
    assert_eq!(browser.status(&link).await, 200);
    browser.desktop().await;
    browser.goto(&link).await;
    browser.screenshot("unsubscribe-desktop").await;
    browser.phone().await;
    browser.goto(&link).await;
    assert_eq!(browser.layout_width().await, 390, "laid out at the phone's width");
    let page = browser.text().await;
    assert!(page.contains("Abmelden / Unsubscribe"), "{page}");
    assert!(page.contains("Keine Zahlungserinnerungen mehr per E-Mail erhalten?"), "{page}");
    assert!(page.contains("Stop receiving payment reminders by email?"), "{page}");
    assert!(!page.to_lowercase().contains("mahnwerk"), "white label: {page}");
    browser.screenshot("unsubscribe-phone").await;
    assert_eq!(consents().await, before, "opening the page changed nothing");

    browser.click_button("Abmelden / Unsubscribe").await;
    let done = browser.wait_for_text("Abgemeldet / Unsubscribed").await;
    assert!(done.contains("Sie erhalten auf diesem Weg keine Zahlungserinnerungen mehr."), "{done}");
    assert!(done.contains("You will receive no more payment reminders this way."), "{done}");
    browser.screenshot("unsubscribe-confirmed-phone").await;
    assert_eq!(consents().await["email"]["opt_out"], 1, "{}", consents().await);
    let job = store.delivery_jobs(&[reminder]).await.unwrap().remove(0);
    assert!(!job.consents.permits(ChannelKind::Email), "the ledger holds the opt-out: {:?}", job.consents);

    // One character changed: refused, and the ledger stays as it was.
    let after = consents().await;
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(browser.status(&tampered).await, 401);
    browser.goto(&tampered).await;
    let refusal = browser.text().await;
    assert!(refusal.contains("the link is not valid"), "{refusal}");
    assert!(!refusal.contains("Abmelden"), "no button behind a tampered link: {refusal}");
    browser.screenshot("unsubscribe-tampered-phone").await;
    assert_eq!(consents().await, after, "a tampered link changed nothing");

    browser.close().await;
    stop_roles(trigger, roles).await;
}
