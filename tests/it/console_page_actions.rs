//! The case page's buttons for reschedule, credit or write-off, contact data and cancel, on
//! SQLite with the in-process queue and on PostgreSQL with RabbitMQ: each posted form (with the
//! session's CSRF token) changes the case as its JSON route does, read back through the store,
//! and is in the audit log with the operator as actor; a wrong field is named on the page; a
//! viewer gets 403 and an agent of another tenant 404, changing nothing.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use chrono::{TimeZone, Utc};
use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, DebtorId, KeyScope, OperatorRole, TenantId};
use mahnwerk::store::console::AuditFilter;
use mahnwerk::store::CaseView;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";

/// What a posted form was answered: status, where it redirects, the page.
struct Answer {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

async fn post(console: &Console, cookie: &str, path: &str, form: &[(&str, &str)]) -> Answer {
    let response =
        console.http.post(console.url(path)).header("cookie", cookie).form(form).send().await.unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    Answer { status: response.status(), location, html: response.text().await.unwrap() }
}

async fn get(console: &Console, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = console.http.get(console.url(path)).header("cookie", cookie).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn case(console: &Console, number: &str) -> CaseView {
    console.store.case_by_invoice(A, number).await.unwrap().expect("the case")
}

async fn page_actions(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["Q-1", "Q-2"] {
        let (status, answer) =
            console.call(Method::POST, "/api/v1/invoices", &key, Some(&invoice(number, "de"))).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    let (q1, q2) = (format!("/console/cases/{}", ids[0]), format!("/console/cases/{}", ids[1]));
    for (tenant, email, role) in [
        (A, "agent@paytest.example", OperatorRole::Agent),
        (A, "viewer@paytest.example", OperatorRole::Viewer),
        (B, "agent@other.example", OperatorRole::Agent),
    ] {
        console.operator(tenant, email, role, PASSWORD).await;
    }
    let (agent, csrf) = console.login(A, "agent@paytest.example", PASSWORD).await;
    let (viewer, viewer_csrf) = console.login(A, "viewer@paytest.example", PASSWORD).await;
    let (other, other_csrf) = console.login(B, "agent@other.example", PASSWORD).await;

    let (status, html) = get(&console, &agent, &q1).await;
    assert_eq!(status, StatusCode::OK);
    for offered in [
        "Reschedule the next reminder…",
        "Credit or write off…",
        "Cancel the case…",
        "Correct the debtor&#x27;s contact data…",
        r#"value="Q-1@example.org""#,
        "Confirm: cancel the case",
    ] {
        assert!(html.contains(offered), "{offered} offered: {html}");
    }
    let (_, html) = get(&console, &viewer, &q1).await;
    assert!(
        html.contains("Q-1") && !html.contains("Confirm:") && !html.contains("Q-1@example.org"),
        "{html}"
    );

    // A viewer is forbidden, another tenant's agent finds nothing; nothing changes.
    let asks: [(&str, Vec<(&str, &str)>); 4] = [
        ("reschedule", vec![("at", "2026-01-20T09:30")]),
        ("credit", vec![("kind", "credit"), ("amount", "10.00")]),
        ("contact", vec![("email", "x@example.org")]),
        ("cancel", vec![]),
    ];
    for (action, fields) in &asks {
        let path = format!("{q1}/{action}");
        for (cookie, token, expected, who) in [
            (&viewer, viewer_csrf.as_str(), StatusCode::FORBIDDEN, "a viewer"),
            (&other, other_csrf.as_str(), StatusCode::NOT_FOUND, "another tenant's agent"),
            (&agent, "forged", StatusCode::FORBIDDEN, "an agent without the session's token"),
        ] {
            let mut form = vec![("csrf_token", token)];
            form.extend(fields.iter().copied());
            let answer = post(&console, cookie, &path, &form).await;
            assert_eq!(answer.status, expected, "{action} by {who}");
        }
    }
    let before = case(&console, "Q-1").await;
    assert_eq!((before.state, before.amount_paid), (CaseState::Open, Decimal::ZERO));
    let tenant = TenantId::parse(A).unwrap();
    let mut tx = console.store.begin().await.unwrap();
    assert!(
        tx.audit_log(&tenant, &AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap().is_empty(),
        "nothing was recorded"
    );
    drop(tx);

    // Reschedule: the page's date-time is UTC; a wrong or past one is named.
    let reschedule = format!("{q1}/reschedule");
    let answer = post(&console, &agent, &reschedule, &[("csrf_token", &csrf), ("at", "soon")]).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.html.contains("Not done: at: &#x27;soon&#x27; is not an RFC 3339 time"),
        "{}",
        answer.html
    );
    let answer =
        post(&console, &agent, &reschedule, &[("csrf_token", &csrf), ("at", "2026-01-04T09:00")]).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.html.contains("Not done: at: must be in the future"), "{}", answer.html);
    let answer =
        post(&console, &agent, &reschedule, &[("csrf_token", &csrf), ("at", "2026-01-20T09:30")]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    assert_eq!(answer.location.as_deref(), Some(format!("{q1}?done=reschedule").as_str()));
    let moved = case(&console, "Q-1").await;
    assert_eq!(moved.next_action_at, Some(Utc.with_ymd_and_hms(2026, 1, 20, 9, 30, 0).unwrap()));
    let (_, html) = get(&console, &agent, &format!("{q1}?done=reschedule")).await;
    assert!(html.contains("The next reminder is rescheduled."), "{html}");

    // Contact data: checked by the intake's parsers; an emptied field is cleared.
    let contact = format!("{q1}/contact");
    let full = |phone: &'static str| {
        vec![("email", "new@example.org"), ("phone", phone), ("whatsapp", ""), ("messenger_psid", "")]
    };
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend(full("0151 123"));
    let answer = post(&console, &agent, &contact, &form).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.html.contains("Not done: phone:"), "{}", answer.html);
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend(full("+4915112345678"));
    let answer = post(&console, &agent, &contact, &form).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    let debtor = DebtorId::parse("D-Q-1").unwrap();
    let mut tx = console.store.begin().await.unwrap();
    let stored = tx.tenant_debtor(&tenant, &debtor).await.unwrap().expect("the debtor");
    drop(tx);
    assert_eq!(
        (stored.email.as_deref(), stored.phone.as_deref(), stored.whatsapp.as_deref()),
        (Some("new@example.org"), Some("+4915112345678"), None)
    );
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend(full("+4915112345678"));
    form[1] = ("email", "");
    let answer = post(&console, &agent, &contact, &form).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    let mut tx = console.store.begin().await.unwrap();
    let stored = tx.tenant_debtor(&tenant, &debtor).await.unwrap().expect("the debtor");
    drop(tx);
    assert_eq!((stored.email, stored.phone.as_deref()), (None, Some("+4915112345678")), "emptied: cleared");

    // Credit half, refused twice naming the field, the same form twice books once; then write
    // off the rest, which closes the case.
    let credit = format!("{q1}/credit");
    for (kind, amount, field) in
        [("credit", "lots", "amount"), ("gift", "10.00", "kind"), ("credit", "500.00", "amount")]
    {
        let form = [("csrf_token", csrf.as_str()), ("kind", kind), ("amount", amount), ("reference", "CN-1")];
        let answer = post(&console, &agent, &credit, &form).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind} {amount}");
        assert!(answer.html.contains(&format!("Not done: {field}:")), "{field}: {}", answer.html);
    }
    let half =
        [("csrf_token", csrf.as_str()), ("kind", "credit"), ("amount", "64.95"), ("reference", "CN-1")];
    let answer = post(&console, &agent, &credit, &half).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    let answer = post(&console, &agent, &credit, &half).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "the same form again");
    assert!(answer.html.contains("CN-1"), "{}", answer.html);
    let credited = case(&console, "Q-1").await;
    assert_eq!((credited.state, credited.amount_paid), (CaseState::Open, "64.95".parse().unwrap()));
    let rest = [("csrf_token", csrf.as_str()), ("kind", "write_off"), ("amount", ""), ("reference", "")];
    let answer = post(&console, &agent, &credit, &rest).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    let closed = case(&console, "Q-1").await;
    assert_eq!((closed.state, closed.amount_paid), (CaseState::Paid, "129.90".parse().unwrap()));
    let (_, html) = get(&console, &agent, &format!("{q1}?done=credit")).await;
    assert!(html.contains("The credit is booked.") && !html.contains("Credit or write off…"), "{html}");

    // Cancel: closed; a second time is refused by the case's state, said on the page.
    let cancel = format!("{q2}/cancel");
    let answer = post(&console, &agent, &cancel, &[("csrf_token", &csrf)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    assert_eq!(answer.location.as_deref(), Some(format!("{q2}?done=cancel").as_str()));
    assert_eq!(case(&console, "Q-2").await.state, CaseState::Cancelled);
    let answer = post(&console, &agent, &cancel, &[("csrf_token", &csrf)]).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(
        answer.html.contains("Not done: a case that is cancelled cannot be cancelled"),
        "{}",
        answer.html
    );

    // Each in the audit log, by the operator, with before and after.
    let mut tx = console.store.begin().await.unwrap();
    let audit = tx.audit_log(&tenant, &AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap();
    drop(tx);
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "case.cancel",
            "case.write_off",
            "case.credit",
            "debtor.contact",
            "debtor.contact",
            "case.reschedule"
        ]
    );
    assert!(audit.iter().all(|e| e.actor == "operator:agent@paytest.example"), "{audit:?}");
    assert_eq!((&audit[0].before["state"], &audit[0].after["state"]), (&"open".into(), &"cancelled".into()));
    assert_eq!(
        (&audit[2].before["open_amount"], &audit[2].after["open_amount"]),
        (&"129.90".into(), &"64.95".into())
    );
    assert_eq!(audit[4].before["email"], "Q-1@example.org");
    assert_eq!(audit[5].after["next_action_at"], "2026-01-20T09:30:00Z");

    // The German page says it in words: the state, the timeline's kinds and actions.
    let (_, html) = get(&console, &agent, &format!("{q2}?lang=de")).await;
    assert!(html.contains(r#"<span class="state cancelled">storniert</span>"#), "{html}");
    assert!(html.contains("<td>Eingriff</td>") && html.contains("Fall storniert durch operator:"), "{html}");
    assert!(!html.contains("case.cancel") && !html.contains(">cancelled<"), "no identifiers: {html}");
    let (_, html) = get(&console, &agent, &format!("{q1}?lang=en")).await;
    assert!(html.contains("<td>operator action</td>") && html.contains("written off by operator:"), "{html}");
    assert!(html.contains("EUR (credit)") && html.contains("EUR (write-off)"), "{html}");
    // Amounts as German writes them on the German page, as the English page keeps the API's.
    assert!(html.contains("<dd>129.90 EUR"), "{html}");
    let (_, html) = get(&console, &agent, &format!("{q1}?lang=de")).await;
    assert!(html.contains("<dd>129,90 €"), "{html}");
    assert!(html.contains("€ (Gutschrift)") && html.contains("€ (Abschreibung)"), "{html}");
    assert!(!html.contains(" EUR"), "no amount the English way: {html}");
    support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_cancels_reschedules_credits_and_corrects_contact_data_on_sqlite() {
    page_actions(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_cancels_reschedules_credits_and_corrects_contact_data_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    page_actions(backend).await;
}
