//! The interventions that steer a case's course, through the console's API with every role
//! running on a manual clock, on SQLite with the in-process queue and on PostgreSQL with
//! RabbitMQ: escalate now (the plan's own escalation: state, claim statement, nothing more goes
//! out), resend the current stage on a chosen channel (only where the planner would offer it; a
//! refusal names its reason), switch plan (an unknown plan is named; the next stage follows the
//! new plan), mark disputed and resolve (the pay-page's rule). Each is in the audit log with
//! before and after; a read-only caller gets 403 and another tenant 404, changing nothing.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, ChannelKind, KeyScope, TenantId};
use mahnwerk::runtime::Clock;
use mahnwerk::store::ReminderStatus;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::scenario::{eventually, live_until, quiet, stop_roles};
use support::servers::Backend;

/// Sent reminders of `number` on `channel`.
async fn sent_on(console: &Console, number: &str, channel: ChannelKind) -> usize {
    let reminders = console.store.reminders_of(A, number).await.unwrap();
    reminders.iter().filter(|r| r.status == ReminderStatus::Sent && r.channel == channel).count()
}

async fn state(console: &Console, number: &str) -> CaseState {
    console.store.case_by_invoice(A, number).await.unwrap().expect("the case").state
}

/// A call that must be refused with `status`, naming `field` if given; returns the error text.
async fn refused(
    console: &Console,
    path: &str,
    key: &Auth,
    body: Value,
    status: StatusCode,
    field: Option<&str>,
) -> String {
    let (got, answer) = console.call(Method::POST, path, key, Some(&body)).await;
    assert_eq!(got, status, "{path} {body}: {answer}");
    if let Some(field) = field {
        assert_eq!(answer["field"], field, "{path} {body}: {answer}");
    }
    answer["error"].as_str().unwrap_or_default().to_owned()
}

