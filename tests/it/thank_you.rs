//! The thank-you message after a payment, as a debtor's mailbox and phone meet it, on both
//! backends (SQLite with the in-process queue; PostgreSQL with a real RabbitMQ) and a real SMTP
//! server the test starts: a payment through `invoice.paid`, delivered twice, sends one email
//! with items that are in the catalogue and active and an opt-out link; a debtor without an
//! explicit consent (SMS) or who opted out of reminder emails gets none; the opt-out link records
//! the objection and the next payment sends nothing, nor does a consent the console records
//! dated before that objection (refused with 409); an explicit consent recorded through the
//! console API lets the next payment's message go out by SMS, and an objection dated before it
//! is refused and stops nothing.
//!
//! The intake and API roles run; the post-payment hooks and the sender are driven step by step
//! (each until it finds nothing to do), so "nothing was sent" is a fact, not a wait.

use crate::mime;
use crate::pay_page::config_with;
use crate::smtp_sink::SmtpSink;
use crate::support;

use chrono::{DateTime, Duration as Days, Utc};
use mahnwerk::app::{Role, Service};
use mahnwerk::config::{EmailTransport, SmtpConfig};
use mahnwerk::demo::world;
use mahnwerk::domain::{ChannelKind, ConsentKind, ConsentSource, DebtorId, KeyScope, TenantId};
use mahnwerk::hooks::refit::refit_tenant;
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::{ConsentEvent, ConsentSubject, Store};
use serde_json::{json, Value};
use std::sync::Arc;
use support::scenario::{eventually, json as message, stop_roles};
use support::servers::Backend;

pub(crate) const CATALOGUE: &str = "sku,name,url,price,category,active,repeatable\n\
    DRU-1,Laserdrucker LX,https://shop.stadtwerke.example/dru-1,249.00,office,true,false\n\
    TON-1,Toner schwarz,https://shop.stadtwerke.example/ton-1,39.90,office,true,false\n\
    PAP-5,Papier A4 (5 Pack),https://shop.stadtwerke.example/pap-5,19.90,office,true,false\n\
    KAB-2,USB-Kabel,https://shop.stadtwerke.example/kab-2,9.90,office,true,false\n\
    ALT-9,Drucker alt,https://shop.stadtwerke.example/alt-9,99.00,office,false,false\n";

const SUBJECT: &str = "Vielen Dank für Ihre Zahlung";

pub(crate) fn tenant() -> TenantId {
    TenantId::parse("paytest").unwrap()
}

/// An invoice of `debtor` (reached at `contact`) issued at `issued`, one line per SKU.
pub(crate) fn invoice(
    number: &str,
    debtor: &str,
    contact: Value,
    skus: &[&str],
    issued: DateTime<Utc>,
) -> Value {
    let lines: Vec<Value> = skus
        .iter()
        .map(|sku| json!({"sku": sku, "description": format!("Artikel {sku}"), "quantity": "1", "unit_price": "10.00"}))
        .collect();
    let day = issued.date_naive().to_string();
    let mut debtor =
        json!({"id": debtor, "name": "Erika Mustermann", "language": "de", "timezone": "Europe/Berlin"});
    for (key, value) in contact.as_object().unwrap() {
        debtor[key] = value.clone();
    }
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": number,
        "issued_on": day, "due_on": day, "currency": "EUR", "amount_due": "249.00", "lines": lines,
        "debtor": debtor
    })
}

pub(crate) fn email(debtor: &str) -> Value {
    json!({"email": format!("{debtor}@example.org")})
}

/// What the other customers bought: the printer with toner, paper alone, cables alone.
pub(crate) fn history(now: DateTime<Utc>) -> Vec<Value> {
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
        .map(|(i, skus)| {
            invoice(
                &format!("H-{i}"),
                &format!("K-{i}"),
                email(&format!("K-{i}")),
                skus,
                now - Days::days(40),
            )
        })
        .collect()
}

pub(crate) fn paid(number: &str, reference: &str, at: DateTime<Utc>) -> Value {
    json!({"schema": "mahnwerk.invoice.v1", "tenant": "paytest", "invoice_number": number,
           "paid_at": at.to_rfc3339(), "payment_reference": reference})
}

/// The thank-you emails the sink received, as (recipient, text part, `List-Unsubscribe`).
fn thank_yous(sink: &SmtpSink) -> Vec<(String, String, String)> {
    sink.messages()
        .into_iter()
        .filter_map(|mail| {
            let parsed = mime::parse(&mail.data);
            let subject = parsed.decoded_header("Subject").unwrap_or_default();
            subject.starts_with(SUBJECT).then(|| {
                let text = parsed.parts().first().map(|part| part.text()).unwrap_or_else(|| parsed.text());
                (mail.rcpt_to.join(","), text, parsed.decoded_header("List-Unsubscribe").unwrap_or_default())
            })
        })
        .collect()
}

