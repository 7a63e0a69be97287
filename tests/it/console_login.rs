//! Console logins on both backends: the password is kept as an argon2id hash; the session cookie
//! is HttpOnly and SameSite=Strict; writes over the cookie need the CSRF token; after five failed
//! logins an account is throttled (429, even with the right password) until the window passed;
//! logging out ends the session; a revoked key is refused.

use crate::console_api::{Auth, Console, A};
use crate::pay_page::invoice;

use crate::support::servers::Backend;
use chrono::Duration as Days;
use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole, TenantId};
use mahnwerk::runtime::Clock;
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

async fn try_login(console: &Console, password: &str) -> reqwest::Response {
    console
        .http
        .post(console.url("/console/login"))
        .json(&json!({"tenant": A, "email": "Agent@Paytest.example", "password": password}))
        .send()
        .await
        .unwrap()
}

async fn logins(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    console.operator(A, "agent@paytest.example", OperatorRole::Agent, PASSWORD).await;
    let tenant = TenantId::parse(A).unwrap();
    let mut tx = console.store.begin().await.unwrap();
    let stored = tx.operator_by_email(&tenant, "agent@paytest.example").await.unwrap().expect("the operator");
    drop(tx);
    assert!(stored.password_hash.starts_with("$argon2id$") && !stored.password_hash.contains(PASSWORD));

    // A case to act on, by key.
    let key = Auth::Key(console.key(A, KeyScope::Write).await);
    let (status, created) =
        console.call(Method::POST, "/api/v1/invoices", &key, Some(&invoice("L-1", "de"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let pause = format!("/api/v1/cases/{}/pause", created["case_id"]);

    // The session cookie, and the CSRF token its writes need.
    let response = try_login(&console, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["mahnwerk_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{attribute} in {set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let csrf = response.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();
    let session = Auth::Session { cookie: cookie.clone(), csrf: csrf.clone() };
    let (status, _) = console.call(Method::GET, "/api/v1/cases", &session, None).await;
    assert_eq!(status, StatusCode::OK, "reading needs no CSRF token");
    for forged in ["", "wrong"] {
        let auth = Auth::Session { cookie: cookie.clone(), csrf: forged.into() };
        let (status, body) = console.call(Method::POST, &pause, &auth, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, body) = console.call(Method::POST, &pause, &session, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["actor"], "operator:agent@paytest.example");

    // Five failures throttle the account; the right password then waits out the window too.
    for attempt in 1..=5 {
        let response = try_login(&console, "wrong password!").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "failure {attempt}");
    }
    let response = try_login(&console, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let unknown = console
        .http
        .post(console.url("/console/login"))
        .json(&json!({"tenant": A, "email": "nobody@paytest.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED, "an unknown account reads like a wrong password");
    console.clock.advance(Days::minutes(16));
    assert_eq!(try_login(&console, PASSWORD).await.status(), StatusCode::OK, "the window passed");

    // Logging out ends the session.
    let response =
        console.http.post(console.url("/console/logout")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = console.call(Method::GET, "/api/v1/cases", &session, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A revoked key is refused.
    let (id, revoked) = mahnwerk::api::console::accounts::create_api_key(
        console.store.as_ref(),
        &tenant,
        KeyScope::Read,
        console.clock.now(),
    )
    .await
    .unwrap();
    let revoked = Auth::Key(revoked);
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &revoked, None).await.0, StatusCode::OK);
    assert!(mahnwerk::api::console::accounts::revoke_api_key(
        console.store.as_ref(),
        &tenant,
        id,
        console.clock.now()
    )
    .await
    .unwrap());
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &revoked, None).await.0, StatusCode::UNAUTHORIZED);
    let other = TenantId::parse("other").unwrap();
    assert!(
        !mahnwerk::api::console::accounts::revoke_api_key(
            console.store.as_ref(),
            &other,
            id,
            console.clock.now()
        )
        .await
        .unwrap(),
        "another tenant cannot revoke (or see) the key"
    );
    crate::support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_logins_on_sqlite() {
    logins(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_logins_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    logins(backend).await;
}

/// `mahnwerk operators add` and `mahnwerk api-keys create|revoke`, as an installation bootstraps
/// its console: the password from the environment or stdin, the key printed once and stored only
/// as its hash.
#[tokio::test]
async fn operators_and_keys_from_the_command_line() {
    use crate::cli::{mahnwerk, run};
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let added = run(mahnwerk(dir.path())
        .args(["operators", "add", "--tenant", A, "--email", "Admin@Paytest.example", "--role", "admin"])
        .env("MAHNWERK_OPERATOR_PASSWORD", PASSWORD));
    assert!(added.contains("added to paytest as admin"), "{added}");
    let mut child = mahnwerk(dir.path())
        .args(["operators", "add", "--tenant", A, "--email", "viewer@paytest.example", "--role", "viewer"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(child.wait_with_output().unwrap().status.success(), "the password read from stdin");
    for (email, password) in [("admin@paytest.example", PASSWORD), ("new@paytest.example", "too short")] {
        let refused = mahnwerk(dir.path())
            .args(["operators", "add", "--tenant", A, "--email", email, "--role", "agent"])
            .env("MAHNWERK_OPERATOR_PASSWORD", password)
            .output()
            .unwrap();
        assert!(!refused.status.success(), "{email} refused");
    }

    let key = run(mahnwerk(dir.path()).args(["api-keys", "create", "--tenant", A, "--scope", "write"]));
    let key = key.trim();
    assert!(key.starts_with("mwk_"), "{key}");
    let store =
        mahnwerk::store::open(&format!("sqlite://{}/cli.sqlite", dir.path().display())).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let admin = tx.operator_by_email(&TenantId::parse(A).unwrap(), "admin@paytest.example").await.unwrap();
    assert!(admin.unwrap().password_hash.starts_with("$argon2id$"));
    let hash = mahnwerk::api::console::auth::token_hash(key);
    let stored = tx.api_key(&hash).await.unwrap().expect("the key, by its hash");
    assert_eq!((stored.tenant.as_str(), stored.scope, stored.revoked_at), (A, KeyScope::Write, None));
    drop(tx);
    drop(store);
    let id = stored.id.to_string();
    run(mahnwerk(dir.path()).args(["api-keys", "revoke", "--tenant", A, &id]));
    let again = mahnwerk(dir.path()).args(["api-keys", "revoke", "--tenant", A, &id]).output().unwrap();
    assert!(!again.status.success(), "a key is revoked once");
}
