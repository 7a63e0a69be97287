//! Removing operators and revoking API keys over HTTP, on SQLite and on PostgreSQL:
//! `DELETE /api/v1/admin/tenants/{tenant}/operators/{id}` and `…/api-keys/{id}`. No credentials
//! 401; a key, an agent or a session without its CSRF token 403; another tenant's admin, or an id
//! the tenant does not have, 404, and nothing changes. A revoked key is refused on its next
//! request and cannot be revoked twice (409); a removed operator's session ends at once; the
//! tenant's last admin cannot be removed, by itself or by the super-admin (409). Each is audited.

use crate::console_api::{Auth, Console, A, B};
use crate::support;

use mahnwerk::app::Role;
use mahnwerk::domain::{KeyScope, OperatorRole, TenantId};
use mahnwerk::runtime::Clock;
use mahnwerk::store::console::{AuditEntry, AuditFilter};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::servers::Backend;

const PASSWORD: &str = "a long enough password";
const ROOT: &str = "root@installation.example";

async fn audit(console: &Console, tenant: &str) -> Vec<AuditEntry> {
    let tenant = TenantId::parse(tenant).unwrap();
    let mut tx = console.store.begin().await.unwrap();
    tx.audit_log(&tenant, &AuditFilter { limit: 1000, ..AuditFilter::default() }).await.unwrap()
}

async fn session(console: &Console, tenant: &str, email: &str) -> Auth {
    let (cookie, csrf) = console.login(tenant, email, PASSWORD).await;
    Auth::Session { cookie, csrf }
}

