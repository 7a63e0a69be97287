//! Lifting a Mahnstopp, on SQLite and on PostgreSQL: `DELETE /api/v1/debtors/{id}/stop` resumes
//! exactly the cases the Mahnstopp in force paused and still holds (not a case an operator
//! paused again on its own, not one cancelled since), with one audit entry; lifting when none is
//! in force is 409 naming it and writes nothing; viewers and read keys get 403, another tenant
//! 404, no credentials 401. The debtor page's confirmed button does the same.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, KeyScope, OperatorRole, TenantId};
use mahnwerk::store::console::{AuditEntry, AuditFilter};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";
const DEBTOR: &str = "D-LIFT";
const STOP: &str = "/api/v1/debtors/D-LIFT/stop";

async fn state_of(console: &Console, number: &str) -> CaseState {
    console.store.case_by_invoice(A, number).await.unwrap().expect("the case").state
}

async fn states(console: &Console) -> Vec<CaseState> {
    let mut states = Vec::new();
    for number in ["L-1", "L-2", "L-3", "L-4"] {
        states.push(state_of(console, number).await);
    }
    states
}

/// Tenant A's whole audit log, newest first.
async fn audit(console: &Console) -> Vec<AuditEntry> {
    let tenant = TenantId::parse(A).unwrap();
    let mut tx = console.store.begin().await.unwrap();
    let all = AuditFilter { limit: 1000, ..AuditFilter::default() };
    tx.audit_log(&tenant, &all).await.unwrap()
}

