//! Credits and write-offs through the console, and the bookings export, on SQLite with the
//! in-process queue and on PostgreSQL with RabbitMQ, with every role running: a credit of half
//! the claim halves what is open and dunning goes on; a write-off of the rest closes the case
//! and cancels its pending reminder; both are on the timeline and in the audit log; wrong
//! amounts are refused naming the field. The bookings of the period, read back from the CSV and
//! from the DATEV booking batch, add up per kind to what was recorded (payments, credits,
//! write-offs) and to what the legal engine says the claims grew by (fees, interest).

use crate::console_api::{Auth, Console, A};
use crate::pay_page::invoice;
use crate::support;

use chrono::{Duration as Days, NaiveDate};
use mahnwerk::app::Role;
use mahnwerk::domain::legal::Germany;
use mahnwerk::domain::{CaseState, KeyScope};
use mahnwerk::runtime::Clock;
use mahnwerk::store::ReminderStatus;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use support::scenario::{eventually, live_until, quiet, stop_roles};
use support::servers::Backend;

fn dec(raw: &str) -> Decimal {
    raw.parse().unwrap_or_else(|e| panic!("{raw}: {e}"))
}

async fn credit(console: &Console, key: &Auth, case_id: i64, body: Value) -> (StatusCode, Value) {
    console.call(Method::POST, &format!("/api/v1/cases/{case_id}/credit"), key, Some(&body)).await
}

async fn export(console: &Console, key: &Auth, query: &str) -> (StatusCode, Vec<u8>) {
    let Auth::Key(key) = key else { panic!("a key") };
    let url = console.url(&format!("/api/v1/exports/bookings?{query}"));
    let response = console.http.get(url).bearer_auth(key).send().await.unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

/// The CSV's sums per kind.
fn csv_sums(body: &[u8]) -> BTreeMap<String, Decimal> {
    let mut reader = csv::Reader::from_reader(body);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "kind",
            "date",
            "invoice_number",
            "debtor_id",
            "amount",
            "currency",
            "debit_account",
            "credit_account",
            "reference"
        ]
    );
    let mut sums = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        *sums.entry(row[0].to_owned()).or_insert(Decimal::ZERO) += dec(&row[4]);
    }
    sums
}

/// The DATEV batch read back: header checked, rows' sums per kind (by their accounts, SKR03).
fn datev_sums(body: &[u8], from: &str, to: &str) -> BTreeMap<String, Decimal> {
    // Windows-1252 agrees with Latin-1 on everything this file holds but the euro sign.
    let text: String = body.iter().map(|&b| if b == 0x80 { '€' } else { char::from(b) }).collect();
    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'), "CR LF line ends");
    let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    let header: Vec<&str> = lines[0].split(';').collect();
    assert_eq!(&header[..5], ["\"EXTF\"", "700", "21", "\"Buchungsstapel\"", "13"], "{}", lines[0]);
    assert_eq!((header[10], header[11], header[13]), ("1001", "1", "4"), "consultant, client, digits");
    assert_eq!((header[14], header[15]), (from, to), "the period");
    assert_eq!(header[26], "\"03\"", "SKR03");
    assert!(lines[1].starts_with("Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;"));
    assert!(lines[1].contains("Gegenkonto (ohne BU-Schlüssel)"), "an umlaut in Windows-1252");
    let kinds = BTreeMap::from([
        (("1200", "1400"), "payment"),
        (("1400", "2700"), "fee"),
        (("1400", "2650"), "interest"),
        (("8700", "1400"), "credit"),
        (("2400", "1400"), "write_off"),
    ]);
    let mut sums = BTreeMap::new();
    for row in &lines[2..] {
        let fields: Vec<&str> = row.split(';').collect();
        assert_eq!(fields.len(), 14, "{row}");
        assert_eq!((fields[1], fields[2]), ("\"S\"", "\"EUR\""), "{row}");
        assert!(fields[9].len() == 4 && fields[9].chars().all(|c| c.is_ascii_digit()), "DDMM: {row}");
        assert!(!fields[0].contains('.') && fields[0].contains(','), "a decimal comma: {row}");
        let kind = kinds.get(&(fields[6], fields[7])).unwrap_or_else(|| panic!("accounts of {row}"));
        *sums.entry((*kind).to_owned()).or_insert(Decimal::ZERO) += dec(&fields[0].replace(',', "."));
    }
    sums
}

