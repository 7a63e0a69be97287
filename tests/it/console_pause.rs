//! Interventions through the console with every role running on a manual clock, on SQLite with
//! the in-process queue and on PostgreSQL with RabbitMQ: a paused case gets no reminder while the
//! scheduler runs through its send time and days beyond; resumed, its reminder goes out; the
//! audit log holds both with the state before and after, and the case's timeline shows them. A
//! Mahnstopp pauses every case of the debtor; corrected contact data are checked like intake's
//! and logged with before and after; a cancelled case is closed; a rescheduled case's next stage
//! waits until the chosen time.

use crate::console_api::{Auth, Console, A};
use crate::pay_page::invoice;
use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, KeyScope};
use mahnwerk::runtime::Clock;
use mahnwerk::store::ReminderStatus;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::scenario::{eventually, live_until, quiet, stop_roles};
use support::servers::Backend;

async fn sent(console: &Console, number: &str) -> usize {
    let reminders = console.store.reminders_of(A, number).await.unwrap();
    reminders.iter().filter(|r| r.status == ReminderStatus::Sent).count()
}

async fn state(console: &Console, number: &str) -> CaseState {
    console.store.case_by_invoice(A, number).await.unwrap().expect("the case").state
}

async fn interventions(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["C-1", "C-2", "C-3"] {
        let mut body = invoice(number, "de");
        if number == "C-3" {
            body["debtor"]["id"] = json!("D-C-2"); // C-2 and C-3 are one debtor's
        }
        let (status, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;
    let c1 = ids[0];

    // Paused before its first reminder's send time: nothing goes out, for days.
    let (status, paused) = console.call(Method::POST, &format!("/api/v1/cases/{c1}/pause"), &key, None).await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(
        (&paused["before"]["state"], &paused["after"]["state"]),
        (&json!("reminding"), &json!("paused"))
    );
    assert_eq!(paused["after"]["reminders_cancelled"], 1);
    assert_eq!(state(&console, "C-1").await, CaseState::Paused);
    let (status, again) = console.call(Method::POST, &format!("/api/v1/cases/{c1}/pause"), &key, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let until = console.clock.now() + Days::days(3);
    live_until(store.as_ref(), &console.clock, until).await;
    assert_eq!(sent(&console, "C-1").await, 0, "no reminder for a paused case");
    assert_eq!(sent(&console, "C-2").await, 1, "the others went on");
    assert_eq!(state(&console, "C-1").await, CaseState::Paused);

    // Resumed: its first stage is planned again and goes out.
    let (status, resumed) =
        console.call(Method::POST, &format!("/api/v1/cases/{c1}/resume"), &key, None).await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(
        (&resumed["before"]["state"], &resumed["after"]["state"]),
        (&json!("paused"), &json!("reminding"))
    );
    let until = console.clock.now() + Days::days(2);
    live_until(store.as_ref(), &console.clock, until).await;
    assert_eq!(sent(&console, "C-1").await, 1, "the resumed case's reminder went out");

    // The audit log, newest first, and the case's timeline.
    let (status, audit) = console.call(Method::GET, "/api/v1/audit", &key, None).await;
    assert_eq!(status, StatusCode::OK);
    let entries = audit["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["case.resume", "case.pause"]);
    for entry in entries {
        assert_eq!(entry["case_id"], c1);
        assert!(entry["actor"].as_str().unwrap().starts_with("key:mwk_"), "{entry}");
        assert!(entry["before"]["state"].is_string() && entry["after"]["state"].is_string(), "{entry}");
    }
    let (status, detail) = console.call(Method::GET, &format!("/api/v1/cases/{c1}"), &key, None).await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<&str> =
        detail["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"intake"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "operator").count(), 2, "{kinds:?}");
    let reminders: Vec<&Value> =
        detail["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "reminder").collect();
    let sent_one = reminders.iter().find(|r| r["details"]["status"] == "sent").expect("the sent reminder");
    for field in ["channel", "send_at", "policy_version", "propensity", "stage"] {
        assert!(!sent_one["details"][field].is_null(), "{field} in {sent_one}");
    }

    // The case list: filters and pages.
    let (_, page) = console.call(Method::GET, "/api/v1/cases?limit=2", &key, None).await;
    assert_eq!(page["cases"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, rest) =
        console.call(Method::GET, &format!("/api/v1/cases?limit=2&cursor={cursor}"), &key, None).await;
    assert_eq!(rest["cases"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    let (_, found) = console.call(Method::GET, "/api/v1/cases?q=c-3", &key, None).await;
    assert_eq!(found["cases"][0]["invoice_number"], "C-3");
    // A debtor's id and a debtor's name find their cases too.
    let (_, found) = console.call(Method::GET, "/api/v1/cases?q=d-c-2", &key, None).await;
    let debtors: Vec<&Value> = found["cases"].as_array().unwrap().iter().map(|c| &c["debtor_id"]).collect();
    assert_eq!(debtors, [&json!("D-C-2"), &json!("D-C-2")], "{found}");
    let (_, found) = console.call(Method::GET, "/api/v1/cases?q=MUSTERMANN", &key, None).await;
    assert_eq!(found["cases"].as_array().unwrap().len(), 3, "{found}");
    let (_, found) = console
        .call(
            Method::GET,
            "/api/v1/cases?channel=email&min_amount=100&max_amount=200&min_days_overdue=1",
            &key,
            None,
        )
        .await;
    assert_eq!(found["cases"].as_array().unwrap().len(), 3, "{found}");
    let (_, none) = console.call(Method::GET, "/api/v1/cases?state=paid", &key, None).await;
    assert_eq!(none["cases"].as_array().unwrap().len(), 0);
    let (status, wrong) = console.call(Method::GET, "/api/v1/cases?min_amount=lots", &key, None).await;
    assert_eq!((status, &wrong["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("min_amount")));

    // Mahnstopp: both of D-C-2's cases pause.
    let (status, stop) = console.call(Method::POST, "/api/v1/debtors/D-C-2/stop", &key, None).await;
    assert_eq!(status, StatusCode::OK, "{stop}");
    assert_eq!(stop["after"]["paused_cases"], json!([ids[1], ids[2]]));
    assert_eq!(
        (state(&console, "C-2").await, state(&console, "C-3").await),
        (CaseState::Paused, CaseState::Paused)
    );

    // Contact data: checked like intake's, logged with before and after.
    let contact = "/api/v1/debtors/D-C-2/contact";
    let (status, refused) =
        console.call(Method::POST, contact, &key, Some(&json!({"phone": "0151 123"}))).await;
    assert_eq!((status, &refused["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("phone")));
    let edit = json!({"phone": "+4915112345678", "email": "new@example.org"});
    let (status, edited) = console.call(Method::POST, contact, &key, Some(&edit)).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["before"]["email"], "C-3@example.org", "the newest invoice's address");
    assert_eq!(
        (&edited["after"]["email"], &edited["after"]["phone"]),
        (&json!("new@example.org"), &json!("+4915112345678"))
    );
    let (_, debtor) = console.call(Method::GET, "/api/v1/debtors/D-C-2", &key, None).await;
    assert_eq!(debtor["debtor"]["phone"], "+4915112345678");
    assert_eq!(debtor["cases"].as_array().unwrap().len(), 2);
    assert_eq!(debtor["channel_permitted"]["email"], true);
    assert_eq!(debtor["channel_permitted"]["whatsapp"], false, "WhatsApp needs an opt-in");

    // Cancel: closed, and cannot be cancelled twice.
    let cancel = format!("/api/v1/cases/{}/cancel", ids[1]);
    let (status, cancelled) = console.call(Method::POST, &cancel, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(state(&console, "C-2").await, CaseState::Cancelled);
    assert_eq!(console.call(Method::POST, &cancel, &key, None).await.0, StatusCode::CONFLICT);

    // Rescheduled: C-1's next stage waits until the chosen time, then goes out.
    let reschedule = format!("/api/v1/cases/{c1}/reschedule");
    let past = (console.clock.now() - Days::hours(1)).to_rfc3339();
    for (body, what) in
        [(json!({}), "missing"), (json!({"at": "tomorrow"}), "not a time"), (json!({"at": past}), "past")]
    {
        let (status, refused) = console.call(Method::POST, &reschedule, &key, Some(&body)).await;
        assert_eq!((status, &refused["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("at")), "{what}");
    }
    let c1_sent = sent(&console, "C-1").await;
    let at = console.clock.now() + Days::days(12);
    let (status, moved) =
        console.call(Method::POST, &reschedule, &key, Some(&json!({"at": at.to_rfc3339()}))).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["action"], "case.reschedule");
    assert!(
        moved["before"]["next_action_at"].is_string() && moved["after"]["next_action_at"].is_string(),
        "{moved}"
    );
    live_until(store.as_ref(), &console.clock, at - Days::hours(1)).await;
    assert_eq!(
        sent(&console, "C-1").await,
        c1_sent,
        "nothing before the chosen time (the plan's was earlier)"
    );
    live_until(store.as_ref(), &console.clock, at + Days::days(2)).await;
    assert_eq!(sent(&console, "C-1").await, c1_sent + 1, "the next stage went out after it");
    let paused_case = format!("/api/v1/cases/{}/reschedule", ids[2]);
    let later = json!({"at": (console.clock.now() + Days::days(1)).to_rfc3339()});
    let (status, _) = console.call(Method::POST, &paused_case, &key, Some(&later)).await;
    assert_eq!(status, StatusCode::CONFLICT, "a paused case takes no reminders to reschedule");
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interventions_on_sqlite() {
    interventions(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interventions_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    interventions(backend).await;
}
