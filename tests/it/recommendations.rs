//! Product recommendations after payment, as a consumer of `mahnwerk.events` and a debtor on the
//! thank-you view meet them: purchase history from `invoice.overdue` and `invoice.issued`, a
//! catalogue imported from a file, the tenant's recommender fitted, then a payment through
//! `invoice.paid` (delivered twice) on every backend (SQLite with the in-process queue;
//! PostgreSQL with a real RabbitMQ). Also: the catalogue import's errors, the signed click link,
//! and a screenshot of the thank-you view in headless Chromium
//! (`target/test-artefacts/screenshots/recommendations-thanks-{phone,desktop}.png`) whose
//! rendered click links are checked and followed.

use crate::pay_page::{collect_events, config_with, BASE};
use crate::support;

use chrono::{DateTime, Duration as Days, Utc};
use mahnwerk::app::{Role, Service};
use mahnwerk::demo::world;
use mahnwerk::domain::TenantId;
use mahnwerk::hooks::refit::{refit_tenant, Refit};
use mahnwerk::pay::page::click::Click;
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::RejectionScope;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::browser::Browser;
use support::scenario::{eventually, json as message, stop_roles};
use support::servers::Backend;

const CATALOGUE: &str = "sku,name,url,price,category,active,repeatable\n\
    DRU-1,Laserdrucker LX,https://shop.stadtwerke.example/dru-1,249.00,office,true,false\n\
    TON-1,Toner schwarz,https://shop.stadtwerke.example/ton-1,39.90,office,true,false\n\
    PAP-5,Papier A4 (5 Pack),https://shop.stadtwerke.example/pap-5,19.90,office,true,false\n\
    KAB-2,USB-Kabel,https://shop.stadtwerke.example/kab-2,9.90,office,true,false\n\
    ALT-9,Drucker alt,https://shop.stadtwerke.example/alt-9,99.00,office,false,false\n";

fn tenant() -> TenantId {
    TenantId::parse("paytest").unwrap()
}

/// An invoice of `debtor` issued at `issued`, one line per SKU.
fn invoice(number: &str, debtor: &str, skus: &[&str], issued: DateTime<Utc>) -> Value {
    let lines: Vec<Value> = skus
        .iter()
        .map(|sku| json!({"sku": sku, "description": format!("Artikel {sku}"), "quantity": "1", "unit_price": "10.00"}))
        .collect();
    let day = issued.date_naive().to_string();
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": number,
        "issued_on": day, "due_on": day, "currency": "EUR", "amount_due": "249.00", "lines": lines,
        "debtor": {"id": debtor, "name": "Erika Mustermann", "language": "de",
                   "timezone": "Europe/Berlin", "email": format!("{debtor}@example.org")}
    })
}

/// What the other customers bought: the printer with toner (and the retired printer), paper
/// alone, cables alone.
fn history(now: DateTime<Utc>) -> Vec<Value> {
    let baskets: [&[&str]; 8] = [
        &["DRU-1", "TON-1"],
        &["DRU-1", "TON-1", "ALT-9"],
        &["DRU-1", "ALT-9"],
        &["DRU-1", "TON-1"],
        &["PAP-5"],
        &["PAP-5"],
        &["KAB-2"],
        &["TON-1", "ALT-9"],
    ];
    baskets
        .iter()
        .enumerate()
        .map(|(i, skus)| invoice(&format!("H-{i}"), &format!("K-{i}"), skus, now - Days::days(40)))
        .collect()
}

fn recommendation_events(events: &Mutex<Vec<Value>>) -> Vec<Value> {
    let events = events.lock().unwrap();
    events.iter().filter(|e| e["kind"] == "recommendation.created").cloned().collect()
}

fn seen(events: &Mutex<Vec<Value>>, kind: &str, number: &str) -> bool {
    events.lock().unwrap().iter().any(|e| e["kind"] == kind && e["invoice_number"] == number)
}

