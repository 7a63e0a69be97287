//! Who calls the console during the load, and what they ask for: per tenant an API key (made
//! with the store's key function, as `mahnwerk api-keys create` makes one) and a viewer, both
//! made before the `api` role starts ([`make_accounts`]), the viewer's session (a real
//! `POST /console/login`), a sample of the tenant's cases, and from the sample
//! the words a user would search for. [`Catalogue::request`] turns the mix's n-th slot into one
//! request of one tenant.

use super::load::Route;
use crate::api::console::accounts::create_api_key;
use crate::api::console::auth::{hash_password, SESSION_COOKIE};
use crate::domain::{KeyScope, OperatorRole, TenantId};
use crate::store::Store;
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use rand::Rng;
use std::net::SocketAddr;

/// The operators' password (the benchmark's own database, dropped afterwards).
const PASSWORD: &str = "bench-console-password";
/// Cases sampled per tenant for the case pages and the searches.
const SAMPLE_PER_TENANT: usize = 100;

/// One sampled case.
#[derive(Debug, Clone)]
struct Sampled {
    case_id: i64,
    invoice_number: String,
    debtor_id: String,
    debtor_name: String,
}

/// One tenant as the load calls it.
#[derive(Debug, Clone)]
struct Caller {
    /// `Authorization: …` and `Accept-Language` lines for the JSON API.
    api_headers: String,
    /// `Cookie: …` and `Accept-Language` lines for the pages.
    page_headers: String,
    cases: Vec<Sampled>,
    /// `next_cursor` of the first page of the tenant's reminding cases, if there is a second.
    second_page: Option<String>,
}

/// One request of the load.
#[derive(Debug, Clone)]
pub struct Request {
    /// Which filter combination, for the case lists.
    pub filter: Option<&'static str>,
    pub path: String,
    pub headers: String,
}

/// Every tenant's caller.
pub struct Catalogue {
    callers: Vec<Caller>,
}

/// The case list's filter combinations, with the query each puts on the path.
pub const LIST_FILTERS: [&str; 12] = [
    "none",
    "state",
    "state+channel",
    "stage+days overdue",
    "amount range",
    "channel+days overdue range",
    "state+least amount",
    "text: a debtor's surname",
    "text: an invoice number",
    "text: a debtor id",
    "next page (cursor)",
    "a later page (cursor)+days overdue",
];

/// A tenant's console accounts, made before the `api` role starts (as they exist before any
/// restart), so that the role finds them to read their summaries ahead.
pub struct Accounts {
    tenant: TenantId,
    key: String,
    email: String,
}