async fn credits(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["K-1", "K-2", "K-3"] {
        let (status, answer) =
            console.call(Method::POST, "/api/v1/invoices", &key, Some(&invoice(number, "de"))).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;
    let pending = |number: &'static str| {
        let store = store.clone();
        async move {
            let reminders = store.reminders_of(A, number).await.unwrap();
            reminders
                .iter()
                .filter(|r| matches!(r.status, ReminderStatus::Scheduled | ReminderStatus::Queued))
                .count()
        }
    };
    assert_eq!(pending("K-2").await, 1, "K-2's first reminder waits for its hour");

    // Written off in full: the case closes, its pending reminder is cancelled, no more credit.
    let (status, written) = credit(&console, &key, ids[1], json!({"kind": "write_off"})).await;
    assert_eq!(status, StatusCode::OK, "{written}");
    assert_eq!(
        (
            &written["action"],
            &written["after"]["amount"],
            &written["after"]["state"],
            &written["after"]["open_amount"]
        ),
        (&json!("case.write_off"), &json!("129.90"), &json!("paid"), &json!("0.00"))
    );
    assert_eq!(store.case_by_invoice(A, "K-2").await.unwrap().unwrap().state, CaseState::Paid);
    assert_eq!(pending("K-2").await, 0, "the pending reminder was cancelled");
    let reminders = store.reminders_of(A, "K-2").await.unwrap();
    assert!(reminders.iter().any(|r| r.status == ReminderStatus::Cancelled), "{reminders:?}");
    let (status, _) = credit(&console, &key, ids[1], json!({"kind": "credit", "amount": "1.00"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a closed case takes no credit");
    let (_, export_k2) = console.call(Method::GET, "/api/v1/debtors/D-K-2/export", &key, None).await;
    let events = export_k2["cases"][0]["events"].as_array().unwrap();
    let recorded = events.iter().find(|e| e["kind"] == "payment.recorded").expect("payment.recorded");
    assert_eq!(
        (&recorded["data"]["source"], &recorded["data"]["case_closed"]),
        (&json!("write_off"), &json!(true))
    );

    // The others go on: two stages out (the second with a fee), interest running.
    let until = console.clock.now() + Days::days(10);
    live_until(store.as_ref(), &console.clock, until).await;
    assert_eq!(
        store.reminders_of(A, "K-2").await.unwrap(),
        reminders,
        "nothing more for the written-off case"
    );

    // Wrong credits are refused, naming the field, and change nothing.
    for (body, field) in [
        (json!({"amount": "10.00"}), "kind"),
        (json!({"kind": "gift"}), "kind"),
        (json!({"kind": "credit", "amount": "130.00"}), "amount"),
        (json!({"kind": "credit", "amount": "-1.00"}), "amount"),
        (json!({"kind": "credit", "amount": "1.001"}), "amount"),
    ] {
        let (status, answer) = credit(&console, &key, ids[0], body.clone()).await;
        assert_eq!(
            (status, &answer["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{body}: {answer}"
        );
    }

    // Half credited: half is open, dunning goes on.
    let (status, halved) = credit(&console, &key, ids[0], json!({"kind": "credit", "amount": "64.95"})).await;
    assert_eq!(status, StatusCode::OK, "{halved}");
    assert_eq!(halved["action"], "case.credit");
    assert_eq!(
        (&halved["before"]["open_amount"], &halved["after"]["open_amount"], &halved["after"]["state"]),
        (&json!("129.90"), &json!("64.95"), &json!("reminding"))
    );
    let (_, case) = console.call(Method::GET, &format!("/api/v1/cases/{}", ids[0]), &key, None).await;
    assert_eq!(
        (&case["case"]["state"], &case["case"]["amount_paid"]),
        (&json!("reminding"), &json!("64.95")),
        "{case}"
    );
    let timeline = case["timeline"].as_array().unwrap();
    let credited = timeline.iter().find(|e| e["kind"] == "payment").expect("the credit on the timeline");
    assert_eq!(
        (&credited["details"]["source"], &credited["details"]["amount"]),
        (&json!("credit"), &json!("64.95"))
    );
    // Stored as it was applied: a credit note lowers the principal only (§ 367 BGB orders what a
    // debtor pays, not what the creditor forgoes).
    assert_eq!(
        credited["details"]["allocations"],
        json!([{"invoice_number": "K-1", "rule": "stated", "costs": "0.00", "interest": "0.00", "principal": "64.95"}]),
        "{case}"
    );
    assert!(
        case["case"].get("default_on").is_some() && case["case"].get("default_ground").is_some(),
        "{case}"
    );
    assert!(
        timeline.iter().any(|e| e["kind"] == "operator" && e["details"]["action"] == "case.credit"),
        "{case}"
    );

    // The same reference twice changes nothing the second time; money paid is money paid.
    let once = json!({"kind": "credit", "amount": "10.00", "reference": "GS-1"});
    assert_eq!(credit(&console, &key, ids[2], once.clone()).await.0, StatusCode::OK);
    assert_eq!(credit(&console, &key, ids[2], once).await.0, StatusCode::CONFLICT);
    let paid = json!({"paid_at": console.clock.now().to_rfc3339(), "amount_paid": "20.00", "currency": "EUR",
                      "payment_reference": "bank-1"});
    let (status, answer) = console.call(Method::POST, "/api/v1/invoices/K-3/paid", &key, Some(&paid)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, audit) = console.call(Method::GET, "/api/v1/audit", &key, None).await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["case.credit", "case.credit", "case.write_off"]);

    // The bookings of the period, as CSV and as DATEV, add up to what happened.
    let (from, to) = ("2026-01-01", console.clock.now().date_naive());
    let (status, body) = export(&console, &key, &format!("from={from}&to={to}&format=csv")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let from_csv = csv_sums(&body);
    let (status, body) = export(&console, &key, &format!("from={from}&to={to}&format=datev")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let from_datev = datev_sums(&body, "20260101", &to.format("%Y%m%d").to_string());
    assert_eq!(from_csv, from_datev, "the two formats book the same");
    assert_eq!(from_csv["payment"], dec("20.00"));
    assert_eq!(from_csv["credit"], dec("74.95"));
    assert_eq!(from_csv["write_off"], dec("129.90"));
    // Fees and interest: what the legal engine says each claim owes at the end of the period (or
    // when it closed), the period having begun before anything was owed.
    let (mut fees, mut interest) = (Decimal::ZERO, Decimal::ZERO);
    for (number, &case_id) in ["K-1", "K-2", "K-3"].iter().zip(&ids) {
        let view = store.case_by_invoice(A, number).await.unwrap().unwrap();
        let last_day = if view.state == CaseState::Paid { written_on(&written) } else { to };
        let mut tx = store.begin().await.unwrap();
        let claim = tx.case_claim(case_id).await.unwrap().expect("the claim");
        drop(tx);
        let owed = claim.owed(&Germany::default(), last_day).unwrap().totals;
        if *number == "K-1" {
            // A credit note makes the claim smaller: it lowers the principal by all of its
            // 64.95 and leaves the fees and interest open (money paid would pay those first).
            assert_eq!(owed.open.principal, dec("64.95"), "{owed:?}");
            assert_eq!((owed.open.costs, owed.open.interest), (owed.fees, owed.interest), "{owed:?}");
        }
        fees += owed.fees;
        interest += owed.interest;
    }
    assert!(fees > Decimal::ZERO && interest > Decimal::ZERO, "fees {fees}, interest {interest}");
    assert_eq!((from_csv["fee"], from_csv["interest"]), (fees, interest));

    // The tenant's figures.
    let (status, stats) = console.call(Method::GET, "/api/v1/stats", &key, None).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!((&stats["cases"], &stats["open_cases"]), (&json!(3), &json!(2)), "{stats}");
    assert_eq!(
        (
            &stats["open"]["EUR"],
            &stats["collected"]["EUR"],
            &stats["credited"]["EUR"],
            &stats["written_off"]["EUR"]
        ),
        (&json!("164.85"), &json!("20.00"), &json!("74.95"), &json!("129.90")),
        "{stats}"
    );
    let days = (to - NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()).num_days() as f64;
    assert_eq!(stats["dso_days"], json!(days), "one payment, issued on 1 December");
    assert_eq!(stats["paid_share_by_stage"]["1"]["sent"], 2, "K-2 was written off before its first: {stats}");
    assert_eq!(stats["channel_cost"]["email"]["sent"], stats["paid_share_by_channel"]["email"]["sent"]);

    // Wrong queries name the field.
    for (query, field) in [
        ("format=xml", "format"),
        ("from=1.1.2026", "from"),
        ("from=2026-01-10&to=2026-01-01", "to"),
        ("from=2025-12-01&to=2026-01-10&format=datev", "to"),
    ] {
        let (status, body) = export(&console, &key, query).await;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        assert_eq!(
            (status, &answer["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{query}: {answer}"
        );
    }
    stop_roles(trigger, roles).await;
}

/// The day a write-off's audit entry was made.
fn written_on(entry: &Value) -> NaiveDate {
    let at: chrono::DateTime<chrono::Utc> = entry["at"].as_str().unwrap().parse().unwrap();
    at.date_naive()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_write_offs_and_bookings_on_sqlite() {
    credits(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_write_offs_and_bookings_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    credits(backend).await;
}
