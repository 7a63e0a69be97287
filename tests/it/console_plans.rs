//! The console's plans and template routes on both backends, as a creditor's developer calls
//! them: the tenant's plans as the plan book defines them (another tenant's own plan is not
//! found), a template checked without being stored (a broken one refused with minijinja's line
//! and column), and a stage previewed exactly as `mahnwerk preview` renders it for the same
//! inputs; the plans page's email frame and letter PDF answer the same rendering.

use crate::console_api::{Auth, Console, A, A_PLAN, B};
use crate::pay_page::config_with;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::deliver::preview::{
    preview as cli_preview, render_preview, PreviewOptions, PreviewParts, PreviewRequest, SampleInvoice,
};
use mahnwerk::deliver::{Creditors, Links, Templates};
use mahnwerk::domain::{ChannelKind, KeyScope, OperatorRole, TenantId};
use mahnwerk::runtime::Clock;
use mahnwerk_channels::OutgoingMessage;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";

/// What `call` answered, asserting the status (the body in the message when it differs).
async fn expect(
    console: &Console,
    method: Method,
    path: &str,
    auth: &Auth,
    body: Option<&Value>,
    status: StatusCode,
) -> Value {
    let (answered, answer) = console.call(method, path, auth, body).await;
    assert_eq!(answered, status, "{path}: {answer}");
    answer
}

