//! The debtor page and the audit page, on SQLite with the in-process queue and on PostgreSQL with
//! RabbitMQ: the debtor page shows the debtor's contact data, consent in words and cases; its
//! Mahnstopp (a form with the session's CSRF token) pauses every case still being reminded, as
//! the JSON route does, and is in the audit log; a viewer gets 403 and another tenant's agent
//! 404, changing nothing; the audit page shows the entries in words, filtered by action, case or
//! debtor, fifty a page; refusals are said in the page's language.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{CaseState, KeyScope, OperatorRole, TenantId};
use mahnwerk::store::console::AuditFilter;
use reqwest::{Method, StatusCode};
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";
/// A creditor's customer number with a space and a slash: one path segment, percent-encoded.
const DEBTOR: &str = "Kunde 7/A";
const DEBTOR_PATH: &str = "/console/debtors/Kunde%207%2FA";

/// Status, redirect and body of a request with the session `cookie`, in `language` if given.
async fn send(
    console: &Console,
    cookie: &str,
    language: Option<&str>,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, Option<String>, String) {
    let mut request = match form {
        Some(form) => console.http.post(console.url(path)).form(form),
        None => console.http.get(console.url(path)),
    };
    request = request.header("cookie", cookie);
    if let Some(language) = language {
        request = request.header("accept-language", language);
    }
    let response = request.send().await.unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (response.status(), location, response.text().await.unwrap())
}

/// The rows of a page's table (the audit page's filter lists every action's words too).
fn rows(html: &str) -> &str {
    let start = html.find("<tbody>").expect("a table");
    let end = html[start..].find("</tbody>").expect("a whole table");
    &html[start..start + end]
}

async fn state_of(console: &Console, number: &str) -> CaseState {
    console.store.case_by_invoice(A, number).await.unwrap().expect("the case").state
}

