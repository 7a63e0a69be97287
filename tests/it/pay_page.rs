//! The pay-page over real HTTP, on both backends: every role runs in-process (the API on a free
//! port), the first reminder goes out by email into the sandbox, and the pay-link in it is
//! followed as a debtor would. The page shows what is owed and the GiroCode (decoded back into
//! the transfer it pre-fills); a tampered, an expired and an unknown link get the same refusal and
//! change nothing; a promise pauses dunning and, broken, resumes it with `promise.broken`; a
//! dispute holds the case until `case.dispute_resolved`; a payment on a promise keeps it; each
//! instalment of a plan is reminded of by email, unless paid in time, and a missed one ends them.

use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::config::Config;
use mahnwerk::demo::world;
use mahnwerk::domain::{CaseState, TenantId};
use mahnwerk::queue::{Queue, Topology};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::{ReminderStatus, Store};
use mahnwerk_channels::epc_qr::EpcPayment;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::scenario::{eventually, json as message, quiet, service_config, stop_roles};
use support::servers::Backend;

pub(crate) const BASE: &str = "https://pay.stadtwerke.example";

pub(crate) fn config(namespace: &str, outbox: &std::path::Path) -> Config {
    config_with(namespace, outbox, "")
}

/// [`config`] with `extra` TOML appended (a `[stripe]` section).
pub(crate) fn config_with(namespace: &str, outbox: &std::path::Path, extra: &str) -> Config {
    const REST: &str = r##"
[links]
base_url = "https://pay.stadtwerke.example"
secret = "a secret of more than sixteen characters"

[creditors.paytest]
name = "Stadtwerke Musterstadt GmbH"
email = "forderungen@stadtwerke.example"
phone = "+49 30 1234567"
address_lines = ["Am Markt 1", "10115 Berlin"]
accent_colour = "#0b5c8a"
legal_footer = "Amtsgericht Berlin HRB 12345"

[creditors.paytest.bank]
iban = "DE89370400440532013000"
bic = "COBADEFFXXX"

[tenant_plans.paytest]
consumer = "three-emails"

[[plans]]
name = "three-emails"
tenants = ["paytest"]
[[plans.stages]]
name = "Zahlungserinnerung"
wait_days = 0
tone = "friendly"
channels = ["email"]
[[plans.stages]]
name = "1. Mahnung"
wait_days = 7
tone = "neutral"
channels = ["email"]
fee = "5.00"
[[plans.stages]]
name = "2. Mahnung"
wait_days = 7
tone = "firm"
channels = ["email"]
fee = "5.00"
"##;
    service_config(namespace, outbox, &format!("{REST}\n{extra}"))
}

pub(crate) fn invoice(number: &str, language: &str) -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": number,
        "issued_on": "2025-12-01", "due_on": "2026-01-02", "currency": "EUR", "amount_due": "129.90",
        "debtor": {"id": format!("D-{number}"), "name": "Erika Mustermann", "language": language,
                   "timezone": "Europe/Berlin", "email": format!("{number}@example.org")}
    })
}

/// Every event the service publishes, as a consumer of the events queue sees them.
pub(crate) fn collect_events(queue: Arc<dyn Queue>, topology: &Topology) -> Arc<Mutex<Vec<Value>>> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let (sink, name) = (events.clone(), topology.events_queue());
    tokio::spawn(async move {
        let mut consumer = queue.consume(&name, 50).await.expect("consuming events");
        while let Some(delivery) = consumer.next().await {
            if let Ok(body) = serde_json::from_slice::<Value>(&delivery.message.body) {
                sink.lock().unwrap().push(body);
            }
            let _ = delivery.ack(false).await;
        }
    });
    events
}

