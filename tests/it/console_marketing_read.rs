//! The debtor's marketing consent read back, on SQLite and on PostgreSQL:
//! `GET /api/v1/debtors/{id}/marketing-consent` answers per marketing channel the consent in force
//! (none, an explicit consent, an objection), since when and from where, and whether a thank-you
//! message may advertise on it and on which basis; another tenant gets 404, no credentials 401,
//! a viewer reads it. The debtor page shows it in German and English.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use chrono::{Duration as Days, SubsecRound};
use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole};
use mahnwerk::runtime::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";
const READ: &str = "/api/v1/debtors/D-MK/marketing-consent";

fn channel<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["channels"].as_array().unwrap().iter().find(|c| c["channel"] == name).expect(name)
}

/// The debtor page's text in `language`.
async fn page(console: &Console, cookie: &str, language: &str) -> String {
    let response = console
        .http
        .get(console.url(&format!("/console/debtors/D-MK?lang={language}")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

async fn marketing_read(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let mut body = invoice("MK-1", "de");
    body["debtor"]["id"] = json!("D-MK");
    let (status, answer) = console.call(Method::POST, "/api/v1/invoices", &key, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // Nothing recorded: email rests on the existing-customer exception, the others may not.
    let (status, answer) = console.call(Method::GET, READ, &key, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["debtor_id"], "D-MK");
    let names: Vec<&Value> = answer["channels"].as_array().unwrap().iter().map(|c| &c["channel"]).collect();
    assert_eq!(names, [&json!("email"), &json!("sms"), &json!("whatsapp"), &json!("messenger")]);
    let email = channel(&answer, "email");
    assert_eq!(
        (&email["consent"], &email["since"], &email["may_advertise"], &email["basis"]),
        (&json!("none"), &Value::Null, &json!(true), &json!("existing_customer"))
    );
    let sms = channel(&answer, "sms");
    assert_eq!((&sms["consent"], &sms["may_advertise"]), (&json!("none"), &json!(false)));
    assert_eq!(sms["why_not"], "no explicit marketing consent for sms");

    // A consent to SMS given three days ago, an objection to email yesterday.
    let now = console.clock.now().trunc_subsecs(0);
    let (sms_at, email_at) = (now - Days::days(3), now - Days::days(1));
    for (name, consent, at) in [("sms", "opt_in", sms_at), ("email", "opt_out", email_at)] {
        let body = json!({"channel": name, "consent": consent, "given_at": at.to_rfc3339()});
        let (status, answer) =
            console.call(Method::POST, "/api/v1/debtors/D-MK/marketing-consent", &key, Some(&body)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, PASSWORD).await;
    let (cookie, csrf) = console.login(A, "viewer@paytest.example", PASSWORD).await;
    let viewer = Auth::Session { cookie: cookie.clone(), csrf };
    let (status, answer) = console.call(Method::GET, READ, &viewer, None).await;
    assert_eq!(status, StatusCode::OK, "a viewer reads it: {answer}");
    let sms = channel(&answer, "sms");
    assert_eq!(
        (&sms["consent"], &sms["source"], &sms["may_advertise"], &sms["basis"]),
        (&json!("opt_in"), &json!("operator"), &json!(true), &json!("explicit_consent"))
    );
    let since: chrono::DateTime<chrono::Utc> = sms["since"].as_str().unwrap().parse().unwrap();
    assert_eq!(since, sms_at);
    assert!(sms["detail"].as_str().unwrap().starts_with("key:mwk_"), "{sms}");
    let email = channel(&answer, "email");
    assert_eq!(
        (&email["consent"], &email["may_advertise"], &email["basis"]),
        (&json!("opt_out"), &json!(false), &Value::Null)
    );
    assert_eq!(email["why_not"], "the debtor objected to marketing by email");
    assert_eq!(channel(&answer, "whatsapp")["consent"], "none");

    // Another tenant finds nothing; without credentials, 401.
    let other = Auth::Key(console.key(B, KeyScope::Write).await);
    let (status, answer) = console.call(Method::GET, READ, &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!answer.to_string().contains("opt_in"), "{answer}");
    assert_eq!(console.call(Method::GET, READ, &Auth::None, None).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = console.call(Method::GET, "/api/v1/debtors/D-NONE/marketing-consent", &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The debtor page, in both languages.
    let (sms_day, email_day) = (sms_at.format("%Y-%m-%d"), email_at.format("%Y-%m-%d"));
    let html = page(&console, &cookie, "de").await;
    for shown in [
        "<h2>Werbeeinwilligung je Kanal</h2>".to_owned(),
        format!("<td>SMS</td>\n<td>eingewilligt seit {sms_day} (durch einen Bearbeiter)</td>\n<td>ja: ausdrückliche Einwilligung (§ 7 Abs. 2 UWG)</td>"),
        format!("<td>E-Mail</td>\n<td>widersprochen seit {email_day} (durch einen Bearbeiter)</td>\n<td>nein</td>"),
        "<td>WhatsApp</td>\n<td>keine erfasst</td>\n<td>nein</td>".to_owned(),
    ] {
        assert!(html.contains(&shown), "{shown}: {html}");
    }
    let html = page(&console, &cookie, "en").await;
    for shown in [
        "<h2>Marketing consent per channel</h2>".to_owned(),
        format!("<td>SMS</td>\n<td>opted in since {sms_day} (by an operator)</td>\n<td>yes: explicit consent (§ 7 (2) UWG)</td>"),
        format!("<td>email</td>\n<td>opted out since {email_day} (by an operator)</td>\n<td>no</td>"),
    ] {
        assert!(html.contains(&shown), "{shown}: {html}");
    }
    support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_marketing_consent_is_read_back_on_sqlite() {
    marketing_read(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_marketing_consent_is_read_back_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    marketing_read(backend).await;
}