async fn lifting(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let read_key = Auth::Key(console.key(A, KeyScope::Read).await);
    let other_key = Auth::Key(console.key(B, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["L-1", "L-2", "L-3", "L-4"] {
        let mut body = invoice(number, "de");
        body["debtor"]["id"] = DEBTOR.into();
        let (status, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    let case = |i: usize, action: &str| format!("/api/v1/cases/{}/{action}", ids[i]);
    assert_eq!(console.call(Method::POST, &case(3, "cancel"), &key, None).await.0, StatusCode::OK);
    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, PASSWORD).await;
    let (cookie, csrf) = console.login(A, "viewer@paytest.example", PASSWORD).await;
    let viewer = Auth::Session { cookie, csrf };

    // No Mahnstopp yet: 409 naming it, nothing written.
    let entries = audit(&console).await.len();
    let (status, refused) = console.call(Method::DELETE, STOP, &key, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"], "no Mahnstopp is in force for the debtor");
    assert_eq!(audit(&console).await.len(), entries);

    // The Mahnstopp pauses L-1..L-3; then L-2 is resumed and paused again by an operator (for
    // another reason), and L-3 is cancelled.
    let (status, stop) = console.call(Method::POST, STOP, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{stop}");
    assert_eq!(stop["after"]["paused_cases"], json!([ids[0], ids[1], ids[2]]));
    for action in ["resume", "pause"] {
        assert_eq!(console.call(Method::POST, &case(1, action), &key, None).await.0, StatusCode::OK);
    }
    assert_eq!(console.call(Method::POST, &case(2, "cancel"), &key, None).await.0, StatusCode::OK);
    let held = vec![CaseState::Paused, CaseState::Paused, CaseState::Cancelled, CaseState::Cancelled];
    assert_eq!(states(&console).await, held);

    // Who may not lift it: nothing changes.
    let entries = audit(&console).await.len();
    for (auth, expected, who) in [
        (Auth::None, StatusCode::UNAUTHORIZED, "no credentials"),
        (read_key.clone(), StatusCode::FORBIDDEN, "a read key"),
        (viewer.clone(), StatusCode::FORBIDDEN, "a viewer"),
        (other_key.clone(), StatusCode::NOT_FOUND, "another tenant's write key"),
    ] {
        let (status, answer) = console.call(Method::DELETE, STOP, &auth, None).await;
        assert_eq!(status, expected, "{who}: {answer}");
        assert!(!answer.to_string().contains("L-1"), "{who}: {answer}");
    }
    assert_eq!(states(&console).await, held);
    assert_eq!(audit(&console).await.len(), entries);

    // Lifted: only L-1, which the Mahnstopp still held, is resumed; one audit entry.
    let (status, lifted) = console.call(Method::DELETE, STOP, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{lifted}");
    assert_eq!(lifted["action"], "debtor.lift_stop");
    assert_eq!(lifted["debtor_id"], DEBTOR);
    assert_eq!(lifted["after"]["resumed_cases"], json!([ids[0]]));
    assert_eq!(
        lifted["before"]["cases"],
        json!([{"case_id": ids[0], "state": "paused"}, {"case_id": ids[1], "state": "paused"},
               {"case_id": ids[2], "state": "cancelled"}])
    );
    assert_eq!(lifted["before"]["stopped_at"], stop["at"]);
    let after_lift =
        vec![CaseState::Reminding, CaseState::Paused, CaseState::Cancelled, CaseState::Cancelled];
    assert_eq!(states(&console).await, after_lift);
    let log = audit(&console).await;
    assert_eq!(log.len(), entries + 1);
    assert_eq!((log[0].action.as_str(), log[0].actor.starts_with("key:mwk_")), ("debtor.lift_stop", true));

    // Again: 409 naming the lift, nothing written.
    let (status, again) = console.call(Method::DELETE, STOP, &key, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let error = again["error"].as_str().unwrap();
    assert!(
        error.starts_with("no Mahnstopp is in force for the debtor (the last one was lifted at "),
        "{error}"
    );
    assert_eq!(audit(&console).await.len(), entries + 1);
    assert_eq!(states(&console).await, after_lift);

    // A new Mahnstopp pauses L-1 only (L-2 is paused already), and its lift resumes L-1 only:
    // the debtor page's button, confirmed with the session's CSRF token.
    let (_, stop) = console.call(Method::POST, STOP, &key, None).await;
    assert_eq!(stop["after"]["paused_cases"], json!([ids[0]]));
    console.operator(A, "agent@paytest.example", OperatorRole::Agent, PASSWORD).await;
    console.operator(B, "agent@other.example", OperatorRole::Agent, PASSWORD).await;
    let (agent, agent_csrf) = console.login(A, "agent@paytest.example", PASSWORD).await;
    let (other, other_csrf) = console.login(B, "agent@other.example", PASSWORD).await;
    let page = format!("/console/debtors/{DEBTOR}");
    let html = console
        .http
        .get(console.url(&page))
        .header("cookie", &agent)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Confirm: lift the Mahnstopp"), "{html}");
    let lift_form = format!("{page}/lift-stop");
    let post = |cookie: &str, token: &str| {
        console
            .http
            .post(console.url(&lift_form))
            .header("cookie", cookie)
            .form(&[("csrf_token", token)])
            .send()
    };
    let Auth::Session { cookie: viewer_cookie, csrf: viewer_csrf } = &viewer else { unreachable!() };
    assert_eq!(post(viewer_cookie, viewer_csrf).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(post(&agent, "forged").await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(post(&other, &other_csrf).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(state_of(&console, "L-1").await, CaseState::Paused, "nothing changed");
    let done = post(&agent, &agent_csrf).await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], format!("{page}?done=lift-stop").as_str());
    assert_eq!(states(&console).await, after_lift);
    let html = console
        .http
        .get(console.url(&format!("{page}?done=lift-stop&lang=en")))
        .header("cookie", &agent)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Mahnstopp lifted: the cases it paused are being reminded again."), "{html}");
    let resumed = format!(r#"Cases resumed: <a href="/console/cases/{}">L-1</a>"#, ids[0]);
    assert!(html.contains(&resumed) && html.contains("by agent@paytest.example"), "{html}");
    assert!(!html.contains("Confirm: lift the Mahnstopp"), "nothing in force to lift: {html}");
    // Clicked twice (a second tab): the page says why, in its language, and nothing is written.
    let entries = audit(&console).await.len();
    let twice = console
        .http
        .post(console.url(&lift_form))
        .header("cookie", &agent)
        .header("accept-language", "de")
        .form(&[("csrf_token", agent_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    let html = twice.text().await.unwrap();
    assert!(html.contains("Nicht ausgeführt: für den Schuldner gilt kein Mahnstopp"), "{html}");
    assert_eq!(audit(&console).await.len(), entries);

    // The audit page says it in words, the cases by their invoice numbers.
    let html = console
        .http
        .get(console.url("/console/audit?action=debtor.lift_stop&lang=en"))
        .header("cookie", &agent)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<td>Mahnstopp lifted</td>") && html.contains("resumed cases L-1"), "{html}");
    support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifting_a_mahnstopp_resumes_what_it_paused_on_sqlite() {
    lifting(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifting_a_mahnstopp_resumes_what_it_paused_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    lifting(backend).await;
}