fn kinds_of(events: &Mutex<Vec<Value>>, number: &str) -> Vec<String> {
    let events = events.lock().unwrap();
    events
        .iter()
        .filter(|e| e["invoice_number"] == number)
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The pay-link of the first email sent for `number`, pointed at the local API.
pub(crate) fn pay_link(outbox: &std::path::Path, number: &str, addr: std::net::SocketAddr) -> String {
    let mails: Vec<String> = std::fs::read_dir(outbox.join("email"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap().replace("=\r\n", ""))
        .collect();
    let mail = mails
        .iter()
        .find(|mail| mail.contains(&format!("{number}@example.org")))
        .unwrap_or_else(|| panic!("no email to {number} in {mails:?}"));
    let start = mail.find(&format!("{BASE}/pay/")).expect("a pay link in the email");
    let link: String =
        mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(*c)).collect();
    link.replace(BASE, &format!("http://{addr}"))
}

/// The email to `number` that contains `text` (soft line breaks of quoted-printable undone).
fn instalment_mail(outbox: &std::path::Path, number: &str, text: &str) -> String {
    let mails: Vec<String> = std::fs::read_dir(outbox.join("email"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap().replace("=\r\n", ""))
        .collect();
    let to = format!("{number}@example.org");
    mails
        .into_iter()
        .find(|mail| mail.contains(&to) && mail.contains(text))
        .unwrap_or_else(|| panic!("no email to {number} saying {text:?}"))
}

/// Decodes the GiroCode's SVG (one path of `M{column} {row}h{length}v1h-{length}z` runs) by
/// drawing it into a bitmap and reading it with a QR decoder.
fn decode_girocode(html: &str) -> EpcPayment {
    let svg_start = html.find("<svg").expect("an inline SVG");
    let svg = &html[svg_start..svg_start + html[svg_start..].find("</svg>").unwrap()];
    let size: u32 = svg.split("viewBox=\"0 0 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let path = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
    const SCALE: u32 = 6;
    let side = (size * SCALE) as usize;
    let mut pixels = vec![255u8; side * side];
    for run in path.split('M').filter(|r| !r.is_empty()) {
        let (xy, rest) = run.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let (x, y): (u32, u32) = (x.parse().unwrap(), y.parse().unwrap());
        let length: u32 = rest.split('v').next().unwrap().parse().unwrap();
        for px in x * SCALE..(x + length) * SCALE {
            for py in y * SCALE..(y + 1) * SCALE {
                pixels[py as usize * side + px as usize] = 0;
            }
        }
    }
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the SVG");
    let (_, payload) = grids[0].decode().expect("the GiroCode decodes");
    EpcPayment::parse(&payload).expect("an EPC payload")
}

pub(crate) async fn case_state(store: &dyn Store, number: &str) -> CaseState {
    store.case_by_invoice("paytest", number).await.unwrap().expect("the case").state
}

async fn scenario(backend: Backend) {
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let outbox = tempfile::tempdir().unwrap();
    let config = config(&topology.namespace, outbox.path());
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let events = collect_events(queue.clone(), &topology);
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::All, &shutdown);

    let invoices =
        ["P-1", "P-2", "P-3", "P-4", "P-5"].map(|n| invoice(n, if n == "P-2" { "sv" } else { "de" }));
    let messages = invoices.iter().map(|i| message("invoice.overdue", i)).collect();
    queue.publish(&topology.intake_exchange(), messages).await.unwrap();
    eventually("the cases opened", || async { store.stats().await.unwrap().cases.total == 5 }).await;
    eventually("the first stage planned", || async { quiet(store.as_ref(), clock.now()).await }).await;
    // Monday 12:00 UTC: the first reminders' 10:00 local send time has come in every simulated
    // timezone, and their day's window is still open.
    clock.advance(Days::hours(6));
    eventually("the first emails sent", || async {
        store.stats().await.unwrap().reminders.by_status.get("sent").copied() == Some(5)
    })
    .await;
    eventually("the second stage planned", || async { quiet(store.as_ref(), clock.now()).await }).await;

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let get = |url: String, language: &'static str| http.get(url).header("accept-language", language).send();

    // The page, in the debtor's language, with the security headers.
    let link = pay_link(outbox.path(), "P-1", addr);
    let response = get(link.clone(), "en").await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && csp.contains("style-src 'sha256-"),
        "{csp}"
    );
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("<html lang=\"de\">"), "the debtor's language wins over the browser's");
    for expected in [
        "Rechnung P-1",
        "Guten Tag Erika Mustermann",
        "129,90 €",
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
        "Stadtwerke Musterstadt GmbH",
        "Amtsgericht Berlin HRB 12345",
    ] {
        assert!(page.contains(expected), "{expected:?} missing from the page");
    }
    assert!(!page.to_lowercase().contains("mahnwerk"), "white label");
    assert!(!page.contains("<script"), "the page works without JavaScript");
    let giro = decode_girocode(&page);
    assert_eq!(giro.iban().as_str(), "DE89370400440532013000");
    assert_eq!(giro.amount(), Some("129.90".parse().unwrap()));
    let reference = giro.reference().expect("an RF creditor reference").clone();
    assert!(page.contains(&reference.printed()), "the page shows the reference the code carries");

    // A debtor language we do not have: the browser's, else English.
    let other = pay_link(outbox.path(), "P-2", addr);
    let page = get(other.clone(), "fr-CH, fr;q=0.9, en;q=0.8").await.unwrap().text().await.unwrap();
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    let page = get(other, "sv").await.unwrap().text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">") && page.contains("Invoice P-2"), "{page}");

    // Tampered, expired and unknown links: one answer, nothing changed.
    let stats_before = serde_json::to_value(store.stats().await.unwrap()).unwrap();
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let tenant = TenantId::parse("paytest").unwrap();
    let expired_token = service.links.pay_url(&tenant, 1, clock.now() - Days::days(400));
    let unknown_token = service.links.pay_url(&tenant, 999_999, clock.now());
    let local = |url: String| url.replace(BASE, &format!("http://{addr}"));
    let mut refusals = Vec::new();
    for url in [tampered, local(expired_token), local(unknown_token)] {
        let response = get(url, "de").await.unwrap();
        assert_eq!(response.status().as_u16(), 404);
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        refusals.push(response.text().await.unwrap());
    }
    assert!(refusals[0].contains("Dieser Link ist nicht gültig"), "{}", refusals[0]);
    assert_eq!(refusals[1], refusals[2], "an expired and an unknown link read the same");
    assert!(
        refusals[1].contains("forderungen@stadtwerke.example"),
        "a signed link names the creditor to contact"
    );
    assert_eq!(serde_json::to_value(store.stats().await.unwrap()).unwrap(), stats_before);

    // A promise: the form checks the date and its token, then dunning pauses.
    let post = |url: String, body: String| {
        http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body).send()
    };
    let page = get(link.clone(), "de").await.unwrap().text().await.unwrap();
    let form_token =
        page.split("name=\"form_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let promise_url = format!("{link}/promise");
    let response =
        post(promise_url.clone(), "form_token=forged&promised_on=2026-01-20".into()).await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(response.text().await.unwrap().contains("Das Formular ist abgelaufen"));
    let today = clock.now().date_naive();
    let too_far = today + Days::days(30);
    let response =
        post(promise_url.clone(), format!("form_token={form_token}&promised_on={too_far}")).await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("aria-invalid=\"true\"") && page.contains("höchstens 14 Tage"), "{page}");
    assert_eq!(
        case_state(store.as_ref(), "P-1").await,
        CaseState::Reminding,
        "a refused form changed nothing"
    );
    let promised = today + Days::days(5);
    let response =
        post(promise_url, format!("form_token={form_token}&promised_on={promised}")).await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert!(response.headers()["location"].to_str().unwrap().ends_with("?done=promise"));
    assert_eq!(case_state(store.as_ref(), "P-1").await, CaseState::Paused);
    let reminders = store.reminders_of("paytest", "P-1").await.unwrap();
    assert!(
        reminders.iter().all(|r| r.status != ReminderStatus::Scheduled),
        "pending reminders cancelled: {reminders:?}"
    );
    let page = get(format!("{link}?done=promise"), "de").await.unwrap().text().await.unwrap();
    assert!(page.contains("Vielen Dank. Bis zum"), "{page}");

    // A dispute holds P-3 until the creditor answers.
    let link3 = pay_link(outbox.path(), "P-3", addr);
    let page = get(link3.clone(), "de").await.unwrap().text().await.unwrap();
    let token3 =
        page.split("name=\"form_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let response =
        post(format!("{link3}/dispute"), format!("form_token={token3}&reason=&details=")).await.unwrap();
    assert_eq!(response.status().as_u16(), 422, "a reason is required");
    let response = post(
        format!("{link3}/dispute"),
        format!("form_token={token3}&reason=defective&details=Z%C3%A4hler+defekt"),
    )
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(case_state(store.as_ref(), "P-3").await, CaseState::Disputed);
    let response =
        post(format!("{link3}/contact"), format!("form_token={token3}&phone=&email=")).await.unwrap();
    assert_eq!(response.status().as_u16(), 422, "a phone number or an email is required");
    let response = post(
        format!("{link3}/contact"),
        format!("form_token={token3}&phone=%2B49+30+555&email=&window=morning"),
    )
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    // Time passes: P-1's promise breaks, P-3 stays held.
    clock.advance(Days::days(9));
    eventually("the broken promise resumed", || async {
        kinds_of(&events, "P-1").contains(&"promise.broken".to_owned())
    })
    .await;
    eventually("dunning resumed", || async { quiet(store.as_ref(), clock.now()).await }).await;
    assert_eq!(case_state(store.as_ref(), "P-1").await, CaseState::Reminding);
    assert_eq!(case_state(store.as_ref(), "P-3").await, CaseState::Disputed);
    let p3 = store.reminders_of("paytest", "P-3").await.unwrap();
    assert!(
        p3.iter().all(|r| r.status != ReminderStatus::Scheduled && r.status != ReminderStatus::Queued),
        "{p3:?}"
    );

    // The creditor says the claim stands: P-3 is reminded again.
    let resolved = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "P-3",
                          "resolution": "claim_stands", "note": "Zähler geprüft"});
    queue
        .publish(&topology.intake_exchange(), vec![message("case.dispute_resolved", &resolved)])
        .await
        .unwrap();
    eventually("the dispute resolved", || async {
        case_state(store.as_ref(), "P-3").await == CaseState::Reminding
    })
    .await;

    // P-1 promises again and pays: the promise is kept, and the page thanks the debtor.
    let page = get(link.clone(), "de").await.unwrap().text().await.unwrap();
    let form_token =
        page.split("name=\"form_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let promised = clock.now().date_naive() + Days::days(3);
    let response = post(format!("{link}/promise"), format!("form_token={form_token}&promised_on={promised}"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let paid = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "P-1",
                      "paid_at": clock.now().to_rfc3339()});
    queue.publish(&topology.intake_exchange(), vec![message("invoice.paid", &paid)]).await.unwrap();
    eventually("the case paid", || async { case_state(store.as_ref(), "P-1").await == CaseState::Paid })
        .await;
    let page = get(link.clone(), "de").await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Vielen Dank!") && page.contains("ist bezahlt") && !page.contains("IBAN"),
        "{page}"
    );

    // P-4 agrees three instalments within the rules; P-5 asks for ten, below the minimum: a
    // request for the creditor, nothing else changes.
    let form_token_of = |page: &str| {
        page.split("name=\"form_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let link4 = pay_link(outbox.path(), "P-4", addr);
    let page = get(link4.clone(), "de").await.unwrap().text().await.unwrap();
    // What is owed, from the legal engine: the first email put the debtor in default, so by now
    // default interest runs (1,27 % + 5 points for a consumer) and the instalments split it too.
    assert!(page.contains("Verzugszinsen 6,27 % vom") && page.contains("130,08 €"), "{page}");
    assert!(page.contains("3 Raten zu etwa 43,36 €") && page.contains("10 Raten (wir prüfen"), "{page}");
    let token4 = form_token_of(&page);
    let response =
        post(format!("{link4}/instalments"), format!("form_token={token4}&months=")).await.unwrap();
    assert_eq!(response.status().as_u16(), 422, "a number of instalments is required");
    let response =
        post(format!("{link4}/instalments"), format!("form_token={token4}&months=3")).await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert!(response.headers()["location"].to_str().unwrap().ends_with("?done=instalments"));
    assert_eq!(case_state(store.as_ref(), "P-4").await, CaseState::Paused);
    let page = get(format!("{link4}?done=instalments"), "de").await.unwrap().text().await.unwrap();
    assert!(
        page.contains("die erste Rate von 43,36 €") || page.contains("Die erste Rate von 43,36 €"),
        "{page}"
    );
    let link5 = pay_link(outbox.path(), "P-5", addr);
    let token5 = form_token_of(&get(link5.clone(), "de").await.unwrap().text().await.unwrap());
    let response =
        post(format!("{link5}/instalments"), format!("form_token={token5}&months=10")).await.unwrap();
    assert!(response.headers()["location"].to_str().unwrap().ends_with("?done=instalment-request"));
    assert_eq!(case_state(store.as_ref(), "P-5").await, CaseState::Reminding, "a request changes nothing");
    // P-5 then agrees two instalments within the rules, and then promises a date instead: a case
    // holds one of them at a time, so the promise replaces the plan.
    let response =
        post(format!("{link5}/instalments"), format!("form_token={token5}&months=2")).await.unwrap();
    assert!(response.headers()["location"].to_str().unwrap().ends_with("?done=instalments"));
    let reminder5 = store.reminders_of("paytest", "P-5").await.unwrap()[0].id;
    let case5 = store.pay_case(&TenantId::parse("paytest").unwrap(), reminder5).await.unwrap().unwrap();
    assert_eq!(case5.instalments.map(|plan| plan.instalments.len()), Some(2));
    let promised5 = clock.now().date_naive() + Days::days(4);
    let response = post(format!("{link5}/promise"), format!("form_token={token5}&promised_on={promised5}"))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let case5 = store.pay_case(&TenantId::parse("paytest").unwrap(), reminder5).await.unwrap().unwrap();
    assert_eq!(
        (case5.promised_on, case5.instalments),
        (Some(promised5), None),
        "the promise replaced the plan"
    );

    // Each of P-4's instalments has its own reminders, by email like its stages: the first goes
    // out three days before the first due date and names the instalment, its amount, its date
    // and the pay-link.
    let reminders4 = || async {
        let all = store.reminders_of("paytest", "P-4").await.unwrap();
        all.into_iter().filter(|r| r.instalment > 0).collect::<Vec<_>>()
    };
    let notice = |reminders: &[mahnwerk::store::ReminderView], instalment, stage| {
        reminders.iter().find(|r| (r.instalment, r.stage) == (instalment, stage)).cloned().unwrap()
    };
    let planned4 = reminders4().await;
    assert_eq!(planned4.len(), 6, "{planned4:?}");
    let plan4 = store.pay_case(&TenantId::parse("paytest").unwrap(), planned4[0].id).await.unwrap().unwrap();
    let dues4: Vec<String> = plan4
        .instalments
        .unwrap()
        .instalments
        .iter()
        .map(|i| i.due_on.format("%d.%m.%Y").to_string())
        .collect();
    let sent_by_now = |id: i64| {
        let store = store.clone();
        async move {
            let all = store.reminders_of("paytest", "P-4").await.unwrap();
            all.iter().any(|r| r.id == id && r.status == ReminderStatus::Sent)
        }
    };
    let upcoming1 = notice(&planned4, 1, 0);
    clock.set(upcoming1.send_at);
    eventually("the first instalment's reminder sent", || sent_by_now(upcoming1.id)).await;
    let mail = instalment_mail(outbox.path(), "P-4", "Rate 1 von 3 zur Rechnung P-4");
    for expected in ["43,36", &dues4[0], "https://pay.stadtwerke.example/pay/"] {
        assert!(mail.contains(expected), "{expected:?} missing: {mail}");
    }

    // The first instalment is paid in time: its reminder on the due date is cancelled; after its
    // grace the plan is on track and the case stays paused. The second is not: both its
    // reminders go out, and after its grace the rest is due and dunning resumes.
    let first = json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": "P-4",
                       "paid_at": clock.now().to_rfc3339(), "amount_paid": "43.36", "currency": "EUR",
                       "payment_reference": "bank-4711"});
    queue.publish(&topology.intake_exchange(), vec![message("invoice.paid", &first)]).await.unwrap();
    eventually("the first instalment recorded", || async {
        kinds_of(&events, "P-4").contains(&"payment.recorded".to_owned())
    })
    .await;
    let cancelled = notice(&reminders4().await, 1, 1);
    assert_eq!(cancelled.status, ReminderStatus::Cancelled, "paid in time: {cancelled:?}");
    clock.advance(Days::days(12));
    eventually("the first instalment checked", || async { quiet(store.as_ref(), clock.now()).await }).await;
    assert_eq!(case_state(store.as_ref(), "P-4").await, CaseState::Paused, "on track");
    let (upcoming2, due2) = (notice(&planned4, 2, 0), notice(&planned4, 2, 1));
    clock.set(upcoming2.send_at);
    eventually("the second instalment's first reminder sent", || sent_by_now(upcoming2.id)).await;
    clock.set(due2.send_at);
    eventually("the second instalment's reminder on its due date sent", || sent_by_now(due2.id)).await;
    let mail = instalment_mail(outbox.path(), "P-4", "heute ist Rate 2 von 3 zur Rechnung P-4");
    assert!(mail.contains("43,36") && mail.contains(&dues4[1]), "{mail}");
    clock.set(due2.send_at + Days::days(5));
    eventually("the second instalment missed", || async {
        kinds_of(&events, "P-4").contains(&"instalment.missed".to_owned())
    })
    .await;
    eventually("dunning resumed for P-4", || async {
        case_state(store.as_ref(), "P-4").await == CaseState::Reminding
    })
    .await;
    // Missed: the third instalment is never reminded of.
    let third: Vec<_> = reminders4().await.into_iter().filter(|r| r.instalment == 3).collect();
    assert!(third.iter().all(|r| r.status == ReminderStatus::Cancelled), "{third:?}");

    eventually("every event published", || async {
        let p1 = kinds_of(&events, "P-1");
        let p3 = kinds_of(&events, "P-3");
        p1.contains(&"promise.kept".to_owned())
            && p3.contains(&"case.dispute_resolved".to_owned())
            && p3.contains(&"contact.requested".to_owned())
    })
    .await;
    stop_roles(trigger, roles).await;
    let p1 = kinds_of(&events, "P-1");
    for kind in ["promise.made", "promise.broken", "promise.kept", "payment.recorded"] {
        assert_eq!(
            p1.iter().filter(|k| *k == kind).count(),
            if kind == "promise.made" { 2 } else { 1 },
            "{kind}: {p1:?}"
        );
    }
    let p3 = kinds_of(&events, "P-3");
    assert!(p3.contains(&"case.disputed".to_owned()), "{p3:?}");
    let disputed = events.lock().unwrap().iter().find(|e| e["kind"] == "case.disputed").cloned().unwrap();
    assert_eq!(
        (disputed["reason"].as_str(), disputed["details"].as_str()),
        (Some("defective"), Some("Zähler defekt"))
    );
    let contact = events.lock().unwrap().iter().find(|e| e["kind"] == "contact.requested").cloned().unwrap();
    let agreed = events.lock().unwrap().iter().find(|e| e["kind"] == "instalments.agreed").cloned().unwrap();
    let amounts: Vec<&str> =
        agreed["instalments"].as_array().unwrap().iter().map(|i| i["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["43.36", "43.36", "43.36"], "{agreed}");
    let missed = events.lock().unwrap().iter().find(|e| e["kind"] == "instalment.missed").cloned().unwrap();
    assert_eq!(missed["seq"], 2, "{missed}");
    let requested =
        events.lock().unwrap().iter().find(|e| e["kind"] == "instalment.requested").cloned().unwrap();
    assert_eq!((requested["invoice_number"].as_str(), requested["months"].as_u64()), (Some("P-5"), Some(10)));
    assert_eq!(
        (contact["phone"].as_str(), contact["window"].as_str()),
        (Some("+49 30 555"), Some("morning"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pay_page_on_sqlite() {
    scenario(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pay_page_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    scenario(backend).await;
}
