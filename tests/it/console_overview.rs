//! The console's overview and its two languages, on SQLite: `GET /console` shows a logged-in
//! operator the open amount, what was collected this month and the charts (inline SVG, drawn on
//! the server from the statistics' facts); the pages are German for a browser that prefers German
//! or for `?lang=de` (remembered in a cookie), English otherwise.

use crate::console_api::{Auth, Console, A};
use crate::pay_page::invoice;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::servers::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_in_english_and_german() {
    let backend = Backend::embedded().await;
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    for number in ["O-1", "O-2"] {
        console.call(Method::POST, "/api/v1/invoices", &key, Some(&invoice(number, "de"))).await;
    }
    let paid = json!({"paid_at": "2026-01-05T10:00:00Z", "amount_paid": "29.90", "currency": "EUR",
                      "payment_reference": "bank-1"});
    let (status, answer) = console.call(Method::POST, "/api/v1/invoices/O-2/paid", &key, Some(&paid)).await;
    assert!(status.is_success(), "{answer}");
    let get = |path: &str, cookie: Option<&str>, accept: Option<&str>| {
        let mut request = console.http.get(console.url(path));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        async move {
            let response = request.send().await.unwrap();
            let set_cookie = response.headers().get("set-cookie").map(|c| c.to_str().unwrap().to_owned());
            (response.status(), set_cookie, response.text().await.unwrap())
        }
    };

    // Not logged in: the login form, in the browser's language.
    let (_, _, html) = get("/console", None, Some("de-DE,de;q=0.9,en;q=0.8")).await;
    assert!(
        html.contains(r#"<html lang="de">"#) && html.contains("Passwort") && html.contains(">Anmelden<"),
        "{html}"
    );
    let (_, _, html) = get("/console", None, Some("en-GB")).await;
    assert!(html.contains(r#"<html lang="en">"#) && html.contains("Password"), "{html}");

    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, "a long enough password").await;
    let (session, _) = console.login(A, "viewer@paytest.example", "a long enough password").await;
    let (status, _, html) = get("/console", Some(&session), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Overview</h1>") && html.contains("Collected this month"), "{html}");
    assert!(html.contains("229.90 EUR"), "the open amount (129.90 + 129.90 - 29.90): {html}");
    assert_eq!(html.matches("<svg").count(), 3, "three charts");
    assert!(html.contains("Cases by state") && html.contains("Channel mix"), "{html}");
    assert!(html.contains(r#"aria-label="Cases by state""#), "charts have an accessible name");

    // `?lang=de` switches and is remembered; `?lang=en` switches back.
    let (_, remembered, html) = get("/console?lang=de", Some(&session), Some("en")).await;
    assert!(html.contains("<h1>Übersicht</h1>") && html.contains("Fälle nach Status"), "{html}");
    let remembered = remembered.expect("the language is remembered");
    assert!(remembered.starts_with("mahnwerk_console_lang=de;"), "{remembered}");
    let both = format!("{session}; {}", remembered.split(';').next().unwrap());
    let (_, _, html) = get("/console/cases", Some(&both), Some("en")).await;
    assert!(html.contains("<h1>Fälle</h1>") && html.contains("Rechnung"), "{html}");
    let (_, _, html) = get("/console/cases?lang=en", Some(&both), None).await;
    assert!(html.contains("<h1>Cases</h1>"), "{html}");
    support::scenario::stop_roles(trigger, roles).await;
}