/// Makes each tenant's read key and viewer.
pub async fn make_accounts(
    store: &dyn Store,
    tenants: &[TenantId],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Accounts>> {
    // One argon2 hash for every operator: hashing is the slow part, and what is measured is the
    // pages, not the login.
    let hash = hash_password(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut accounts = Vec::new();
    for tenant in tenants {
        let (_, key) = create_api_key(store, tenant, KeyScope::Read, now).await?;
        let email = format!("viewer@{}.example.org", tenant.as_str());
        let mut tx = store.begin().await?;
        tx.insert_operator(tenant, &email, OperatorRole::Viewer, &hash, now).await?;
        tx.commit().await?;
        accounts.push(Accounts { tenant: tenant.clone(), key, email });
    }
    Ok(accounts)
}

impl Catalogue {
    /// Makes the callers of the tenants with `accounts` on the running API at `addr`.
    pub async fn make(database_url: &str, addr: SocketAddr, accounts: &[Accounts]) -> anyhow::Result<Self> {
        let tenants: Vec<TenantId> = accounts.iter().map(|a| a.tenant.clone()).collect();
        let samples = sample_cases(database_url, &tenants).await?;
        let http = reqwest::Client::builder().build().context("an HTTP client")?;
        let mut callers = Vec::new();
        for (Accounts { tenant, key, email }, cases) in accounts.iter().zip(samples) {
            if cases.is_empty() {
                bail!("tenant {tenant} has no cases to ask for");
            }
            let cookie = log_in(&http, addr, tenant, email).await?;
            let api_headers = format!("Authorization: Bearer {key}\r\nAccept: application/json\r\n");
            let page_headers = format!("Cookie: {SESSION_COOKIE}={cookie}\r\nAccept-Language: de\r\n");
            let first = format!("http://{addr}/api/v1/cases?state=reminding");
            let page: serde_json::Value = http
                .get(&first)
                .header("authorization", format!("Bearer {key}"))
                .send()
                .await?
                .error_for_status()
                .context("the first page of reminding cases")?
                .json()
                .await?;
            let second_page = page["next_cursor"].as_str().map(str::to_owned);
            callers.push(Caller { api_headers, page_headers, cases, second_page });
        }
        Ok(Self { callers })
    }

    /// A request on `route` of a tenant picked at random, the `n`-th on that route: the case
    /// lists' filter combinations take turns by `n`.
    pub fn request(&self, route: Route, n: usize, rng: &mut impl Rng) -> Request {
        let caller = self.callers.choose(rng).expect("at least one tenant");
        let case = caller.cases.choose(rng).expect("a sampled case per tenant");
        let (path, filter, headers) = match route {
            Route::CaseList => {
                let filter = LIST_FILTERS[n % LIST_FILTERS.len()];
                let query = list_query(filter, caller, case, rng);
                (format!("/api/v1/cases?{query}"), Some(filter), &caller.api_headers)
            }
            Route::CaseListPage => {
                let query = if n % 2 == 0 {
                    query(&[("q", surname(&case.debtor_name)), ("state", "reminding")])
                } else {
                    query(&[("state", "paused")])
                };
                (format!("/console/cases?{query}"), None, &caller.page_headers)
            }
            Route::Case => (format!("/api/v1/cases/{}", case.case_id), None, &caller.api_headers),
            Route::CasePage => (format!("/console/cases/{}", case.case_id), None, &caller.page_headers),
            Route::Stats => ("/api/v1/stats".to_owned(), None, &caller.api_headers),
            Route::Overview => ("/console".to_owned(), None, &caller.page_headers),
            Route::Healthz => ("/healthz".to_owned(), None, &caller.api_headers),
        };
        Request { filter, path, headers: headers.clone() }
    }
}

/// The query of one list filter combination.
fn list_query(filter: &str, caller: &Caller, case: &Sampled, rng: &mut impl Rng) -> String {
    let later = caller.cases.choose(rng).map_or(0, |c| c.case_id).to_string();
    match filter {
        "state" => query(&[("state", "reminding")]),
        "state+channel" => query(&[("state", "paid"), ("channel", "sms")]),
        "stage+days overdue" => query(&[("stage", "2"), ("min_days_overdue", "30")]),
        "amount range" => query(&[("min_amount", "100.00"), ("max_amount", "500.00")]),
        "channel+days overdue range" => {
            query(&[("channel", "letter"), ("min_days_overdue", "14"), ("max_days_overdue", "90")])
        }
        "state+least amount" => query(&[("state", "escalated"), ("min_amount", "1000")]),
        "text: a debtor's surname" => query(&[("q", surname(&case.debtor_name))]),
        "text: an invoice number" => query(&[("q", &case.invoice_number)]),
        "text: a debtor id" => query(&[("q", &case.debtor_id)]),
        "next page (cursor)" => match &caller.second_page {
            Some(cursor) => query(&[("state", "reminding"), ("cursor", cursor)]),
            None => query(&[("state", "reminding")]),
        },
        "a later page (cursor)+days overdue" => query(&[("min_days_overdue", "7"), ("cursor", &later)]),
        _ => String::new(),
    }
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The last word of a name (what one types to find a debtor).
fn surname(name: &str) -> &str {
    name.rsplit(' ').next().unwrap_or(name)
}

/// A real login; the session cookie's value.
async fn log_in(
    http: &reqwest::Client,
    addr: SocketAddr,
    tenant: &TenantId,
    email: &str,
) -> anyhow::Result<String> {
    let body = serde_json::json!({"tenant": tenant.as_str(), "email": email, "password": PASSWORD});
    let response = http
        .post(format!("http://{addr}/console/login"))
        .json(&body)
        .send()
        .await
        .context("logging in")?
        .error_for_status()
        .with_context(|| format!("logging in to {tenant}"))?;
    let prefix = format!("{SESSION_COOKIE}=");
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.strip_prefix(&prefix)?.split(';').next().map(str::to_owned))
        .context("a login without a session cookie")
}

/// Up to [`SAMPLE_PER_TENANT`] cases of each tenant, in `tenants`' order: a Bernoulli sample
/// of the cases table, so that a million rows are not sorted to pick a hundred.
async fn sample_cases(database_url: &str, tenants: &[TenantId]) -> anyhow::Result<Vec<Vec<Sampled>>> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(database_url).await.context("connecting to PostgreSQL")?;
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases").fetch_one(&mut db).await?;
    let wanted = (SAMPLE_PER_TENANT * tenants.len()) as f64 * 2.0;
    let percent = (100.0 * wanted / cases.max(1) as f64).min(100.0);
    let rows: Vec<(String, i64, String, String, String)> = sqlx::query_as(&format!(
        "SELECT i.tenant, c.id, i.number, i.debtor_id, d.name FROM cases c TABLESAMPLE BERNOULLI ({percent}) \
         JOIN invoices i ON i.id = c.invoice_id JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id"
    ))
    .fetch_all(&mut db)
    .await
    .context("sampling the cases")?;
    let mut samples = vec![Vec::new(); tenants.len()];
    for (tenant, case_id, invoice_number, debtor_id, debtor_name) in rows {
        let Some(at) = tenants.iter().position(|t| t.as_str() == tenant) else { continue };
        if samples[at].len() < SAMPLE_PER_TENANT {
            samples[at].push(Sampled { case_id, invoice_number, debtor_id, debtor_name });
        }
    }
    Ok(samples)
}