/// The whole path on one backend; returns nothing, asserts everything.
async fn scenario(backend: Backend) {
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let outbox = tempfile::tempdir().unwrap();
    let config = config_with(&topology.namespace, outbox.path(), "[recommend]\npoll_ms = 20\n");
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let events = collect_events(queue.clone(), &topology);
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);
    let now = clock.now();

    // History: other customers' invoices issued (never dunned), and the paying debtor's own
    // overdue invoice for the printer, bought ten days ago.
    let issued = history(now).iter().map(|i| message("invoice.issued", i)).collect();
    queue.publish(&topology.intake_exchange(), issued).await.unwrap();
    let own = invoice("R-1", "D-1", &["DRU-1"], now - Days::days(10));
    queue.publish(&topology.intake_exchange(), vec![message("invoice.overdue", &own)]).await.unwrap();
    let purchases = || async {
        let mut tx = store.begin().await.unwrap();
        let lines = tx.purchases(&tenant(), None).await.unwrap();
        tx.rollback().await.unwrap();
        lines
    };
    eventually("the history stored", || async { purchases().await.len() == 15 }).await;
    assert_eq!(store.stats().await.unwrap().cases.total, 1, "an issued invoice is never dunned");
    eventually("R-1's first reminder planned", || async {
        !store.reminders_of("paytest", "R-1").await.unwrap().is_empty()
    })
    .await;

    // The catalogue: three items from a file, two as `catalogue.item` messages on the intake
    // exchange, and one message with a price of three decimals that is refused naming it.
    let (file, messages) = CATALOGUE.split_at(CATALOGUE.find("KAB-2").unwrap());
    let imported = mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), file, now).await.unwrap();
    assert_eq!((imported.items, imported.active), (3, 3));
    let item = |line: &str| {
        let f: Vec<&str> = line.split(',').collect();
        json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "sku": f[0], "name": f[1], "url": f[2],
               "price": f[3], "category": f[4], "active": f[5] == "true", "repeatable": f[6] == "true"})
    };
    let mut items: Vec<_> = messages.lines().map(|line| message("catalogue.item", &item(line))).collect();
    let mut bad = item("NEU-1,Neu,https://shop.stadtwerke.example/neu,12.345,office,true,false");
    items.push(message("catalogue.item", &bad));
    bad["price"] = json!("12.34");
    bad["tenant"] = json!("");
    items.push(message("catalogue.item", &bad));
    queue.publish(&topology.intake_exchange(), items).await.unwrap();
    let catalogue = || async {
        let mut tx = store.begin().await.unwrap();
        let items = tx.catalogue(&tenant()).await.unwrap();
        tx.rollback().await.unwrap();
        items
    };
    eventually("the catalogue's messages applied", || async {
        catalogue().await.len() == 5 && store.stats().await.unwrap().intake_rejections == 2
    })
    .await;
    let skus: Vec<(String, bool)> = catalogue().await.into_iter().map(|i| (i.sku, i.active)).collect();
    assert_eq!(skus.iter().filter(|(_, active)| *active).count(), 4, "{skus:?}");
    let refused = store.rejections(&RejectionScope::All, 10).await.unwrap();
    assert_eq!(
        (refused[1].field.as_str(), refused[1].tenant.as_deref()),
        ("price", Some("paytest")),
        "{refused:?}"
    );
    assert_eq!((refused[0].field.as_str(), refused[0].routing_key.as_str()), ("tenant", "catalogue.item"));
    let params = config.recommend.params().unwrap();
    let fitted = refit_tenant(store.as_ref(), &tenant(), &params, now).await.unwrap();
    assert!(matches!(fitted, Refit::Fitted { lines: 15, .. }), "{fitted:?}");
    assert_eq!(refit_tenant(store.as_ref(), &tenant(), &params, now).await.unwrap(), Refit::Unchanged);

    // The payment, delivered twice; then a marker invoice after both.
    let paid = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "R-1",
                      "paid_at": now.to_rfc3339(), "payment_reference": "TX-1"});
    for _ in 0..2 {
        queue.publish(&topology.intake_exchange(), vec![message("invoice.paid", &paid)]).await.unwrap();
    }
    let marker = invoice("M-1", "D-9", &["KAB-2"], now);
    queue.publish(&topology.intake_exchange(), vec![message("invoice.overdue", &marker)]).await.unwrap();
    eventually("both payments and the marker applied", || async {
        store.case_by_invoice("paytest", "M-1").await.unwrap().is_some()
    })
    .await;
    assert_eq!(store.stats().await.unwrap().payments, 1, "the replay recorded nothing");
    eventually("recommendation.created published", || async { !recommendation_events(&events).is_empty() })
        .await;
    // Every hook has run once the runner finds nothing queued; a cancellation committed after
    // that is published after everything before it, so once it is seen nothing is in flight.
    eventually("the hooks idle", || async {
        service.hook_runner().try_execute_task().await.unwrap() == mahnwerk::hooks::Outcome::Idle
    })
    .await;
    let cancel = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "M-1"});
    queue.publish(&topology.intake_exchange(), vec![message("invoice.cancelled", &cancel)]).await.unwrap();
    eventually("the later event published", || async { seen(&events, "case.cancelled", "M-1") }).await;

    let created = recommendation_events(&events);
    assert_eq!(created.len(), 1, "one recommendation for one payment delivered twice: {created:?}");
    let event = &created[0];
    assert_eq!((event["tenant"].as_str(), event["debtor_id"].as_str()), (Some("paytest"), Some("D-1")));
    assert_eq!(event["invoice_number"], "R-1");
    assert_eq!(event["schema"], "mahnwerk.event.v1");
    assert!(event["model_version"].as_i64().unwrap() > 0);
    let items = event["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "top 3: {event}");
    let skus: Vec<&str> = items.iter().map(|i| i["sku"].as_str().unwrap()).collect();
    for sku in &skus {
        assert!(CATALOGUE.contains(&format!("\n{sku},")), "{sku} is in the catalogue");
    }
    assert!(!skus.contains(&"ALT-9"), "never an inactive item: {skus:?}");
    assert!(!skus.contains(&"DRU-1"), "never what the debtor just bought: {skus:?}");
    assert_eq!(skus[0], "TON-1", "toner goes with the printer: {event}");
    assert_eq!(items[0]["reason"], json!({"kind": "often_bought_with", "sku": "DRU-1"}));
    assert_eq!(items[0]["reason_text"], "often bought with Laserdrucker LX");
    assert_eq!(items[0]["price"], "39.90");
    assert_eq!(items[0]["rank"], 1);
    eprintln!("recommendation.created: {event}");

    // The thank-you view lists them, each behind a signed link that redirects once verified.
    let reminder = store.reminders_of("paytest", "R-1").await.unwrap()[0].id;
    let link = service.links.pay_url(&tenant(), reminder, now).replace(BASE, &format!("http://{addr}"));
    // minijinja escapes `/` in attributes as `&#x2f;`, which browsers read back as `/`.
    let page = reqwest::get(&link).await.unwrap().text().await.unwrap().replace("&#x2f;", "/");
    assert!(page.contains("Vielen Dank!") && page.contains("Das könnte Sie auch interessieren"), "{page}");
    assert!(page.contains("Toner schwarz") && page.contains("39,90 €"), "{page}");
    assert!(page.contains("Oft zusammen gekauft mit Laserdrucker LX"), "{page}");
    assert!(!page.contains("Drucker alt"), "{page}");
    let href = page.split("href=\"/r/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let clicked = client.get(format!("http://{addr}/r/{href}")).send().await.unwrap();
    assert_eq!(clicked.status().as_u16(), 303);
    assert_eq!(clicked.headers()["location"], "https://shop.stadtwerke.example/ton-1");
    let mut forged = href.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let refused = client.get(format!("http://{addr}/r/{forged}")).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 404, "a tampered link is refused");
    let other_case = mahnwerk::pay::page::click::Click::new(tenant(), 999_999, 1, now).path(&service.links);
    assert_eq!(client.get(format!("http://{addr}{other_case}")).send().await.unwrap().status().as_u16(), 404);
    // Only the one verified click is recorded: seen once a later event is.
    let again = invoice("M-2", "D-9", &["KAB-2"], now);
    queue.publish(&topology.intake_exchange(), vec![message("invoice.overdue", &again)]).await.unwrap();
    let cancel_m2 = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "M-2"});
    queue.publish(&topology.intake_exchange(), vec![message("invoice.cancelled", &cancel_m2)]).await.unwrap();
    eventually("the click published", || async { seen(&events, "case.cancelled", "M-2") }).await;
    let clicks: Vec<Value> = {
        let events = events.lock().unwrap();
        events.iter().filter(|e| e["kind"] == "recommendation.clicked").cloned().collect()
    };
    assert_eq!(clicks.len(), 1, "{clicks:?}");
    assert_eq!((clicks[0]["sku"].as_str(), clicks[0]["rank"].as_u64()), (Some("TON-1"), Some(1)));
    assert_eq!(clicks[0]["model_version"], event["model_version"]);
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_on_the_embedded_backend_recommends_once() {
    scenario(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_on_postgres_and_rabbitmq_recommends_once() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    scenario(backend).await;
}

#[tokio::test]
async fn catalogue_import_errors_name_line_and_field_and_store_nothing() {
    let stores = support::db::stores().await;
    support::db::run_suite(&stores, "catalogue import", |store, _raw| async move {
        let now = world::epoch();
        let bad = format!("{CATALOGUE}NEU-1,Neu,https://shop.stadtwerke.example/neu,12.345,office,true,false\n");
        let error = mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), &bad, now).await.unwrap_err();
        assert_eq!(format!("{error:#}").split(':').next(), Some("line 7, field price"), "{error:#}");
        let catalogue = |store: Arc<dyn mahnwerk::store::Store>| async move {
            let mut tx = store.begin().await.unwrap();
            let items = tx.catalogue(&tenant()).await.unwrap();
            tx.rollback().await.unwrap();
            items
        };
        assert!(catalogue(store.clone()).await.is_empty(), "a file with an error stores nothing");
        let json = "{\"sku\":\"TON-1\",\"name\":\"Toner\",\"url\":\"https://shop.example/t\",\"price\":\"39.90\"}\n\
                    {\"sku\":\"PAP-5\",\"name\":\"Papier\",\"url\":\"mailto:x@example.org\",\"price\":\"1\"}\n";
        let error = mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), json, now).await.unwrap_err();
        assert!(format!("{error:#}").starts_with("line 2, field url: "), "{error:#}");
        mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), CATALOGUE, now).await.unwrap();
        let retired = "sku,name,url,price,active\nTON-1,Toner neu,https://shop.example/t2,41.00,false\n";
        mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), retired, now).await.unwrap();
        let items = catalogue(store.clone()).await;
        assert_eq!(items.len(), 5, "a SKU imported again is replaced, not added");
        let toner = items.iter().find(|i| i.sku == "TON-1").unwrap();
        assert_eq!((toner.name.as_str(), toner.price_cents, toner.active), ("Toner neu", 4100, false));
    })
    .await;
}