async fn debtor_and_audit_pages(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut ids = Vec::new();
    for number in ["M-1", "M-2", "M-3", "N-1"] {
        let mut body = invoice(number, "de");
        if number != "N-1" {
            body["debtor"]["id"] = DEBTOR.into();
        }
        let (status, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        ids.push(answer["case_id"].as_i64().unwrap());
    }
    let (status, _) =
        console.call(Method::POST, &format!("/api/v1/cases/{}/cancel", ids[2]), &key, None).await;
    assert_eq!(status, StatusCode::OK, "M-3 cancelled by the creditor's key");
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

    // The page: contact data, consent per channel, the cases linked; the agent may act.
    let (status, _, html) = send(&console, &agent, None, DEBTOR_PATH, None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for shown in [
        "<h1>Erika Mustermann</h1>",
        "Customer number</dt><dd>Kunde 7&#x2f;A</dd>",
        "M-3@example.org",
        "Consent per channel",
        "<td>WhatsApp</td><td>no</td>",
        &format!(r#"<a href="/console/cases/{}">M-1</a>"#, ids[0]),
        &format!(r#"<a href="/console/cases/{}">M-3</a>"#, ids[2]),
        r#"<span class="state cancelled">cancelled</span>"#,
        "129.90 EUR",
        "Confirm: Mahnstopp",
        "Confirm: save contact data",
        "(GDPR, JSON download)",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    assert!(!html.contains("N-1"), "another debtor's case: {html}");
    let (_, _, html) = send(&console, &viewer, None, DEBTOR_PATH, None).await;
    assert!(html.contains("M-2") && html.contains("(GDPR, JSON download)"), "{html}");
    assert!(!html.contains("Confirm:"), "a viewer is offered no intervention: {html}");
    let (status, _, export) =
        send(&console, &viewer, None, "/api/v1/debtors/Kunde%207%2FA/export", None).await;
    assert_eq!(status, StatusCode::OK, "the export link, with the session");
    assert!(export.contains("M-2") && export.contains("Erika Mustermann"), "{export}");
    // The case list and the case page link the debtor.
    let (_, _, list) = send(&console, &viewer, None, "/console/cases", None).await;
    assert!(list.contains("href=\"&#x2f;console&#x2f;debtors&#x2f;Kunde%207%2FA\""), "{list}");
    let (_, _, page) = send(&console, &viewer, None, &format!("/console/cases/{}", ids[0]), None).await;
    assert!(
        page.contains("href=\"&#x2f;console&#x2f;debtors&#x2f;Kunde%207%2FA\">Erika Mustermann</a>"),
        "{page}"
    );

    // Another tenant's agent finds nothing, a viewer may not stop, a forged token does nothing.
    let (status, _, _) = send(&console, &other, None, DEBTOR_PATH, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let stop = format!("{DEBTOR_PATH}/stop");
    for (cookie, token, expected, who) in [
        (&viewer, viewer_csrf.as_str(), StatusCode::FORBIDDEN, "a viewer"),
        (&other, other_csrf.as_str(), StatusCode::NOT_FOUND, "another tenant's agent"),
        (&agent, "forged", StatusCode::FORBIDDEN, "an agent without the session's token"),
    ] {
        let (status, _, _) = send(&console, cookie, None, &stop, Some(&[("csrf_token", token)])).await;
        assert_eq!(status, expected, "Mahnstopp by {who}");
    }
    assert_eq!(
        (state_of(&console, "M-1").await, state_of(&console, "M-2").await),
        (CaseState::Open, CaseState::Open)
    );
    let tenant = TenantId::parse(A).unwrap();
    let mut tx = console.store.begin().await.unwrap();
    let stops = AuditFilter { action: Some("debtor.stop".into()), limit: 10, ..AuditFilter::default() };
    assert!(tx.audit_log(&tenant, &stops).await.unwrap().is_empty(), "nothing was recorded");
    drop(tx);

    // The Mahnstopp: both open cases paused, the cancelled one left; the page says which.
    let (status, location, html) = send(&console, &agent, None, &stop, Some(&[("csrf_token", &csrf)])).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(location.as_deref(), Some(format!("{DEBTOR_PATH}?done=stop").as_str()));
    assert_eq!(
        [state_of(&console, "M-1").await, state_of(&console, "M-2").await, state_of(&console, "M-3").await],
        [CaseState::Paused, CaseState::Paused, CaseState::Cancelled]
    );
    assert_eq!(state_of(&console, "N-1").await, CaseState::Open, "another debtor's case");
    let (_, _, html) = send(&console, &agent, None, &format!("{DEBTOR_PATH}?done=stop"), None).await;
    assert!(
        html.contains("Mahnstopp: the debtor&#x27;s cases that were being reminded are paused."),
        "{html}"
    );
    let paused = format!(
        r#"Cases paused: <a href="/console/cases/{}">M-1</a>, <a href="/console/cases/{}">M-2</a>"#,
        ids[0], ids[1]
    );
    assert!(html.contains(&paused) && html.contains("by agent@paytest.example"), "{html}");
    let mut tx = console.store.begin().await.unwrap();
    let recorded = tx.audit_log(&tenant, &stops).await.unwrap();
    drop(tx);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].actor, "operator:agent@paytest.example");
    assert_eq!(recorded[0].debtor_id.as_deref(), Some(DEBTOR));
    assert_eq!(recorded[0].after["paused_cases"], serde_json::json!([ids[0], ids[1]]));

    // The German page: words, and refusals in German.
    let (_, _, html) = send(&console, &agent, Some("de-DE,de"), DEBTOR_PATH, None).await;
    for shown in [
        "Kundennummer",
        "Mahnstopp</strong> am",
        "pausiert</span>",
        "Einwilligungen je Kanal",
        "nein",
        "129,90 €",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    let bad_phone = [("csrf_token", csrf.as_str()), ("email", "M-1@example.org"), ("phone", "0151 123")];
    let (status, _, html) =
        send(&console, &agent, Some("de-DE,de"), &format!("{DEBTOR_PATH}/contact"), Some(&bad_phone)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Nicht ausgeführt: Mobiltelefon:"), "{html}");
    let escalate = format!("/console/cases/{}/escalate", ids[0]);
    let (status, _, html) =
        send(&console, &agent, Some("de"), &escalate, Some(&[("csrf_token", &csrf)])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("Nicht ausgeführt: ein Fall im Status „pausiert“ kann nicht eskaliert werden"),
        "{html}"
    );
    let (status, _, html) =
        send(&console, &agent, Some("en"), &escalate, Some(&[("csrf_token", &csrf)])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Not done: a case that is paused cannot be escalated"), "{html}");
    let (_, answer) =
        console.call(Method::POST, &format!("/api/v1/cases/{}/escalate", ids[0]), &key, None).await;
    assert_eq!(answer["error"], "a case that is paused cannot be escalated", "the API's words stay");
    let good = [("csrf_token", csrf.as_str()), ("email", "neu@example.org"), ("phone", "+4915112345678")];
    let (status, location, _) =
        send(&console, &agent, None, &format!("{DEBTOR_PATH}/contact"), Some(&good)).await;
    assert_eq!((status, location), (StatusCode::SEE_OTHER, Some(format!("{DEBTOR_PATH}?done=contact"))));

    // The audit page, for every role: newest first, in words, linked.
    let (status, _, page) = send(&console, &viewer, Some("en"), "/console/audit", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let html = rows(&page);
    let stop_at = html.find("Mahnstopp: every case paused").expect("the Mahnstopp's entry");
    let contact_at = html.find("contact data corrected").expect("the contact's entry");
    let cancel_at = html.find("case cancelled").expect("the cancellation's entry");
    assert!(contact_at < stop_at && stop_at < cancel_at, "newest first: {html}");
    for shown in [
        "<td>agent@paytest.example</td>",
        "<td>API key mwk_",
        "cases M-1 (open), M-2 (open) → paused cases M-1, M-2",
        "Debtor <a href=\"&#x2f;console&#x2f;debtors&#x2f;Kunde%207%2FA\">Kunde 7&#x2f;A</a>",
        &format!(r#"Invoice <a href="&#x2f;console&#x2f;cases&#x2f;{}">M-3</a>"#, ids[2]),
        "state open → state cancelled",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    assert!(!html.contains("debtor.stop") && !html.contains("operator:"), "words, not identifiers: {html}");
    let (_, _, page) = send(&console, &viewer, Some("de"), "/console/audit?action=debtor.stop", None).await;
    let html = rows(&page);
    assert!(
        html.contains("Mahnstopp: alle Fälle pausiert") && html.contains("pausierte Fälle M-1, M-2"),
        "{html}"
    );
    assert!(
        !html.contains("Kontaktdaten korrigiert") && !html.contains("Fall storniert"),
        "only the action: {html}"
    );
    assert!(page.contains(r#"<option value="debtor.stop" selected>"#), "the filter stays chosen: {page}");
    let case_filter = format!("/console/audit?case_id={}", ids[2]);
    let (_, _, page) = send(&console, &viewer, Some("en"), &case_filter, None).await;
    let html = rows(&page);
    assert!(html.contains("case cancelled") && !html.contains("every case paused"), "only the case: {html}");
    let by_debtor = "/console/audit?debtor_id=Kunde+7%2FA";
    let (_, _, page) = send(&console, &viewer, Some("en"), by_debtor, None).await;
    let html = rows(&page);
    assert!(
        html.contains("case cancelled") && html.contains("every case paused"),
        "the debtor's and its cases': {html}"
    );
    let (status, _, html) = send(&console, &viewer, Some("en"), "/console/audit?case_id=x", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Filter not applied: case_id: &#x27;x&#x27; is not a case id"), "{html}");
    let (_, _, page) = send(&console, &other, Some("en"), "/console/audit", None).await;
    assert!(rows(&page).contains("No entries match."), "another tenant's log is its own: {page}");

    // Fifty a page: 60 more entries (pause and resume N-1), the rest behind "Next page".
    for round in 0..30 {
        for action in ["pause", "resume"] {
            let path = format!("/api/v1/cases/{}/{action}", ids[3]);
            let (status, _) = console.call(Method::POST, &path, &key, None).await;
            assert_eq!(status, StatusCode::OK, "{action} {round}");
        }
    }
    let (_, _, page) = send(&console, &viewer, Some("en"), "/console/audit", None).await;
    let first = rows(&page);
    let (resumed, paused) =
        (first.matches("<td>dunning resumed</td>").count(), first.matches("<td>dunning paused</td>").count());
    assert_eq!((resumed, paused), (25, 25), "{first}");
    let next = page
        .split("<a href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.contains("cursor="));
    let next = next.expect("a next page").replace("&amp;", "&").replace("&#x2f;", "/");
    let (_, _, page) = send(&console, &viewer, Some("en"), &next, None).await;
    let shown = rows(&page).matches("<tr><td class=\"nowrap\">").count();
    assert_eq!(shown, 10 + 3, "the other ten pauses and resumes, then the three entries before: {page}");
    assert!(rows(&page).contains("every case paused") && !page.contains("Next page"), "{page}");
    support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debtor_page_stops_dunning_and_the_audit_page_shows_it_on_sqlite() {
    debtor_and_audit_pages(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debtor_page_stops_dunning_and_the_audit_page_shows_it_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    debtor_and_audit_pages(backend).await;
}
