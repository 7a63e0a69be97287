//! The operator console's HTTP API on both backends: the OpenAPI document is 3.1 and every route
//! it documents answers as documented; tenant isolation table-driven over the document's paths
//! (another tenant's key or login gets 404 and changes nothing, no credentials 401, a read key or
//! a viewer on a write route 403); invoices in with the intake's validation and idempotency.

use crate::pay_page::{config_with, invoice};
use crate::support;

use chrono::Duration as Days;
use mahnwerk::app::{Role, Service};
use mahnwerk::demo::world;
use mahnwerk::domain::{KeyScope, OperatorRole, TenantId};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use support::servers::Backend;

pub(crate) const A: &str = "paytest";
pub(crate) const B: &str = "other";

/// A console served on a free port, its tenants' keys, and what the test needs to look inside.
pub(crate) struct Console {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    pub _service: Service,
    _outbox: tempfile::TempDir,
}

impl Console {
    /// The service on `backend` with `roles` running (the API on a free port).
    pub async fn start(
        backend: &Backend,
        role: Role,
    ) -> (Self, mahnwerk::shutdown::ShutdownTrigger, tokio::task::JoinSet<(String, anyhow::Result<()>)>) {
        Self::start_with(backend, role, "").await
    }

    /// [`Console::start`] with more `[console]` keys (`"summary_refresh_secs = 1\n"`).
    pub async fn start_with(
        backend: &Backend,
        role: Role,
        console_keys: &str,
    ) -> (Self, mahnwerk::shutdown::ShutdownTrigger, tokio::task::JoinSet<(String, anyhow::Result<()>)>) {
        let outbox = tempfile::tempdir().unwrap();
        // The summaries are read on a tenant's first call unless a test asks for them at the
        // start: a test makes its accounts after the start, and a reading made before its data
        // would be kept.
        let ahead =
            if console_keys.contains("summaries_at_start") { "" } else { "summaries_at_start = false\n" };
        let section = format!("[console]\nsecure_cookie = false\n{ahead}{console_keys}");
        let config = config_with(&backend.topology.namespace, outbox.path(), &section);
        let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
        let service =
            Service::assemble(&config, backend.store.clone(), backend.queue.clone(), clock.clone()).unwrap();
        let addr = service.bind_api().await.unwrap();
        let (trigger, shutdown) = mahnwerk::shutdown::channel();
        let roles = service.spawn(role, &shutdown);
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let console =
            Self { addr, store: backend.store.clone(), clock, http, _service: service, _outbox: outbox };
        (console, trigger, roles)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn key(&self, tenant: &str, scope: KeyScope) -> String {
        let tenant = TenantId::parse(tenant).unwrap();
        let (_, key) = mahnwerk::api::console::accounts::create_api_key(
            self.store.as_ref(),
            &tenant,
            scope,
            self.clock.now(),
        )
        .await
        .unwrap();
        key
    }

    pub async fn operator(&self, tenant: &str, email: &str, role: OperatorRole, password: &str) {
        let tenant = TenantId::parse(tenant).unwrap();
        mahnwerk::api::console::accounts::add_operator(
            self.store.as_ref(),
            &tenant,
            email,
            role,
            password,
            self.clock.now(),
        )
        .await
        .unwrap();
    }

    /// Logs in and returns the session cookie (`name=value`) and the CSRF token.
    pub async fn login(&self, tenant: &str, email: &str, password: &str) -> (String, String) {
        let response = self
            .http
            .post(self.url("/console/login"))
            .json(&json!({"tenant": tenant, "email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "logging in {email}");
        let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let body: Value = response.json().await.unwrap();
        (cookie, body["csrf_token"].as_str().unwrap().to_owned())
    }

    /// A call with `auth` (`Bearer …` or a session cookie with its CSRF token), answering the
    /// status and the JSON body (`Null` if none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        request = match auth {
            Auth::None => request,
            Auth::Key(key) => request.bearer_auth(key),
            Auth::Session { cookie, csrf } => request.header("cookie", cookie).header("x-csrf-token", csrf),
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// How a test call authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    None,
    Key(String),
    Session { cookie: String, csrf: String },
}

/// The routes that take a body but change nothing: any role may call them.
const READS_BY_POST: [&str; 2] = ["/api/v1/templates/validate", "/api/v1/templates/preview"];

/// Tenant A's own plan (`[[plans]] tenants = ["paytest"]`), which tenant B does not have.
pub(crate) const A_PLAN: &str = "three-emails";

/// A route of the document with its parameters filled in for tenant A's objects, and a body that
/// would be valid for it.
struct Route {
    method: Method,
    template: String,
    path: String,
    body: Option<Value>,
    documented: Vec<u16>,
}

fn routes(document: &Value, case_id: i64, debtor: &str, number: &str) -> Vec<Route> {
    let mut routes = Vec::new();
    for (template, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let path = template
                .replace(
                    "{id}",
                    &if template.starts_with("/api/v1/debtors") {
                        debtor.to_owned()
                    } else {
                        case_id.to_string()
                    },
                )
                .replace("{number}", number)
                .replace("{name}", A_PLAN)
                .replace("{tenant}", A);
            let body = match template.as_str() {
                "/api/v1/invoices" => Some(invoice("API-2", "de")),
                t if t.ends_with("/paid") => {
                    Some(json!({"paid_at": "2026-01-05T10:00:00Z", "amount_paid": "1.00",
                                                         "currency": "EUR", "payment_reference": "walk"}))
                }
                t if t.ends_with("/contact") => Some(json!({"phone": "+4915112345678"})),
                "/api/v1/templates/validate" => Some(
                    json!({"name": "sms", "language": "de", "source": "{{ creditor_name }}: {{ amount }}"}),
                ),
                "/api/v1/templates/preview" => {
                    Some(json!({"plan": "standard-b2c", "stage": 2, "channel": "sms", "language": "de"}))
                }
                _ if method == Method::POST => Some(json!({})),
                _ => None,
            };
            let documented =
                operation["responses"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect();
            routes.push(Route { method, template: template.clone(), path, body, documented });
        }
    }
    routes
}

/// What tenant A has, as A reads it: to check that nothing changed.
async fn snapshot(console: &Console, key: &Auth, case_id: i64, debtor: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        format!("/api/v1/cases/{case_id}"),
        format!("/api/v1/debtors/{debtor}"),
        "/api/v1/cases".to_owned(),
        "/api/v1/audit".to_owned(),
    ] {
        let (status, body) = console.call(Method::GET, &path, key, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        seen.push(body);
    }
    seen
}

async fn isolation_and_document(backend: Backend) {
    let (console, trigger, roles) = Console::start(&backend, Role::Api).await;
    let a_write = Auth::Key(console.key(A, KeyScope::Write).await);
    let a_read = Auth::Key(console.key(A, KeyScope::Read).await);
    let b_write = Auth::Key(console.key(B, KeyScope::Write).await);
    let b_read = Auth::Key(console.key(B, KeyScope::Read).await);
    console.operator(B, "agent@other.example", OperatorRole::Agent, "a long enough password").await;
    let (cookie, csrf) = console.login(B, "agent@other.example", "a long enough password").await;
    let b_session = Auth::Session { cookie, csrf };
    console.operator(A, "viewer@paytest.example", OperatorRole::Viewer, "a long enough password").await;
    let (cookie, csrf) = console.login(A, "viewer@paytest.example", "a long enough password").await;
    let a_viewer = Auth::Session { cookie, csrf };

    // Invoices in, as over AMQP: created, then the same again changes nothing; a bad field is named.
    let body = invoice("API-1", "de");
    let (status, created) = console.call(Method::POST, "/api/v1/invoices", &a_write, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["outcome"], "created");
    let case_id = created["case_id"].as_i64().expect("a case id");
    let (status, again) = console.call(Method::POST, "/api/v1/invoices", &a_write, Some(&body)).await;
    assert_eq!(
        (status, &again["outcome"], again["case_id"].as_i64()),
        (StatusCode::OK, &json!("duplicate"), Some(case_id))
    );
    let mut bad = body.clone();
    bad["debtor"]["email"] = json!("not an address");
    bad["invoice_number"] = json!("API-9");
    let (status, refused) = console.call(Method::POST, "/api/v1/invoices", &a_write, Some(&bad)).await;
    assert_eq!(
        (status, &refused["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("debtor.email")),
        "{refused}"
    );
    let (status, refused) = console.call(Method::POST, "/api/v1/invoices", &b_write, Some(&body)).await;
    assert_eq!(
        (status, &refused["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("tenant")),
        "{refused}"
    );
    let debtor = "D-API-1";
    let number = "API-1";

    // The document: public, OpenAPI 3.1, describing the routes.
    let response = console.http.get(console.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);
    let routes = routes(&document, case_id, debtor, number);
    assert!(routes.len() >= 12, "{} routes documented", routes.len());
    for expected in [
        "/api/v1/cases/{id}/pause",
        "/api/v1/debtors/{id}",
        "/api/v1/audit",
        "/api/v1/invoices",
        "/api/v1/plans/{name}",
        "/api/v1/templates/preview",
        "/api/v1/debtors/{id}/marketing-consent",
        "/api/v1/admin/tenants/{tenant}/operators",
        "/api/v1/admin/tenants/{tenant}/api-keys",
    ] {
        assert!(routes.iter().any(|r| r.template == expected), "{expected} documented");
    }
    for (method, template) in [
        (Method::DELETE, "/api/v1/debtors/{id}/stop"),
        (Method::GET, "/api/v1/debtors/{id}/marketing-consent"),
        (Method::POST, "/api/v1/admin/tenants/{tenant}/api-keys"),
    ] {
        assert!(routes.iter().any(|r| r.method == method && r.template == template), "{method} {template}");
    }

    let before = snapshot(&console, &a_read, case_id, debtor).await;
    for route in &routes {
        let what = format!("{} {}", route.method, route.template);
        let body = route.body.as_ref();
        let writes = route.method != Method::GET && !READS_BY_POST.contains(&route.template.as_str());
        // No credentials, or a key nobody issued: 401.
        for auth in [Auth::None, Auth::Key("mwk_forged".into())] {
            let (status, _) = console.call(route.method.clone(), &route.path, &auth, body).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} with {auth:?}");
        }
        // Read-only callers on a write route: 403; on a route that only reads, its answer.
        for auth in [&a_read, &a_viewer] {
            let (status, answer) = console.call(route.method.clone(), &route.path, auth, body).await;
            if writes {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what} read-only");
            } else if READS_BY_POST.contains(&route.template.as_str()) {
                assert_eq!(status, StatusCode::OK, "{what} read-only: {answer}");
            }
        }
        // Tenant B, by key or login: A's objects are not found.
        for (auth, read_only) in [(&b_write, false), (&b_read, true), (&b_session, false)] {
            let (status, answer) = console.call(route.method.clone(), &route.path, auth, body).await;
            let expected = if writes && read_only {
                StatusCode::FORBIDDEN
            } else if route.template == "/api/v1/invoices" {
                StatusCode::UNPROCESSABLE_ENTITY // the body names tenant A
            } else if route.template.contains('{') {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            assert_eq!(status, expected, "{what} as tenant B: {answer}");
            let text = answer.to_string();
            assert!(!text.contains(number) && !text.contains(debtor), "{what} leaks A's data to B: {text}");
        }
    }
    assert_eq!(snapshot(&console, &a_read, case_id, debtor).await, before, "tenant B changed nothing of A's");
    assert_eq!(console.store.case_by_invoice(B, number).await.unwrap(), None);

    // Every documented route answers with a valid key, with one of its documented statuses.
    for route in &routes {
        let (status, answer) =
            console.call(route.method.clone(), &route.path, &a_write, route.body.as_ref()).await;
        assert!(
            route.documented.contains(&status.as_u16()),
            "{} {} answered {status} (documented: {:?}): {answer}",
            route.method,
            route.template,
            route.documented
        );
        assert!(
            !matches!(status.as_u16(), 404 | 405 | 500..),
            "{} {}: {status}",
            route.method,
            route.template
        );
    }
    support::scenario::stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_and_the_openapi_document_on_sqlite() {
    isolation_and_document(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_and_the_openapi_document_on_postgres() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    isolation_and_document(backend).await;
}