/// The thank-you view in headless Chromium, on a phone and on a desktop: the recommended items
/// as stored, in order, each behind a link signed for its case and rank; following one in the
/// browser lands on the item's page in the shop (a stand-in) and records one click.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thank_you_view_shows_recommendations_in_a_browser() {
    let backend = Backend::embedded().await;
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let outbox = tempfile::tempdir().unwrap();
    let config = config_with(&topology.namespace, outbox.path(), "[recommend]\npoll_ms = 20\n");
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);
    let now = clock.now();
    // The creditor's shop, stood in by wiremock: one page per item.
    let shop = wiremock::MockServer::start().await;
    let catalogue = CATALOGUE.replace("https://shop.stadtwerke.example", &shop.uri());
    for line in catalogue.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let page = format!("<!doctype html><title>Shop</title><h1>Stand-in shop: {}</h1>", fields[1]);
        let path = fields[2].trim_start_matches(&shop.uri()).to_owned();
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .and(wiremock::matchers::path(path))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .insert_header("content-type", "text/html")
                    .set_body_string(page),
            )
            .mount(&shop)
            .await;
    }
    let mut messages: Vec<_> = history(now).iter().map(|i| message("invoice.issued", i)).collect();
    messages.push(message("invoice.overdue", &invoice("R-1", "D-1", &["DRU-1"], now - Days::days(10))));
    queue.publish(&topology.intake_exchange(), messages).await.unwrap();
    eventually("R-1's first reminder planned", || async {
        !store.reminders_of("paytest", "R-1").await.unwrap().is_empty()
    })
    .await;
    mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), &catalogue, now).await.unwrap();
    refit_tenant(store.as_ref(), &tenant(), &config.recommend.params().unwrap(), now).await.unwrap();
    let paid = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "R-1",
                      "paid_at": now.to_rfc3339()});
    queue.publish(&topology.intake_exchange(), vec![message("invoice.paid", &paid)]).await.unwrap();
    let reminder = store.reminders_of("paytest", "R-1").await.unwrap()[0].id;
    let link = service.links.pay_url(&tenant(), reminder, now).replace(BASE, &format!("http://{addr}"));
    let case_id = store.case_by_invoice("paytest", "R-1").await.unwrap().unwrap().case_id;
    let stored = || async {
        let mut tx = store.begin().await.unwrap();
        let found = tx.recommendation(&tenant(), case_id).await.unwrap();
        tx.rollback().await.unwrap();
        found
    };
    eventually("the recommendations stored", || async { stored().await.is_some() }).await;
    let recommended = stored().await.unwrap().items;
    let Some(browser) = Browser::in_language("de-DE").await else { return stop_roles(trigger, roles).await };
    browser.phone().await;
    browser.goto(&link).await;
    let page = browser.text().await;
    for expected in ["Vielen Dank!", "Das könnte Sie auch interessieren", "Toner schwarz", "39,90 €"] {
        assert!(page.contains(expected), "{expected:?} missing: {page}");
    }
    assert!(!page.contains("Drucker alt"), "never an inactive item: {page}");
    let shot = browser.screenshot("recommendations-thanks-phone").await;
    eprintln!("screenshot: {}", shot.display());

    // The links as the browser rendered them: in the stored order, each signed for this case
    // and its rank; a token with one character changed is not.
    let rendered = browser
        .client()
        .execute(
            "return Array.from(document.querySelectorAll('.recommended a')).map(a => \
               [a.querySelector('.item-name').innerText, a.getAttribute('href')])",
            vec![],
        )
        .await
        .unwrap();
    let rendered: Vec<(String, String)> = serde_json::from_value(rendered).unwrap();
    let names: Vec<&str> = rendered.iter().map(|(name, _)| name.as_str()).collect();
    let expected: Vec<&str> = recommended.iter().map(|item| item.name.as_str()).collect();
    assert_eq!(names, expected, "the stored items, in order");
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "Toner schwarz");
    assert!(!names.contains(&"Laserdrucker LX"), "never what the debtor just bought: {names:?}");
    for (rank, (name, href)) in rendered.iter().enumerate() {
        let token = href.strip_prefix("/r/").unwrap_or_else(|| panic!("{name}: {href} is no click link"));
        let click = Click::verify(&service.links, token, now).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!((click.tenant.as_str(), click.case_id, click.rank), ("paytest", case_id, rank as u32 + 1));
        let mut forged = token.to_owned();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(Click::verify(&service.links, &forged, now).is_err(), "{name}: a changed token is refused");
    }

    // The first item followed in the browser: the shop's page for it, and the click recorded.
    browser.click(".recommended li:first-child a").await;
    let landed = browser.wait_for_text("Stand-in shop:").await;
    assert!(landed.contains("Stand-in shop: Toner schwarz"), "{landed}");
    let at = browser.client().current_url().await.unwrap();
    assert_eq!(at.as_str(), format!("{}/ton-1", shop.uri()));
    eventually("the click recorded", || async {
        let mut tx = store.begin().await.unwrap();
        let clicks = tx.recorded_clicks().await.unwrap();
        tx.rollback().await.unwrap();
        let body =
            |c: &mahnwerk::store::conversions::RecordedClick| serde_json::from_str::<Value>(&c.body).ok();
        clicks.iter().any(|c| c.case_id == case_id && body(c).is_some_and(|b| b["sku"] == "TON-1"))
    })
    .await;

    browser.desktop().await;
    browser.goto(&link).await;
    browser.screenshot("recommendations-thanks-desktop").await;
    browser.close().await;
    stop_roles(trigger, roles).await;
}