/// The preview of `request` as the `preview` function renders it with the service's own
/// configuration (built the same way the service under test was).
fn rendered(
    backend: &Backend,
    outbox: &std::path::Path,
    request: &PreviewRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> OutgoingMessage {
    let config = config_with(&backend.topology.namespace, outbox, "[console]\nsecure_cookie = false\n");
    let plans = config.plan_book().unwrap();
    let templates = Templates::from_config(&config).unwrap();
    let creditors =
        Creditors { by_tenant: config.creditors.clone(), default_email: config.default_sender.clone() };
    let links = Links::new(&config.links);
    let parts = PreviewParts { plans: &plans, templates: &templates, creditors: &creditors, links: &links };
    render_preview(&parts, request, now).unwrap().message
}

async fn plans_and_templates(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let a_read = Auth::Key(console.key(A, KeyScope::Read).await);
    let b_read = Auth::Key(console.key(B, KeyScope::Read).await);

    // The plans: A's own beside the built-in ones, as the plan book defines them.
    let plans = expect(&console, Method::GET, "/api/v1/plans", &a_read, None, StatusCode::OK).await;
    let names: Vec<&str> =
        plans["plans"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["standard-b2b", "standard-b2c", A_PLAN], "{plans}");
    let own =
        expect(&console, Method::GET, &format!("/api/v1/plans/{A_PLAN}"), &a_read, None, StatusCode::OK)
            .await;
    assert_eq!(
        (&own["own"], &own["default_for"], &own["escalate_after_days"]),
        (&json!(true), &json!(["consumer"]), &json!(14))
    );
    assert_eq!(
        own["stages"][1],
        json!({"number": 2, "name": "1. Mahnung", "wait_days": 7, "tone": "neutral", "fee": "5.00",
               "channels": ["email"], "fallback": []}),
        "{own}"
    );
    let b2c =
        expect(&console, Method::GET, "/api/v1/plans/standard-b2c", &a_read, None, StatusCode::OK).await;
    assert_eq!(
        (&b2c["own"], &b2c["default_for"]),
        (&json!(false), &json!([])),
        "A's consumers follow its own plan"
    );
    assert_eq!(b2c["stages"][3]["channels"], json!(["letter", "email"]));

    // Tenant B has not got A's plan: not in its list, not found by name, not previewed.
    let theirs = expect(&console, Method::GET, "/api/v1/plans", &b_read, None, StatusCode::OK).await;
    assert!(!theirs.to_string().contains(A_PLAN), "{theirs}");
    assert_eq!(theirs["plans"][1]["default_for"], json!(["consumer"]), "B's consumers follow standard-b2c");
    expect(&console, Method::GET, &format!("/api/v1/plans/{A_PLAN}"), &b_read, None, StatusCode::NOT_FOUND)
        .await;
    expect(&console, Method::GET, "/api/v1/plans/no-such-plan", &a_read, None, StatusCode::NOT_FOUND).await;
    let body = json!({"plan": A_PLAN, "stage": 1, "channel": "email"});
    let refused = expect(
        &console,
        Method::POST,
        "/api/v1/templates/preview",
        &b_read,
        Some(&body),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(refused["field"], "plan", "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("(known: standard-b2b, standard-b2c)"), "{refused}");
    for path in ["/api/v1/plans", "/api/v1/plans/standard-b2c"] {
        expect(&console, Method::GET, path, &Auth::None, None, StatusCode::UNAUTHORIZED).await;
    }
    expect(
        &console,
        Method::POST,
        "/api/v1/templates/preview",
        &Auth::None,
        Some(&body),
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // A template checked as loading checks it; a broken one is refused with its position.
    let validate = |body: Value| {
        let console = &console;
        let auth = &a_read;
        async move { console.call(Method::POST, "/api/v1/templates/validate", auth, Some(&body)).await }
    };
    let (status, ok) = validate(json!({"name": "chat", "language": "de",
        "source": "{{ salutation }} {{ creditor_name }}: {{ amount }} offen. {{ pay_link }}"}))
    .await;
    assert_eq!(
        (status, &ok["ok"], &ok["channels"]),
        (StatusCode::OK, &json!(true), &json!(["whatsapp", "messenger"])),
        "{ok}"
    );
    let (status, broken) = validate(
        json!({"name": "sms", "language": "de", "source": "Guten Tag,\nbitte zahlen Sie {{ amount }."}),
    )
    .await;
    assert_eq!((status, &broken["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("source")), "{broken}");
    assert!(broken["error"].as_str().unwrap().starts_with("syntax error"), "{broken}");
    assert_eq!((&broken["line"], &broken["column"]), (&json!(2), &json!(28)), "{broken}");
    let (status, misspelt) =
        validate(json!({"name": "email_subject", "language": "en", "source": "Invoice {{ invoice_numbr }}"}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(misspelt["error"].as_str().unwrap().contains("`invoice_numbr`"), "{misspelt}");
    let (status, undefined) = validate(
        json!({"name": "sms", "language": "de", "source": "{{ amount }}\n{{ breakdown[9].label }}"}),
    )
    .await;
    assert_eq!((status, &undefined["line"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!(2)), "{undefined}");
    for (body, field) in [
        (json!({"name": "fax", "language": "de", "source": "x"}), "name"),
        (json!({"name": "sms", "language": "deutsch", "source": "x"}), "language"),
        (json!({"name": "sms", "language": "de"}), "source"),
        (json!({"name": "sms", "language": "de", "source": 7}), "source"),
    ] {
        let (status, answer) = validate(body).await;
        assert_eq!((status, &answer["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)), "{answer}");
    }

    // A preview is what `mahnwerk preview` renders for the same inputs.
    let now = console.clock.now();
    let outbox = tempfile::tempdir().unwrap();
    let body = json!({"plan": A_PLAN, "stage": 2, "channel": "email", "language": "de"});
    let email =
        expect(&console, Method::POST, "/api/v1/templates/preview", &a_read, Some(&body), StatusCode::OK)
            .await;
    let request = PreviewRequest {
        tenant: TenantId::parse(A).unwrap(),
        plan: Some(A_PLAN.into()),
        stage: 2,
        channel: ChannelKind::Email,
        language: Some("de".into()),
        tone: None,
        sample: SampleInvoice::default(),
    };
    let OutgoingMessage::Email(expected) = rendered(&backend, outbox.path(), &request, now) else {
        panic!("an email")
    };
    assert_eq!(
        (email["subject"].as_str(), email["body"].as_str(), email["html"].as_str()),
        (Some(expected.subject.as_str()), Some(expected.text_body.as_str()), expected.html_body.as_deref())
    );
    assert!(
        expected.subject.contains("1. Mahnung") && expected.text_body.contains("Erika Mustermann"),
        "{email}"
    );
    assert_eq!((&email["stage_name"], &email["tone"]), (&json!("1. Mahnung"), &json!("neutral")));

    let config = config_with(&backend.topology.namespace, outbox.path(), "");
    let out = outbox.path().join("sms.json");
    let options = PreviewOptions {
        channel: ChannelKind::Sms,
        stage: 3,
        language: Some("en".into()),
        tone: None,
        tenant: Some(A.into()),
        plan: None,
        out: out.clone(),
    };
    cli_preview(&config, &options, now).await.unwrap();
    let line: Value =
        serde_json::from_str(std::fs::read_to_string(&out).unwrap().lines().next().unwrap()).unwrap();
    let body = json!({"stage": 3, "channel": "sms", "language": "en"});
    let sms =
        expect(&console, Method::POST, "/api/v1/templates/preview", &a_read, Some(&body), StatusCode::OK)
            .await;
    assert_eq!(sms["body"], line["message"]["body"], "the CLI's SMS");
    assert_eq!((&sms["plan"], &sms["tone"]), (&json!(A_PLAN), &json!("firm")), "A's default plan, stage 3");

    // The sample's values, and every wrong field named.
    let body = json!({"plan": "standard-b2c", "stage": 1, "channel": "sms", "language": "de",
                      "sample": {"debtor_name": "Max Muster", "invoice_number": "R-77", "amount_due": "89.00"}});
    let own =
        expect(&console, Method::POST, "/api/v1/templates/preview", &a_read, Some(&body), StatusCode::OK)
            .await;
    let text = own["body"].as_str().unwrap();
    assert!(text.contains("R-77") && text.contains("89,00"), "{own}");
    for (body, field) in [
        (json!({"stage": 9, "channel": "email"}), "stage"),
        (json!({"stage": "2", "channel": "email"}), "stage"),
        (json!({"channel": "email"}), "stage"),
        (json!({"stage": 1, "channel": "fax"}), "channel"),
        (json!({"stage": 1, "channel": "sms", "language": "xx-yy"}), "language"),
        (json!({"stage": 1, "channel": "sms", "tone": "rude"}), "tone"),
        (json!({"stage": 1, "channel": "sms", "sample": {"amount_due": "-3"}}), "sample.amount_due"),
        (json!({"stage": 1, "channel": "sms", "sample": {"due_on": "morgen"}}), "sample.due_on"),
        (json!({"stage": 1, "channel": "sms", "sample": {"currency": 978}}), "sample.currency"),
    ] {
        let (status, answer) =
            console.call(Method::POST, "/api/v1/templates/preview", &a_read, Some(&body)).await;
        assert_eq!(
            (status, &answer["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{body}: {answer}"
        );
    }

    // The plans page's frame holds the same email; its letter link prints the same letter.
    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, PASSWORD).await;
    let (cookie, _) = console.login(A, "viewer@paytest.example", PASSWORD).await;
    let get = |path: String| {
        let request = console.http.get(console.url(&path)).header("cookie", &cookie);
        async move { request.send().await.unwrap() }
    };
    let frame =
        get(format!("/console/plans/preview.html?plan={A_PLAN}&stage=2&channel=email&language=de")).await;
    assert_eq!(frame.status(), StatusCode::OK);
    let policy = frame.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.starts_with("sandbox;") && policy.contains("frame-ancestors 'self'"), "{policy}");
    assert_eq!(Some(frame.text().await.unwrap().as_str()), expected.html_body.as_deref());
    let pdf =
        get("/console/plans/preview.pdf?plan=standard-b2c&stage=4&channel=letter&language=de".into()).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"), "a PDF");
    let page = get("/console/plans?lang=de".into()).await;
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.ends_with("frame-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("5,00 je Mahnung") && html.contains("7 Tage nach der vorigen Mahnung"), "{html}");
    support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_templates_on_sqlite() {
    plans_and_templates(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_templates_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    plans_and_templates(backend).await;
}
