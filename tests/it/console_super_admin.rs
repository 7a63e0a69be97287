//! The installation's super-admin, on SQLite and on PostgreSQL: it logs in with no tenant, can
//! read nothing of any tenant until it chooses one (`/console/tenants`, recorded in that
//! tenant's audit log), then works as that tenant's admin, audited as `super_admin:<email>`; it
//! lists and creates the operators and API keys of any tenant over
//! `/api/v1/admin/tenants/{tenant}/…`. A tenant's own admin manages only its own tenant's
//! (another tenant's is 404 and nothing is written); agents and API keys get 403.

use crate::console_api::{Auth, Console, A, B};
use crate::pay_page::invoice;
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole, TenantId};
use mahnwerk::runtime::Clock;
use mahnwerk::store::console::{AuditEntry, AuditFilter};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";
const ROOT: &str = "root@installation.example";

async fn audit(console: &Console, tenant: &str) -> Vec<AuditEntry> {
    let tenant = TenantId::parse(tenant).unwrap();
    let mut tx = console.store.begin().await.unwrap();
    tx.audit_log(&tenant, &AuditFilter { limit: 1000, ..AuditFilter::default() }).await.unwrap()
}

/// The super-admin's login: the cookie and the CSRF token.
pub(crate) async fn log_in_root(console: &Console) -> (String, String) {
    let response = console
        .http
        .post(console.url("/console/login"))
        .json(&json!({"email": ROOT, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (&body["super_admin"], &body["tenant"], &body["role"]),
        (&json!(true), &json!(""), &json!("admin"))
    );
    (cookie, body["csrf_token"].as_str().unwrap().to_owned())
}

/// Chooses `tenant` on the chooser's form: the status and where it sends the browser.
async fn choose(console: &Console, cookie: &str, token: &str, tenant: &str) -> (StatusCode, Option<String>) {
    let response = console
        .http
        .post(console.url("/console/tenants"))
        .header("cookie", cookie)
        .form(&[("csrf_token", token), ("tenant", tenant)])
        .send()
        .await
        .unwrap();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (response.status(), location)
}

async fn page(console: &Console, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = console.http.get(console.url(path)).header("cookie", cookie).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn super_admin(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let a_key = Auth::Key(console.key(A, KeyScope::Write).await);
    let b_key = Auth::Key(console.key(B, KeyScope::Write).await);
    let mut a_case = 0;
    for (key, tenant, number) in [(&a_key, A, "SA-A"), (&b_key, B, "SA-B")] {
        let mut body = invoice(number, "de");
        body["tenant"] = tenant.into();
        let (status, answer) = console.call(Method::POST, "/api/v1/invoices", key, Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        if tenant == A {
            a_case = answer["case_id"].as_i64().unwrap();
        }
    }
    console.operator(A, "admin@paytest.example", OperatorRole::Admin, PASSWORD).await;
    console.operator(A, "agent@paytest.example", OperatorRole::Agent, PASSWORD).await;
    console.operator(B, "admin@other.example", OperatorRole::Admin, PASSWORD).await;
    let add = mahnwerk::api::console::accounts::add_super_admin;
    add(console.store.as_ref(), ROOT, PASSWORD, console.clock.now()).await.unwrap();
    assert!(add(console.store.as_ref(), ROOT, PASSWORD, console.clock.now()).await.is_err(), "one per email");
    assert!(add(console.store.as_ref(), "x@example.org", "short", console.clock.now()).await.is_err());

    // A wrong password is refused like an operator's; right, a session with no tenant yet, which
    // reads nothing of anyone.
    let wrong = json!({"email": ROOT, "password": "not the password"});
    let response = console.http.post(console.url("/console/login")).json(&wrong).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (cookie, csrf) = log_in_root(&console).await;
    let root = Auth::Session { cookie: cookie.clone(), csrf: csrf.clone() };
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &root, None).await.0, StatusCode::UNAUTHORIZED);
    let (status, html) = page(&console, &cookie, "/console/tenants?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<td>other</td>") && html.contains("<td>paytest</td>"), "{html}");
    assert!(html.contains("Act for paytest"), "{html}");

    // Choosing: the CSRF token is needed, and one of the tenants listed.
    assert_eq!(choose(&console, &cookie, "forged", A).await.0, StatusCode::FORBIDDEN);
    assert_eq!(choose(&console, &cookie, &csrf, "nobody").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(audit(&console, A).await.is_empty(), "nothing recorded yet");
    assert_eq!(choose(&console, &cookie, &csrf, A).await, (StatusCode::SEE_OTHER, Some("/console".into())));
    let entered = audit(&console, A).await;
    assert_eq!(entered.len(), 1);
    assert_eq!(
        (entered[0].action.as_str(), entered[0].actor.as_str()),
        ("tenant.super_admin_entered", "super_admin:root@installation.example")
    );

    // As tenant A's admin: A's cases only, an intervention audited under its own email, marked.
    let (status, cases) = console.call(Method::GET, "/api/v1/cases", &root, None).await;
    assert_eq!(status, StatusCode::OK);
    let numbers: Vec<&Value> =
        cases["cases"].as_array().unwrap().iter().map(|c| &c["invoice_number"]).collect();
    assert_eq!(numbers, [&json!("SA-A")]);
    let pause = format!("/api/v1/cases/{a_case}/pause");
    let (status, paused) = console.call(Method::POST, &pause, &root, None).await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["actor"], "super_admin:root@installation.example");
    let (_, html) = page(&console, &cookie, "/console/audit?lang=en").await;
    assert!(html.contains("root@installation.example (super-admin)"), "{html}");
    assert!(html.contains("super-admin began acting for the tenant"), "{html}");
    let (_, html) = page(&console, &cookie, "/console/cases?lang=en").await;
    assert!(html.contains("Switch tenant") && html.contains("SA-A") && !html.contains("SA-B"), "{html}");

    // Any tenant's accounts, whichever tenant it acts for: B's operators listed and one added,
    // a key of B's made, each in B's audit log.
    let b_operators = format!("/api/v1/admin/tenants/{B}/operators");
    let (status, listed) = console.call(Method::GET, &b_operators, &root, None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed[0]["email"], "admin@other.example");
    assert!(listed[0].get("password_hash").is_none(), "{listed}");
    let new_agent = json!({"email": "New.Agent@Other.example", "role": "agent", "password": PASSWORD});
    let (status, added) = console.call(Method::POST, &b_operators, &root, Some(&new_agent)).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!((&added["email"], &added["role"]), (&json!("new.agent@other.example"), &json!("agent")));
    let (status, _) = console.call(Method::POST, &b_operators, &root, Some(&new_agent)).await;
    assert_eq!(status, StatusCode::CONFLICT, "the same email again");
    for (body, field) in [
        (json!({"email": "x@other.example", "role": "boss", "password": PASSWORD}), "role"),
        (json!({"email": "not an email", "role": "agent", "password": PASSWORD}), "email"),
        (json!({"email": "x@other.example", "role": "agent", "password": "short"}), "password"),
    ] {
        let (status, refused) = console.call(Method::POST, &b_operators, &root, Some(&body)).await;
        assert_eq!(
            (status, &refused["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{refused}"
        );
    }
    let no_csrf = Auth::Session { cookie: cookie.clone(), csrf: "forged".into() };
    let other = json!({"email": "y@other.example", "role": "viewer", "password": PASSWORD});
    assert_eq!(
        console.call(Method::POST, &b_operators, &no_csrf, Some(&other)).await.0,
        StatusCode::FORBIDDEN
    );
    console.login(B, "new.agent@other.example", PASSWORD).await;
    let b_keys = format!("/api/v1/admin/tenants/{B}/api-keys");
    let (status, created) = console.call(Method::POST, &b_keys, &root, Some(&json!({"scope": "read"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let b_read = Auth::Key(created["key"].as_str().unwrap().to_owned());
    let (_, b_cases) = console.call(Method::GET, "/api/v1/cases", &b_read, None).await;
    assert_eq!(b_cases["cases"][0]["invoice_number"], "SA-B", "the new key is B's");
    let (status, keys) = console.call(Method::GET, &b_keys, &root, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(keys.as_array().unwrap().iter().any(|k| k["prefix"] == created["prefix"]), "{keys}");
    assert!(!keys.to_string().contains(created["key"].as_str().unwrap()), "never the key again: {keys}");
    let b_log = audit(&console, B).await;
    let made: Vec<(&str, &str)> = b_log.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        made,
        [
            ("api_key.create", "super_admin:root@installation.example"),
            ("operator.add", "super_admin:root@installation.example")
        ]
    );

    // A tenant's admin manages its own tenant's accounts only; agents and keys none.
    let (cookie_a, csrf_a) = console.login(A, "admin@paytest.example", PASSWORD).await;
    let a_admin = Auth::Session { cookie: cookie_a, csrf: csrf_a };
    let (cookie_g, csrf_g) = console.login(A, "agent@paytest.example", PASSWORD).await;
    let a_agent = Auth::Session { cookie: cookie_g, csrf: csrf_g };
    let a_operators = format!("/api/v1/admin/tenants/{A}/operators");
    let (status, own) = console.call(Method::GET, &a_operators, &a_admin, None).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own.as_array().unwrap().len(), 2, "{own}");
    let b_before = audit(&console, B).await.len();
    let intruder = json!({"email": "intruder@paytest.example", "role": "admin", "password": PASSWORD});
    for (method, path, body) in [
        (Method::GET, b_operators.as_str(), None),
        (Method::POST, b_operators.as_str(), Some(&intruder)),
        (Method::GET, b_keys.as_str(), None),
        (Method::POST, b_keys.as_str(), Some(&json!({"scope": "write"}))),
    ] {
        let (status, answer) = console.call(method.clone(), path, &a_admin, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "A's admin on {method} {path}: {answer}");
        assert!(!answer.to_string().contains("other.example"), "{answer}");
    }
    assert_eq!(audit(&console, B).await.len(), b_before, "nothing written in B");
    let (_, listed) = console.call(Method::GET, &b_operators, &root, None).await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "no intruder among B's operators: {listed}");
    for (auth, who) in [(&a_agent, "an agent"), (&a_key, "a write key")] {
        let (status, _) = console.call(Method::GET, &a_operators, auth, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let (status, _) = console.call(Method::POST, &a_operators, auth, Some(&intruder)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(console.call(Method::GET, &a_operators, &Auth::None, None).await.0, StatusCode::UNAUTHORIZED);
    let viewer = json!({"email": "viewer@paytest.example", "role": "viewer", "password": PASSWORD});
    let (status, added) = console.call(Method::POST, &a_operators, &a_admin, Some(&viewer)).await;
    assert_eq!(status, StatusCode::CREATED, "its own tenant's: {added}");
    assert_eq!(audit(&console, A).await[0].actor, "operator:admin@paytest.example");

    // Switching to B: B's cases, A's no more.
    assert_eq!(choose(&console, &cookie, &csrf, B).await.0, StatusCode::SEE_OTHER);
    let (_, cases) = console.call(Method::GET, "/api/v1/cases", &root, None).await;
    assert_eq!(cases["cases"][0]["invoice_number"], "SA-B");
    let (status, _) = console.call(Method::GET, &format!("/api/v1/cases/{a_case}"), &root, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "A's case, while acting for B");
    support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_super_admin_acts_for_a_chosen_tenant_and_manages_accounts_on_sqlite() {
    super_admin(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_super_admin_acts_for_a_chosen_tenant_and_manages_accounts_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    super_admin(backend).await;
}