/// Runs the post-payment hooks and then the sender until neither finds anything to do.
async fn settle(service: &Service) {
    while service.hook_runner().try_execute_task().await.unwrap() != mahnwerk::hooks::Outcome::Idle {}
    let sender = service.thank_you_sender();
    while sender.try_execute_task().await.unwrap() != mahnwerk::hooks::thanks::sender::Outcome::Idle {}
}

/// Waits until intake stored `number`'s payment (and, the queue being in order, everything
/// published before it).
pub(crate) async fn paid_case(store: &Arc<dyn Store>, number: &str) {
    eventually(&format!("{number} paid"), || async {
        let case = store.case_by_invoice("paytest", number).await.unwrap();
        case.is_some_and(|case| case.state == mahnwerk::domain::CaseState::Paid)
    })
    .await;
}

async fn scenario(backend: Backend) {
    let (store, queue, topology) = (backend.store.clone(), backend.queue.clone(), backend.topology.clone());
    let sink = SmtpSink::start().await;
    let outbox = tempfile::tempdir().unwrap();
    let mut config = config_with(&topology.namespace, outbox.path(), "[recommend]\npoll_ms = 20\n");
    config.email_transport = EmailTransport::Smtp;
    config.smtp = Some(SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(sink.port()),
        security: Some("none".into()),
        username: None,
        password: None,
        timeout_secs: Some(5),
        dkim: None,
    });
    config.creditors.get_mut("paytest").unwrap().thank_you_message = true;
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), queue.clone(), clock.clone()).unwrap();
    let addr = service.bind_api().await.unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::Intake, &shutdown);
    let mut api = service.spawn(Role::Api, &shutdown);
    let now = clock.now();

    // D-1 reachable by email; D-2 by phone only; D-3 by email, but opted out of reminder emails.
    let mut messages: Vec<_> = history(now).iter().map(|i| message("invoice.issued", i)).collect();
    let before = now - Days::days(10);
    messages.push(message("invoice.overdue", &invoice("R-1", "D-1", email("D-1"), &["DRU-1"], before)));
    let phone = json!({"phone": "+4915112345678"});
    messages.push(message("invoice.overdue", &invoice("R-2", "D-2", phone.clone(), &["DRU-1"], before)));
    messages.push(message("invoice.overdue", &invoice("R-3", "D-3", email("D-3"), &["DRU-1"], before)));
    queue.publish(&topology.intake_exchange(), messages).await.unwrap();
    eventually("R-3 stored", || async { store.case_by_invoice("paytest", "R-3").await.unwrap().is_some() })
        .await;
    let opted_out = ConsentEvent {
        subject: ConsentSubject::Debtor { tenant: tenant(), debtor: DebtorId::parse("D-3").unwrap() },
        channel: ChannelKind::Email,
        kind: ConsentKind::OptOut,
        at: now,
        source: ConsentSource::EmailUnsubscribe,
        detail: None,
        provider_event_id: None,
    };
    assert_eq!(mahnwerk::deliver::record_consent(store.as_ref(), &opted_out, now).await.unwrap(), 1);
    mahnwerk::intake::catalogue::import(store.as_ref(), &tenant(), CATALOGUE, now).await.unwrap();
    refit_tenant(store.as_ref(), &tenant(), &config.recommend.params().unwrap(), now).await.unwrap();

    // R-1 paid, the message delivered twice; paid once each.
    let payments = [
        paid("R-1", "TX-1", now),
        paid("R-1", "TX-1", now),
        paid("R-2", "TX-2", now),
        paid("R-3", "TX-3", now),
    ];
    let payments = payments.iter().map(|p| message("invoice.paid", p)).collect();
    queue.publish(&topology.intake_exchange(), payments).await.unwrap();
    paid_case(&store, "R-3").await;
    settle(&service).await;
    assert_eq!(store.stats().await.unwrap().payments, 3, "the replay recorded nothing");

    let received = thank_yous(&sink);
    assert_eq!(received.len(), 1, "one thank-you, to D-1 only: {received:?}");
    let (to, text, unsubscribe) = &received[0];
    assert_eq!(to, "D-1@example.org");
    assert!(text.contains("Guten Tag Erika Mustermann") && text.contains("R-1"), "{text}");
    assert!(text.contains("Toner schwarz") && text.contains("39,90 €"), "{text}");
    assert!(text.contains("Oft zusammen gekauft mit Laserdrucker LX"), "{text}");
    for never in ["Drucker alt", "Laserdrucker LX (249"] {
        assert!(!text.contains(never), "never inactive, never just bought: {never:?} in {text}");
    }
    assert!(text.contains("https://pay.stadtwerke.example/r/"), "click links: {text}");
    assert!(unsubscribe.starts_with("<https://pay.stadtwerke.example/optout/"), "{unsubscribe}");
    assert!(!outbox.path().join("sms.jsonl").exists(), "no SMS without an explicit consent");

    // The opt-out link records the objection (a replay changes nothing); the next payment of
    // D-1 sends nothing.
    let link = text.lines().find(|l| l.contains("/optout/")).unwrap();
    let token = link.rsplit("/optout/").next().unwrap().trim();
    let client = reqwest::Client::new();
    let opt_out = format!("http://{addr}/optout/{token}");
    let page = client.get(&opt_out).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200, "a GET only shows the button");
    for _ in 0..2 {
        let done = client.post(&opt_out).form(&[("List-Unsubscribe", "One-Click")]).send().await.unwrap();
        assert_eq!(done.status().as_u16(), 200);
        assert!(done.text().await.unwrap().contains("keine Produktempfehlungen mehr"));
    }
    let forged =
        client.post(format!("http://{addr}/optout/{}x", &token[..token.len() - 1])).send().await.unwrap();
    assert!(matches!(forged.status().as_u16(), 400 | 401), "{}", forged.status());
    let later = now + Days::days(1);
    let more = vec![
        message("invoice.overdue", &invoice("R-4", "D-1", email("D-1"), &["PAP-5"], now)),
        message("invoice.overdue", &invoice("R-5", "D-2", phone, &["PAP-5"], now)),
    ];
    queue.publish(&topology.intake_exchange(), more).await.unwrap();
    eventually("R-5 stored", || async { store.case_by_invoice("paytest", "R-5").await.unwrap().is_some() })
        .await;

    // A consent to email D-1 dated before its objection, recorded through the console API,
    // changes nothing and is refused naming the objection in force.
    let (_, key) =
        mahnwerk::api::console::accounts::create_api_key(store.as_ref(), &tenant(), KeyScope::Write, now)
            .await
            .unwrap();
    let d1_ledger = || async {
        let mut tx = store.begin().await.unwrap();
        let ledger = tx.marketing_ledger(&tenant(), &DebtorId::parse("D-1").unwrap()).await.unwrap();
        tx.rollback().await.unwrap();
        ledger
    };
    let objections = d1_ledger().await;
    assert_eq!(objections.len(), 1, "{objections:?}");
    let older =
        json!({"channel": "email", "consent": "opt_in", "given_at": (now - Days::days(2)).to_rfc3339()});
    let answer = client
        .post(format!("http://{addr}/api/v1/debtors/D-1/marketing-consent"))
        .bearer_auth(&key)
        .json(&older)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 409);
    let error = answer.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned();
    let objected = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        error,
        format!(
            "the debtor's objection to marketing by email of {objected} is in force; this consent of {} is \
             older and changes nothing",
            (now - Days::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    );
    assert_eq!(d1_ledger().await, objections, "nothing written");

    // An explicit SMS consent for D-2 through the console API.
    let consent = format!("http://{addr}/api/v1/debtors/D-2/marketing-consent");
    let refused =
        client.post(&consent).bearer_auth(&key).json(&json!({"channel": "letter", "consent": "opt_in"}));
    let refused = refused.send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    assert_eq!(refused.json::<Value>().await.unwrap()["field"], "channel");
    let given =
        json!({"channel": "sms", "consent": "opt_in", "given_at": (now - Days::days(30)).to_rfc3339()});
    let recorded = client.post(&consent).bearer_auth(&key).json(&given).send().await.unwrap();
    assert_eq!(recorded.status().as_u16(), 200);
    assert_eq!(recorded.json::<Value>().await.unwrap()["after"]["recorded"], true);
    let again = client.post(&consent).bearer_auth(&key).json(&given).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 200, "the same consent again is harmless");
    assert_eq!(again.json::<Value>().await.unwrap()["after"]["recorded"], false);
    // An objection dated before that consent changes nothing either: the SMS below still goes.
    let stale =
        json!({"channel": "sms", "consent": "opt_out", "given_at": (now - Days::days(40)).to_rfc3339()});
    let stale = client.post(&consent).bearer_auth(&key).json(&stale).send().await.unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    let error = stale.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned();
    assert!(error.starts_with("the debtor's consent to marketing by sms of "), "{error}");

    let payments = vec![
        message("invoice.paid", &paid("R-4", "TX-4", later)),
        message("invoice.paid", &paid("R-5", "TX-5", later)),
    ];
    queue.publish(&topology.intake_exchange(), payments).await.unwrap();
    paid_case(&store, "R-5").await;
    settle(&service).await;
    assert_eq!(thank_yous(&sink).len(), 1, "D-1 objected: nothing more by email");
    let sms = std::fs::read_to_string(outbox.path().join("sms.jsonl")).unwrap();
    assert_eq!(sms.lines().count(), 1, "{sms}");
    assert!(sms.contains("+4915112345678") && sms.contains("Danke für Ihre Zahlung (R-5)"), "{sms}");
    assert!(
        sms.contains("https://pay.stadtwerke.example/optout/"),
        "an opt-out link in every message: {sms}"
    );

    stop_roles(trigger, roles).await;
    while let Some(ended) = api.join_next().await {
        let (name, result) = ended.expect("no role panicked");
        result.unwrap_or_else(|e| panic!("role {name} failed: {e:#}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thank_you_messages_follow_consent_on_the_embedded_backend() {
    scenario(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thank_you_messages_follow_consent_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    scenario(backend).await;
}