async fn steering(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::All).await;
    let store = console.store.clone();
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let read = Auth::Key(console.key(A, KeyScope::Read).await);
    let other = Auth::Key(console.key(B, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["S-1", "S-2", "S-3"] {
        let mut body = invoice(number, "de");
        body["debtor"]["phone"] = json!("+4915112345678");
        let (status, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    let (resend, plan, escalate) = (
        format!("/api/v1/cases/{}/resend", ids[0]),
        format!("/api/v1/cases/{}/plan", ids[0]),
        format!("/api/v1/cases/{}/escalate", ids[1]),
    );
    let (dispute, resolve) =
        (format!("/api/v1/cases/{}/dispute", ids[2]), format!("/api/v1/cases/{}/resolve-dispute", ids[2]));

    eventually("the first stage planned", || async { quiet(store.as_ref(), console.clock.now()).await })
        .await;

    // Read-only callers and another tenant change nothing, whatever they ask.
    let asks = [
        (&resend, json!({"channel": "sms"})),
        (&plan, json!({"plan": "standard-b2c"})),
        (&escalate, json!({})),
        (&dispute, json!({"reason": "defective"})),
        (&resolve, json!({"resolution": "claim_stands"})),
    ];
    for (path, body) in &asks {
        refused(&console, path, &read, body.clone(), StatusCode::FORBIDDEN, None).await;
        refused(&console, path, &other, body.clone(), StatusCode::NOT_FOUND, None).await;
    }
    let (_, audit) = console.call(Method::GET, "/api/v1/audit", &key, None).await;
    assert_eq!(audit["entries"], json!([]), "nothing was recorded");
    for number in ["S-1", "S-2", "S-3"] {
        assert_eq!(state(&console, number).await, CaseState::Reminding, "{number}");
    }

    // Escalate now: as when the plan runs out; its first reminder never goes out.
    let (status, escalated) = console.call(Method::POST, &escalate, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{escalated}");
    assert_eq!(escalated["action"], "case.escalate");
    assert_eq!(
        (&escalated["before"]["state"], &escalated["after"]["state"]),
        (&json!("reminding"), &json!("escalated"))
    );
    assert_eq!(escalated["after"]["reminders_cancelled"], 1);
    assert_eq!(state(&console, "S-2").await, CaseState::Escalated);
    let mut tx = store.begin().await.unwrap();
    let statements = tx.escalated_statements(Some(&TenantId::parse(A).unwrap()), None).await.unwrap();
    drop(tx);
    assert_eq!(statements.iter().map(|s| s.case_id).collect::<Vec<_>>(), [ids[1]], "its claim statement");
    refused(&console, &escalate, &key, json!({}), StatusCode::CONFLICT, None).await;

    // Mark disputed and resolve, with the pay-page's rule.
    refused(&console, &dispute, &key, json!({}), StatusCode::UNPROCESSABLE_ENTITY, Some("reason")).await;
    let why = refused(
        &console,
        &dispute,
        &key,
        json!({"reason": "too_expensive"}),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    assert!(why.contains("not_received"), "the valid reasons are named: {why}");
    let (status, disputed) = console
        .call(
            Method::POST,
            &dispute,
            &key,
            Some(&json!({"reason": "defective", "details": "arrived broken"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{disputed}");
    assert_eq!(
        (&disputed["before"]["state"], &disputed["after"]["state"], &disputed["after"]["reason"]),
        (&json!("reminding"), &json!("disputed"), &json!("defective"))
    );
    assert_eq!(state(&console, "S-3").await, CaseState::Disputed);
    refused(&console, &dispute, &key, json!({"reason": "other"}), StatusCode::CONFLICT, None).await;
    let resend_s3 = format!("/api/v1/cases/{}/resend", ids[2]);
    refused(&console, &resend_s3, &key, json!({"channel": "email"}), StatusCode::CONFLICT, None).await;
    let (_, detail) = console.call(Method::GET, &format!("/api/v1/cases/{}", ids[2]), &key, None).await;
    let dispute_entry =
        detail["timeline"].as_array().unwrap().iter().find(|e| e["kind"] == "dispute").cloned();
    assert_eq!(dispute_entry.expect("the dispute on the timeline")["details"]["details"], "arrived broken");
    refused(
        &console,
        &resolve,
        &key,
        json!({"resolution": "maybe"}),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("resolution"),
    )
    .await;
    let (status, resolved) = console
        .call(Method::POST, &resolve, &key, Some(&json!({"resolution": "claim_stands", "note": "checked"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(
        (&resolved["before"]["state"], &resolved["after"]["state"]),
        (&json!("disputed"), &json!("reminding"))
    );
    assert_eq!(state(&console, "S-3").await, CaseState::Reminding);
    refused(&console, &resolve, &key, json!({"resolution": "claim_stands"}), StatusCode::CONFLICT, None)
        .await;

    // The first stage goes out by email (the tenant's plan: three emails).
    live_until(store.as_ref(), &console.clock, console.clock.now() + Days::days(1)).await;
    assert_eq!(sent_on(&console, "S-1", ChannelKind::Email).await, 1);
    assert_eq!(sent_on(&console, "S-2", ChannelKind::Email).await, 0, "escalated before its send time");

    // Resend: the plan's channels only, once per stage and channel; each refusal says why.
    refused(&console, &resend, &key, json!({}), StatusCode::UNPROCESSABLE_ENTITY, Some("channel")).await;
    refused(
        &console,
        &resend,
        &key,
        json!({"channel": "fax"}),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("channel"),
    )
    .await;
    let why = refused(
        &console,
        &resend,
        &key,
        json!({"channel": "sms"}),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("channel"),
    )
    .await;
    assert!(why.contains("does not allow"), "{why}");
    let why = refused(&console, &resend, &key, json!({"channel": "email"}), StatusCode::CONFLICT, None).await;
    assert!(why.contains("already"), "{why}");

    // Switch plan: an unknown one is named with the known ones; the built-in plan allows SMS.
    let why = refused(
        &console,
        &plan,
        &key,
        json!({"plan": "gentle"}),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("plan"),
    )
    .await;
    assert!(why.contains("standard-b2c"), "the known plans are named: {why}");
    let (status, switched) =
        console.call(Method::POST, &plan, &key, Some(&json!({"plan": "standard-b2c"}))).await;
    assert_eq!(status, StatusCode::OK, "{switched}");
    assert_eq!(
        (&switched["before"]["plan"], &switched["after"]["plan"]),
        (&json!("three-emails"), &json!("standard-b2c"))
    );
    let (_, case) = console.call(Method::GET, &format!("/api/v1/cases/{}", ids[0]), &key, None).await;
    assert_eq!(case["case"]["plan"], "standard-b2c", "{case}");
    refused(&console, &plan, &key, json!({"plan": "standard-b2c"}), StatusCode::CONFLICT, None).await;

    // Under it: WhatsApp needs an opt-in; a letter is only the stage's fallback (email reaches
    // the debtor); SMS goes out by the usual path.
    let why = refused(
        &console,
        &resend,
        &key,
        json!({"channel": "whatsapp"}),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("channel"),
    )
    .await;
    assert!(why.contains("no address") || why.contains("opt-in"), "{why}");
    let (status, resent) = console.call(Method::POST, &resend, &key, Some(&json!({"channel": "sms"}))).await;
    assert_eq!(status, StatusCode::OK, "{resent}");
    assert_eq!((&resent["action"], &resent["after"]["channel"]), (&json!("case.resend"), &json!("sms")));
    let send_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(resent["after"]["send_at"].clone()).expect("the send time");
    assert!(send_at >= console.clock.now(), "{resent}");
    live_until(store.as_ref(), &console.clock, send_at + Days::hours(1)).await;
    assert_eq!(sent_on(&console, "S-1", ChannelKind::Sms).await, 1, "the resent reminder went out by SMS");
    refused(&console, &resend, &key, json!({"channel": "sms"}), StatusCode::CONFLICT, None).await;

    // The audit log holds every intervention, newest first, each with before and after.
    let (_, audit) = console.call(Method::GET, "/api/v1/audit", &key, None).await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["case.resend", "case.plan", "case.resolve_dispute", "case.dispute", "case.escalate"]
    );
    for entry in audit["entries"].as_array().unwrap() {
        assert!(entry["before"].is_object() && entry["after"].is_object(), "{entry}");
    }

    // Withdrawn after a second dispute: the case is cancelled.
    console.call(Method::POST, &dispute, &key, Some(&json!({"reason": "already_paid"}))).await;
    let (status, withdrawn) =
        console.call(Method::POST, &resolve, &key, Some(&json!({"resolution": "claim_withdrawn"}))).await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["after"]["state"], "cancelled");
    assert_eq!(state(&console, "S-3").await, CaseState::Cancelled);
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steering_a_case_on_sqlite() {
    steering(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steering_a_case_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    steering(backend).await;
}

/// The case page offers each intervention behind a confirmation (a `<details>` with a
/// "Confirm" button, no script), posts it with the session's CSRF token, and says why when one
/// is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_confirms_each_intervention() {
    use mahnwerk::domain::OperatorRole;
    let backend = Backend::embedded().await;
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let (_, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&invoice("P-1", "de"))).await;
    let id = answer["case_id"].as_i64().unwrap();
    console.operator(A, "agent@paytest.example", OperatorRole::Agent, "a long enough password").await;
    let (cookie, csrf) = console.login(A, "agent@paytest.example", "a long enough password").await;
    let page = |path: String| {
        let request = console.http.get(console.url(&path)).header("cookie", &cookie);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let post = |action: &str, form: Vec<(&str, &str)>| {
        let request = console
            .http
            .post(console.url(&format!("/console/cases/{id}/{action}")))
            .header("cookie", &cookie)
            .form(&form);
        async move {
            let response = request.send().await.unwrap();
            let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            (response.status(), location, response.text().await.unwrap())
        }
    };

    let (status, html) = page(format!("/console/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for offered in
        ["Escalate now…", "Resend a reminder…", "Switch plan…", "Mark disputed…", "Confirm: escalate"]
    {
        assert!(html.contains(offered), "{offered} offered");
    }
    assert!(!html.contains("Resolve the dispute…"), "no dispute to resolve yet");
    // A plain invoice without a reminder: no default yet. One payable by the calendar date
    // 2 January 2026 is in default from the 3rd, stored when it arrived (§ 286 (2) Nr. 1 BGB).
    assert!(html.contains("In default since</dt><dd>not fixed yet"), "{html}");
    let mut by_calendar = invoice("P-2", "de");
    by_calendar["due_by_calendar"] = serde_json::json!(true);
    let (_, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&by_calendar)).await;
    let (_, html) = page(format!("/console/cases/{}", answer["case_id"].as_i64().unwrap())).await;
    assert!(
        html.contains("In default since</dt><dd>2026-01-03 (calendar due date, § 286 (2) no. 1 BGB)"),
        "{html}"
    );

    // Without the session's token nothing happens.
    let (status, _, _) = post("dispute", vec![("csrf_token", "forged"), ("reason", "defective")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(state(&console, "P-1").await, CaseState::Open);

    // A wrong field: the page says which and why.
    let (status, _, html) = post("plan", vec![("csrf_token", &csrf), ("plan", "gentle")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Not done: plan: unknown plan"), "{html}");

    // Disputed with a confirmation, then resolved: post/redirect/get, with the notice.
    let (status, location, _) =
        post("dispute", vec![("csrf_token", &csrf), ("reason", "defective"), ("details", "broken")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(format!("/console/cases/{id}?done=dispute").as_str()));
    assert_eq!(state(&console, "P-1").await, CaseState::Disputed);
    let (_, html) = page(format!("/console/cases/{id}?done=dispute")).await;
    assert!(html.contains("The case is marked disputed"), "{html}");
    assert!(html.contains("Resolve the dispute…") && !html.contains("Mark disputed…"), "{html}");
    let (status, _, _) =
        post("resolve-dispute", vec![("csrf_token", &csrf), ("resolution", "claim_stands")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, _, _) = post("plan", vec![("csrf_token", &csrf), ("plan", "standard-b2c")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = post("escalate", vec![("csrf_token", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(state(&console, "P-1").await, CaseState::Escalated);
    // Refused by the case's state: the page says why, and offers no more steering.
    let (status, _, html) = post("escalate", vec![("csrf_token", &csrf)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Not done: a case that is escalated cannot be escalated"), "{html}");
    assert!(!html.contains("Escalate now…") && !html.contains("Switch plan…"), "{html}");
    let (_, audit) = console.call(Method::GET, "/api/v1/audit", &key, None).await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["case.escalate", "case.plan", "case.resolve_dispute", "case.dispute"]);
    assert!(audit["entries"][0]["actor"].as_str().unwrap().starts_with("operator:agent@"), "{audit}");

    // A viewer sees the case but no intervention.
    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, "a long enough password").await;
    let (viewer, _) = console.login(A, "viewer@paytest.example", "a long enough password").await;
    let response = console
        .http
        .get(console.url(&format!("/console/cases/{id}")))
        .header("cookie", viewer)
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert!(html.contains("P-1") && !html.contains("Confirm:"), "{html}");
    stop_roles(trigger, roles).await;
}