/// The id of `tenant`'s operator or key listed at `path` whose `field` is `value`.
async fn listed_id(console: &Console, path: &str, auth: &Auth, field: &str, value: &str) -> i64 {
    let (status, listed) = console.call(Method::GET, path, auth, None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let found = listed.as_array().unwrap().iter().find(|o| o[field] == value);
    found.unwrap_or_else(|| panic!("{value} in {listed}"))["id"].as_i64().unwrap()
}

async fn removal(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    for (tenant, email, role) in [
        (A, "admin@paytest.example", OperatorRole::Admin),
        (A, "agent@paytest.example", OperatorRole::Agent),
        (B, "admin@other.example", OperatorRole::Admin),
    ] {
        console.operator(tenant, email, role, PASSWORD).await;
    }
    mahnwerk::api::console::accounts::add_super_admin(
        console.store.as_ref(),
        ROOT,
        PASSWORD,
        console.clock.now(),
    )
    .await
    .unwrap();
    let a_admin = session(&console, A, "admin@paytest.example").await;
    let a_agent = session(&console, A, "agent@paytest.example").await;
    let b_admin = session(&console, B, "admin@other.example").await;
    let a_write_key = console.key(A, KeyScope::Write).await;
    let a_write = Auth::Key(a_write_key.clone());
    let operators = format!("/api/v1/admin/tenants/{A}/operators");
    let keys = format!("/api/v1/admin/tenants/{A}/api-keys");
    let prefix = &a_write_key[..12];
    let key_id = listed_id(&console, &keys, &a_admin, "prefix", prefix).await;
    let agent_id = listed_id(&console, &operators, &a_admin, "email", "agent@paytest.example").await;
    let admin_id = listed_id(&console, &operators, &a_admin, "email", "admin@paytest.example").await;
    let revoke = format!("{keys}/{key_id}");
    let remove_agent = format!("{operators}/{agent_id}");
    let remove_admin = format!("{operators}/{admin_id}");

    // Who may not: nothing changes, nothing is audited.
    let Auth::Session { cookie: admin_cookie, .. } = &a_admin else { unreachable!() };
    let no_csrf = Auth::Session { cookie: admin_cookie.clone(), csrf: "forged".into() };
    let entries = audit(&console, A).await.len();
    for path in [&revoke, &remove_agent] {
        for (auth, expected, who) in [
            (&Auth::None, StatusCode::UNAUTHORIZED, "no credentials"),
            (&Auth::Key("mwk_forged".into()), StatusCode::UNAUTHORIZED, "a key nobody issued"),
            (&a_write, StatusCode::FORBIDDEN, "a write key"),
            (&a_agent, StatusCode::FORBIDDEN, "an agent"),
            (&no_csrf, StatusCode::FORBIDDEN, "an admin's session without its CSRF token"),
            (&b_admin, StatusCode::NOT_FOUND, "another tenant's admin"),
        ] {
            let (status, answer) = console.call(Method::DELETE, path, auth, None).await;
            assert_eq!(status, expected, "{who} on {path}: {answer}");
        }
    }
    for path in [format!("{keys}/999999"), format!("{operators}/999999")] {
        let (status, answer) = console.call(Method::DELETE, &path, &a_admin, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
    }
    let b_key = console.key(B, KeyScope::Read).await;
    let b_key_id =
        listed_id(&console, &format!("/api/v1/admin/tenants/{B}/api-keys"), &b_admin, "prefix", &b_key[..12])
            .await;
    let (status, _) = console.call(Method::DELETE, &format!("{keys}/{b_key_id}"), &a_admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "B's key through A's path");
    assert_eq!(audit(&console, A).await.len(), entries);
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &a_write, None).await.0, StatusCode::OK);
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &a_agent, None).await.0, StatusCode::OK);
    assert_eq!(
        console.call(Method::GET, "/api/v1/cases", &Auth::Key(b_key.clone()), None).await.0,
        StatusCode::OK
    );

    // The key revoked: refused on its next request; a second revocation is 409.
    let (status, revoked) = console.call(Method::DELETE, &revoke, &a_admin, None).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!((&revoked["id"], &revoked["prefix"]), (&json!(key_id), &json!(prefix)));
    assert_eq!(revoked["revoked_at"], json!(console.clock.now()), "{revoked}");
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &a_write, None).await.0, StatusCode::UNAUTHORIZED);
    let (status, again) = console.call(Method::DELETE, &revoke, &a_admin, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert!(
        again["error"].as_str().unwrap().contains(&format!("the key {prefix} was revoked at ")),
        "{again}"
    );

    // The agent removed: its session ends at once, and it is gone from the list.
    let (status, removed) = console.call(Method::DELETE, &remove_agent, &a_admin, None).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!((&removed["email"], &removed["role"]), (&json!("agent@paytest.example"), &json!("agent")));
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &a_agent, None).await.0, StatusCode::UNAUTHORIZED);
    let (_, listed) = console.call(Method::GET, &operators, &a_admin, None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(console.call(Method::DELETE, &remove_agent, &a_admin, None).await.0, StatusCode::NOT_FOUND);

    // The last admin stays: by itself, and by the super-admin.
    let (status, refused) = console.call(Method::DELETE, &remove_admin, &a_admin, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(
        refused["error"],
        "admin@paytest.example is the tenant's last admin and cannot be removed: add another admin first"
    );
    let root = root_session(&console).await;
    assert_eq!(console.call(Method::DELETE, &remove_admin, &root, None).await.0, StatusCode::CONFLICT);
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &a_admin, None).await.0, StatusCode::OK);

    // With a second admin, the first may go (its own session ends); then the second is the last.
    let second = json!({"email": "second@paytest.example", "role": "admin", "password": PASSWORD});
    assert_eq!(console.call(Method::POST, &operators, &a_admin, Some(&second)).await.0, StatusCode::CREATED);
    let (status, removed) = console.call(Method::DELETE, &remove_admin, &a_admin, None).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(console.call(Method::GET, "/api/v1/cases", &a_admin, None).await.0, StatusCode::UNAUTHORIZED);
    let a_second = session(&console, A, "second@paytest.example").await;
    let second_id = listed_id(&console, &operators, &a_second, "email", "second@paytest.example").await;
    let (status, _) =
        console.call(Method::DELETE, &format!("{operators}/{second_id}"), &a_second, None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The super-admin revokes B's key from wherever it acts.
    let b_revoke = format!("/api/v1/admin/tenants/{B}/api-keys/{b_key_id}");
    let (status, answer) = console.call(Method::DELETE, &b_revoke, &root, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        console.call(Method::GET, "/api/v1/cases", &Auth::Key(b_key), None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The audit logs: who did what, before and after.
    let log = audit(&console, A).await;
    let done: Vec<(&str, &str)> = log.iter().map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        done,
        [
            ("operator.remove", "operator:admin@paytest.example"),
            ("operator.add", "operator:admin@paytest.example"),
            ("operator.remove", "operator:admin@paytest.example"),
            ("api_key.revoke", "operator:admin@paytest.example"),
        ]
    );
    assert_eq!(log[0].before, json!({"id": admin_id, "email": "admin@paytest.example", "role": "admin"}));
    assert_eq!(log[3].before, json!({"id": key_id, "prefix": prefix, "scope": "write"}));
    assert_eq!(log[3].after["revoked_at"], json!(console.clock.now()));
    let b_log = audit(&console, B).await;
    assert_eq!(
        (b_log[0].action.as_str(), b_log[0].actor.as_str()),
        ("api_key.revoke", "super_admin:root@installation.example")
    );
    support::scenario::stop_roles(trigger, roles).await;
}

/// The super-admin's session (no tenant chosen: it manages accounts all the same).
async fn root_session(console: &Console) -> Auth {
    let (cookie, csrf) = crate::console_super_admin::log_in_root(console).await;
    Auth::Session { cookie, csrf }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_operators_and_revoking_keys_on_sqlite() {
    removal(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_operators_and_revoking_keys_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    removal(backend).await;
}
