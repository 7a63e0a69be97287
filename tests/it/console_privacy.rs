//! A debtor's GDPR rights through the console, on SQLite with the in-process queue and on
//! PostgreSQL with RabbitMQ, with every role running: the export (Art. 15) holds the debtor's
//! contact data, cases, lines, reminders, payments, disputes, events, the marketing consent
//! ledger and operator actions and nothing of another debtor or tenant; erasure (Art. 17) is
//! refused to viewers, agents and keys, and for an admin overwrites the personal data wherever
//! they were (read back through the export), deletes what was recommended and withholds what
//! was still to go out after payment, while the invoice numbers and amounts stay, and the
//! marketing consents and objections stay whole, stops the debtor's dunning, and is in the audit
//! log without the erased data.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use chrono::{Duration as Days, NaiveDate, SubsecRound};
use mahnwerk::app::Role;
use mahnwerk::domain::{
    CaseState, ChannelKind, DebtorId, DisputeReason, InvoiceNumber, KeyScope, MarketingBasis, OperatorRole,
    TenantId,
};
use mahnwerk::pay::contact::{request_contact, ContactRequest};
use mahnwerk::pay::dispute::open_dispute;
use mahnwerk::runtime::Clock;
use mahnwerk::runtime::{RecommendedItem, Subject};
use mahnwerk::store::marketing::NewThankYou;
use mahnwerk::store::recommend::{IssuedLine, StoredRecommendation};
use mahnwerk::store::shop_webhooks::NewShopWebhook;
use mahnwerk::store::ReminderStatus;
use mahnwerk_models::recommend::Reason;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use support::scenario::{eventually, live_until, quiet, stop_roles};
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";
const PHONE: &str = "+4915112345678";

/// What must not be anywhere in an erased debtor's export.
const PERSONAL: [&str; 9] = [
    "Mustermann",
    "Erika",
    "+4915112345678",
    "@example.org",
    "Musterstr",
    "10115",
    "Krankenhaus",
    "anrufen",
    "DE02100100100006820101",
];

async fn session(console: &Console, email: &str, role: OperatorRole) -> Auth {
    console.operator(A, email, role, PASSWORD).await;
    let (cookie, csrf) = console.login(A, email, PASSWORD).await;
    Auth::Session { cookie, csrf }
}

fn case<'a>(export: &'a Value, number: &str) -> &'a Value {
    export["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"]["invoice_number"] == number)
        .unwrap_or_else(|| panic!("{number} in {export}"))
}

async fn export(console: &Console, auth: &Auth, debtor: &str) -> Value {
    let (status, export) =
        console.call(Method::GET, &format!("/api/v1/debtors/{debtor}/export"), auth, None).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    export
}

