//! The console's overview and its two languages, on SQLite: `GET /console` shows a logged-in
//! operator the open amount, what was collected this month and the charts (inline SVG, drawn on
//! the server from the statistics' facts); the pages are German for a browser that prefers German
//! or for `?lang=de` (remembered in a cookie), English otherwise. The DSO trend, per month of the
//! last twelve, hand-checked on a small fixture on both backends.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::scenario::stop_roles;
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
    assert_eq!(html.matches("<svg").count(), 4, "four charts");
    assert!(html.contains("Cases by state") && html.contains("Channel mix"), "{html}");
    assert!(html.contains(r#"aria-label="Cases by state""#), "charts have an accessible name");

    // `?lang=de` switches and is remembered; `?lang=en` switches back.
    let (_, remembered, html) = get("/console?lang=de", Some(&session), Some("en")).await;
    assert!(html.contains("<h1>Übersicht</h1>") && html.contains("Fälle nach Status"), "{html}");
    assert!(html.contains("<strong>229,90 €</strong>"), "the open amount as German pages write it: {html}");
    assert!(!html.contains("229.90"), "no amount the English way: {html}");
    let remembered = remembered.expect("the language is remembered");
    assert!(remembered.starts_with("mahnwerk_console_lang=de;"), "{remembered}");
    let both = format!("{session}; {}", remembered.split(';').next().unwrap());
    let (_, _, html) = get("/console/cases", Some(&both), Some("en")).await;
    assert!(html.contains("<h1>Fälle</h1>") && html.contains("Rechnung"), "{html}");
    let (_, _, html) = get("/console/cases?lang=en", Some(&both), None).await;
    assert!(html.contains("<h1>Cases</h1>"), "{html}");
    stop_roles(trigger, roles).await;
}

/// The texts of the chart titled `title` on `html`, in document order: its title twice (the
/// accessible title and the drawn one), then per column the figure and the month.
fn chart_texts(html: &str, title: &str) -> Vec<String> {
    let start = html.find(&format!(r#"aria-label="{title}""#)).unwrap_or_else(|| panic!("{title}: {html}"));
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    let mut texts = vec![];
    for part in svg.split("</text>").filter(|p| p.contains("<text")) {
        texts.push(part.rsplit('>').next().unwrap().to_owned());
    }
    let title = svg.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
    std::iter::once(title.to_owned()).chain(texts).collect()
}

/// On 5 January 2026 the trend shows February 2025 to January 2026. Fixture (tenant A unless
/// said), amounts in EUR:
/// - T-1 issued 2025-10-01, 129.90 paid 2025-10-31: October 30 days;
/// - T-2 issued 2025-10-01, 100.00 paid 2025-11-10 (40 days); T-3 issued 2025-11-01, 50.00 paid
///   2025-11-21 (20 days): November (100 x 40 + 50 x 20) / 150 = 33.33 -> 33.3;
/// - T-4 issued 2025-12-01, 29.90 paid 2026-01-04 (34 days) and a credit of 50.00 now (no
///   money): January 34.0;
/// - T-5 issued 2024-11-01, paid 2025-01-15: thirteen months back, not shown;
/// - tenant B's payment in December 2025: not A's, December shows a dash.
async fn dso_trend(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let other = Auth::Key(console.key(B, KeyScope::Write).await);
    let fixture = [
        (A, "T-1", "2025-10-01", "129.90", "2025-10-31"),
        (A, "T-2", "2025-10-01", "100.00", "2025-11-10"),
        (A, "T-3", "2025-11-01", "50.00", "2025-11-21"),
        (A, "T-4", "2025-12-01", "29.90", "2026-01-04"),
        (A, "T-5", "2024-11-01", "129.90", "2025-01-15"),
        (B, "U-1", "2025-11-01", "129.90", "2025-12-01"),
    ];
    for (tenant, number, issued, amount, paid) in fixture {
        let auth = if tenant == A { &key } else { &other };
        let mut body = invoice(number, "de");
        body["tenant"] = json!(tenant);
        body["issued_on"] = json!(issued);
        let (status, answer) = console.call(Method::POST, "/api/v1/invoices", auth, Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let paid = json!({"paid_at": format!("{paid}T10:00:00Z"), "amount_paid": amount, "currency": "EUR",
                          "payment_reference": format!("bank-{number}")});
        let path = format!("/api/v1/invoices/{number}/paid");
        let (status, answer) = console.call(Method::POST, &path, auth, Some(&paid)).await;
        assert!(status.is_success(), "{answer}");
    }
    let (_, t4) = console.call(Method::GET, "/api/v1/cases?q=T-4", &key, None).await;
    let t4 = t4["cases"][0]["case_id"].as_i64().expect("T-4");
    let credit = json!({"kind": "credit", "amount": "50.00"});
    let (status, answer) =
        console.call(Method::POST, &format!("/api/v1/cases/{t4}/credit"), &key, Some(&credit)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, "a long enough password").await;
    let (session, _) = console.login(A, "viewer@paytest.example", "a long enough password").await;
    let response = console.http.get(console.url("/console?lang=en")).header("cookie", &session).send().await;
    let html = response.unwrap().text().await.unwrap();
    let title = "DSO per month (days, last 12 months)";
    let mut expected = vec![title.to_owned(), title.to_owned()];
    let shown = [
        ("02/25", "–"),
        ("03/25", "–"),
        ("04/25", "–"),
        ("05/25", "–"),
        ("06/25", "–"),
        ("07/25", "–"),
        ("08/25", "–"),
        ("09/25", "–"),
        ("10/25", "30.0"),
        ("11/25", "33.3"),
        ("12/25", "–"),
        ("01/26", "34.0"),
    ];
    for (month, figure) in shown {
        expected.extend([figure.to_owned(), month.to_owned()]);
    }
    assert_eq!(chart_texts(&html, title), expected);
    let (_, stats) = console.call(Method::GET, "/api/v1/stats", &key, None).await;
    assert!(stats["dso_days"].as_f64().unwrap() > 34.0, "the one figure counts T-5 too: {stats}");
    let response = console.http.get(console.url("/console?lang=de")).header("cookie", &session).send().await;
    let html = response.unwrap().text().await.unwrap();
    assert!(html.contains(r#"aria-label="DSO je Monat (Tage, letzte 12 Monate)""#), "{html}");
    let german = chart_texts(&html, "DSO je Monat (Tage, letzte 12 Monate)");
    assert_eq!(german[2 + 2 * 9], "33,3", "the German decimal mark: {german:?}");
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dso_trend_on_sqlite() {
    dso_trend(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dso_trend_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    dso_trend(backend).await;
}