async fn privacy(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let theirs = Auth::Key(console.key(B, KeyScope::Write).await);

    // D-P-1 owes P-1 and P-2, D-P-3 owes P-3; tenant B has a debtor D-P-1 of its own.
    let mut ids = Vec::new();
    for (number, debtor) in [("P-1", "D-P-1"), ("P-2", "D-P-1"), ("P-3", "D-P-3")] {
        let mut body = invoice(number, "de");
        body["debtor"]["id"] = json!(debtor);
        body["debtor"]["phone"] = json!(PHONE);
        body["debtor"]["iban"] = json!("DE02 1001 0010 0006 8201 01");
        body["debtor"]["address"] =
            json!({"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"});
        body["lines"] =
            json!([{"sku": "W-1", "description": "Wartung", "quantity": "1", "unit_price": "129.90"}]);
        let (status, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    let mut other = invoice("B-1", "de");
    other["tenant"] = json!(B);
    other["debtor"]["id"] = json!("D-P-1");
    other["debtor"]["name"] = json!("Bea Anders");
    other["debtor"]["email"] = json!("bea@other.example");
    let (status, answer) = console.call(Method::POST, "/api/v1/invoices", &theirs, Some(&other)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;
    let until = console.clock.now() + Days::days(1);
    live_until(store.as_ref(), &console.clock, until).await;

    // Something of every kind: a part payment, a dispute and a request to be called in the
    // debtor's words, a corrected email address.
    let paid = json!({"paid_at": "2026-01-05T10:00:00Z", "amount_paid": "29.90", "currency": "EUR",
                      "payment_reference": "part-1"});
    let (status, answer) = console.call(Method::POST, "/api/v1/invoices/P-1/paid", &key, Some(&paid)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let now = console.clock.now();
    open_dispute(store.as_ref(), ids[1], DisputeReason::Other, "Ich lag im Krankenhaus", now).await.unwrap();
    let request = ContactRequest {
        phone: Some(PHONE.into()),
        email: None,
        window: "werktags 9-12".into(),
        message: "Bitte anrufen".into(),
    };
    assert!(request_contact(store.as_ref(), ids[0], request, now).await.unwrap());
    let mut tx = store.begin().await.unwrap();
    for debtor in ["D-P-1", "D-P-3"] {
        let line = IssuedLine {
            tenant: TenantId::parse(A).unwrap(),
            invoice_number: format!("ISS-{debtor}"),
            position: 0,
            debtor_id: DebtorId::parse(debtor).unwrap(),
            segment: "consumer".into(),
            sku: "TON-1".into(),
            issued_on: NaiveDate::from_ymd_opt(2025, 11, 3).unwrap(),
            quantity: 2,
            amount_cents: 3980,
        };
        assert_eq!(tx.insert_issued_lines(&[line]).await.unwrap(), 1);
    }
    // After the part payment, as if P-1 had been paid: products recommended, a thank-you message
    // and a shop webhook waiting to go out.
    let subject = Subject {
        tenant: TenantId::parse(A).unwrap(),
        case_id: ids[0],
        invoice_number: InvoiceNumber::parse("P-1").unwrap(),
        debtor_id: DebtorId::parse("D-P-1").unwrap(),
    };
    let item = RecommendedItem {
        rank: 1,
        sku: "TON-1".into(),
        name: "Toner schwarz".into(),
        url: "https://shop.example/ton-1".into(),
        price: Decimal::new(3990, 2),
        score: 0.7,
        reason: Reason::BoughtBefore { sku: "TON-1".into() },
        reason_text: "bought before".into(),
    };
    let recommendation = StoredRecommendation {
        subject: subject.clone(),
        model_version: 4,
        created_at: now,
        items: vec![item],
    };
    assert!(tx.insert_recommendation(&recommendation).await.unwrap());
    let thanks = NewThankYou {
        case_id: ids[0],
        tenant: subject.tenant.clone(),
        channel: ChannelKind::Sms,
        basis: MarketingBasis::ExplicitConsent,
        created_at: now,
    };
    assert!(tx.queue_thank_you(&thanks).await.unwrap());
    let webhook = NewShopWebhook {
        case_id: ids[0],
        tenant: subject.tenant.clone(),
        body: json!({"debtor_id": "D-P-1", "items": [{"sku": "TON-1"}]}).to_string(),
        created_at: now,
    };
    assert!(tx.queue_shop_webhook(&webhook).await.unwrap());
    tx.commit().await.unwrap();
    let edit = json!({"email": "erika.neu@example.org"});
    let (status, answer) =
        console.call(Method::POST, "/api/v1/debtors/D-P-1/contact", &key, Some(&edit)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Marketing: a consent to SMS the debtor gave three days ago, and an objection to email.
    let whole_seconds = console.clock.now().trunc_subsecs(0);
    let marketing = [
        ("sms", "opt_in", whole_seconds - Days::days(3)),
        ("email", "opt_out", whole_seconds - Days::days(1)),
    ];
    for (channel, consent, given_at) in marketing {
        let body = json!({"channel": channel, "consent": consent, "given_at": given_at.to_rfc3339()});
        let (status, answer) =
            console.call(Method::POST, "/api/v1/debtors/D-P-1/marketing-consent", &key, Some(&body)).await;
        assert_eq!((status, &answer["after"]["recorded"]), (StatusCode::OK, &json!(true)), "{answer}");
    }

    // Logged in now: the clock has moved past the length of a session.
    let viewer = session(&console, "viewer@paytest.example", OperatorRole::Viewer).await;
    let agent = session(&console, "agent@paytest.example", OperatorRole::Agent).await;
    let admin = session(&console, "admin@paytest.example", OperatorRole::Admin).await;

    // Art. 15, as a viewer reads it: everything of D-P-1, nothing of anyone else.
    let before = export(&console, &viewer, "D-P-1").await;
    assert_eq!(before["schema"], "mahnwerk.debtor_export.v1");
    let debtor = &before["debtor"];
    assert_eq!(debtor["iban"], "DE02100100100006820101", "the account, as stored: {debtor}");
    assert_eq!(
        (&debtor["name"], &debtor["email"], &debtor["phone"], &debtor["address_line1"], &debtor["city"]),
        (
            &json!("Erika Mustermann"),
            &json!("erika.neu@example.org"),
            &json!(PHONE),
            &json!("Musterstr. 1"),
            &json!("Berlin")
        )
    );
    let numbers: Vec<&Value> =
        before["cases"].as_array().unwrap().iter().map(|c| &c["case"]["invoice_number"]).collect();
    assert_eq!(numbers, [&json!("P-1"), &json!("P-2")]);
    let p1 = case(&before, "P-1");
    assert_eq!(p1["invoice_lines"][0]["description"], "Wartung");
    assert_eq!(p1["payments"][0]["amount"], "29.90");
    let reminder = &p1["reminders"][0];
    assert!(
        reminder["channel"] == "email" && reminder["status"].is_string() && reminder["send_at"].is_string(),
        "{reminder}"
    );
    let requested = p1["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "contact.requested")
        .expect("the request");
    assert_eq!(requested["data"]["phone"], PHONE);
    assert_eq!(case(&before, "P-2")["disputes"][0]["details"], "Ich lag im Krankenhaus");
    let actions: Vec<&Value> =
        before["operator_actions"].as_array().unwrap().iter().map(|a| &a["action"]).collect();
    assert_eq!(
        actions,
        [&json!("debtor.contact"), &json!("debtor.marketing_consent"), &json!("debtor.marketing_consent")]
    );
    assert!(before["consent_ledger"].is_array());
    // Each recorded with its audit entry, by the key's actor.
    let marketing_ledger: Vec<Value> = marketing
        .iter()
        .zip(&before["operator_actions"].as_array().unwrap()[1..])
        .map(|((channel, consent, given_at), entry)| {
            json!({"channel": channel, "kind": consent, "given_at": given_at, "source": "operator",
                   "detail": entry["actor"], "recorded_at": entry["at"]})
        })
        .collect();
    assert_eq!(before["marketing_consent_ledger"], json!(marketing_ledger), "every event, oldest first");
    let shown = &case(&before, "P-1")["recommendation"];
    assert_eq!(
        (&shown["model_version"], &shown["items"][0]["sku"], &shown["items"][0]["reason"]),
        (&json!(4), &json!("TON-1"), &json!("bought before"))
    );
    assert_eq!(case(&before, "P-2")["recommendation"], Value::Null);
    let history = before["purchase_history"].as_array().unwrap();
    assert_eq!((history.len(), &history[0]["invoice_number"]), (1, &json!("ISS-D-P-1")));
    let text = before.to_string();
    for foreign in ["P-3", "D-P-3", "Bea", "bea@other.example", "B-1"] {
        assert!(!text.contains(foreign), "{foreign} in D-P-1's export: {text}");
    }
    let (status, _) = console.call(Method::GET, "/api/v1/debtors/D-NOBODY/export", &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Art. 17: only an admin's login may erase.
    let erase = "/api/v1/debtors/D-P-1/erase";
    for (who, auth) in [("viewer", &viewer), ("agent", &agent), ("write key", &key)] {
        let (status, answer) = console.call(Method::POST, erase, auth, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {answer}");
    }
    assert_eq!(
        export(&console, &key, "D-P-1").await["debtor"]["name"],
        "Erika Mustermann",
        "refused changed nothing"
    );
    let (status, erased) = console.call(Method::POST, erase, &admin, None).await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["action"], "debtor.erase");
    assert_eq!(erased["after"]["erased"], true);
    assert_eq!(erased["after"]["paused_cases"], json!([ids[0]]), "the disputed case stays as it is");
    let overwritten = &erased["after"]["overwritten"];
    assert_eq!(overwritten["cases"], json!([ids[0], ids[1]]));
    assert_eq!((&overwritten["dispute_details"], &overwritten["audit_entries"]), (&json!(1), &json!(1)));
    assert!(overwritten["events"].as_u64().unwrap() >= 2, "the request and the dispute: {overwritten}");
    assert_eq!(overwritten["purchase_history"], 1);
    assert_eq!(
        (&overwritten["recommendations"], &overwritten["thank_you_messages"], &overwritten["shop_webhooks"]),
        (&json!(1), &json!(1), &json!(1))
    );
    // Nothing after payment goes out to the erased debtor: the senders find nothing to lease.
    let later = console.clock.now() + Days::days(1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.lease_thank_yous(later, 10, later + Days::minutes(5)).await.unwrap(), vec![]);
    assert_eq!(tx.lease_shop_webhooks(later, 10, later + Days::minutes(5)).await.unwrap(), vec![]);
    assert_eq!(tx.recommendation(&subject.tenant, ids[0]).await.unwrap(), None);
    tx.commit().await.unwrap();

    // The personal fields are gone wherever they were; the figures stay.
    let after = export(&console, &admin, "D-P-1").await;
    let debtor = &after["debtor"];
    assert_eq!(debtor["name"], "[erased]");
    for field in [
        "email",
        "phone",
        "whatsapp",
        "messenger_psid",
        "contact_person",
        "iban",
        "address_line1",
        "postal_code",
        "city",
    ] {
        assert!(debtor[field].is_null(), "{field}: {debtor}");
    }
    let text = after.to_string();
    for personal in PERSONAL {
        assert!(!text.contains(personal), "{personal} survived the erasure: {text}");
    }
    let p1 = case(&after, "P-1");
    assert_eq!(
        (&p1["case"]["amount_due"], &p1["case"]["amount_paid"], &p1["payments"][0]["amount"]),
        (&json!("129.90"), &json!("29.90"), &json!("29.90"))
    );
    assert_eq!(p1["invoice_lines"][0]["unit_price"], "129.90");
    assert_eq!(case(&after, "P-2")["disputes"][0]["details"], "[erased]");
    assert_eq!(after["purchase_history"], json!([]), "the purchase history kept for recommendations is gone");
    assert_eq!(p1["recommendation"], Value::Null, "what was recommended is gone");
    assert_eq!(
        after["marketing_consent_ledger"], before["marketing_consent_ledger"],
        "the marketing consents and objections stay whole: the proof, and the objection honoured"
    );
    let contact_edit = after["operator_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "debtor.contact")
        .unwrap();
    assert_eq!(contact_edit["before"], json!({"erased": true}));
    let (_, debtor_page) = console.call(Method::GET, "/api/v1/debtors/D-P-1", &key, None).await;
    assert_eq!(debtor_page["debtor"]["name"], "[erased]");
    let (_, audit) = console.call(Method::GET, "/api/v1/audit", &key, None).await;
    assert_eq!(audit["entries"][0]["action"], "debtor.erase");
    assert_eq!(audit["entries"][0]["actor"], "operator:admin@paytest.example");

    // Dunning stopped: nothing pending, nothing more sent while the scheduler runs.
    let state = store.case_by_invoice(A, "P-1").await.unwrap().unwrap().state;
    assert_eq!(state, CaseState::Paused);
    let statuses = || async {
        let reminders = store.reminders_of(A, "P-1").await.unwrap();
        reminders.iter().map(|r| (r.id, r.status)).collect::<Vec<_>>()
    };
    let before = statuses().await;
    assert!(!before.iter().any(|(_, s)| matches!(s, ReminderStatus::Scheduled | ReminderStatus::Queued)));
    let until = console.clock.now() + Days::days(10);
    live_until(store.as_ref(), &console.clock, until).await;
    assert_eq!(statuses().await, before, "no reminder after the erasure");

    // The other debtor and the other tenant's D-P-1 are untouched.
    let other = export(&console, &key, "D-P-3").await;
    assert_eq!(other["debtor"]["name"], "Erika Mustermann");
    assert_eq!(other["purchase_history"][0]["invoice_number"], "ISS-D-P-3");
    assert_eq!(other["marketing_consent_ledger"], json!([]), "D-P-1's consents are D-P-1's");
    assert_eq!(export(&console, &theirs, "D-P-1").await["debtor"]["name"], "Bea Anders");
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdpr_export_and_erasure_on_sqlite() {
    privacy(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdpr_export_and_erasure_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    privacy(backend).await;
}
