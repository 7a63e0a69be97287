//! `mahnwerk bench console`: the operator console at scale (issue 21's target: with a million
//! cases of 20 tenants in PostgreSQL, the filtered case list and the case page at p99 under
//! 50 ms, the overview under 200 ms, beside `/healthz` in the same run).
//!
//! A fresh database is created beside the configured one, migrated, and filled in bulk
//! ([`seed`]); the `api` role (the real router) serves it on a free local port, on a clock
//! standing at the moment the seeding counted back from. Each tenant gets an API key and a
//! logged-in viewer ([`callers`]); a closed loop of keep-alive connections in the same process
//! ([`load`], over [`http`]) sends the mix of case lists with many filter combinations, case
//! pages, the statistics and the overview, with `/healthz` among them; the figures per route
//! and the conditions are reported ([`figures`]). The database is dropped afterwards, also when
//! the run fails.

mod callers;
mod figures;
mod http;
mod load;
mod seed;

pub use figures::{Conditions, ConsoleFigures, RouteFigures};

use super::ScratchDatabase;
use crate::app::{Role, Service};
use crate::config::Config;
use crate::domain::TenantId;
use crate::queue::{NoBroker, Queue};
use crate::runtime::ManualClock;
use anyhow::{bail, Context};
use callers::Catalogue;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::sync::Arc;

/// What `bench console` runs.
#[derive(Debug, Clone)]
pub struct ConsoleBenchOptions {
    pub cases: usize,
    pub tenants: usize,
    /// Requests of the load, over every route.
    pub requests: usize,
    /// Connections sending at once.
    pub concurrency: usize,
}

/// The moment the seeded cases' ages count back from, and the API's clock during the load: the
/// middle of a month, so that "collected this month" has payments in it.
fn now() -> DateTime<Utc> {
    "2026-12-15T10:00:00Z".parse().expect("a valid constant")
}

/// The scratch database's name for this process.
pub fn scratch_name() -> String {
    format!("mahnwerk_bench_console_{}", std::process::id())
}

/// Runs the benchmark on the PostgreSQL server of `config.database_url`.
pub async fn console(config: &Config, options: &ConsoleBenchOptions) -> anyhow::Result<ConsoleFigures> {
    if !config.database_url.starts_with("postgres") {
        bail!("bench console measures PostgreSQL: set MAHNWERK_DATABASE_URL to a postgres:// URL");
    }
    if options.tenants == 0 || options.tenants > 100 {
        bail!("--tenants must be 1 to 100");
    }
    if options.cases < options.tenants {
        bail!("--cases must be at least --tenants ({})", options.tenants);
    }
    if options.requests == 0 || options.concurrency == 0 {
        bail!("--requests and --concurrency must be at least 1");
    }
    let scratch = ScratchDatabase::create(&config.database_url, &scratch_name()).await?;
    let result = run(config, &scratch.url, &scratch.name, options).await;
    scratch.drop().await;
    result
}

async fn run(
    base: &Config,
    database_url: &str,
    database: &str,
    options: &ConsoleBenchOptions,
) -> anyhow::Result<ConsoleFigures> {
    let mut config = base.clone();
    config.database_url = database_url.to_owned();
    config.amqp_url = None;
    config.http.listen = "127.0.0.1:0".parse().expect("a valid address");
    config.console.secure_cookie = false;
    if config.links.secret.is_none() {
        // The pay-page's links are not asked for, but the API is not served without a secret.
        config.links.secret = Some(SecretString::from(crate::api::console::auth::new_secret()));
    }
    // Opening the store migrates the fresh database.
    let store = crate::store::open(database_url).await.context("migrating the scratch database")?;
    let seeded = seed::seed(database_url, options.cases, options.tenants, now()).await?;

    let clock = Arc::new(ManualClock::new(now()));
    let queue: Arc<dyn Queue> = Arc::new(NoBroker);
    let service = Service::assemble(&config, Arc::clone(&store), queue, clock)?;
    let tenants: Vec<TenantId> = (0..options.tenants)
        .map(|t| TenantId::parse(&format!("tenant-{t:02}")).expect("a valid tenant"))
        .collect();
    let accounts = callers::make_accounts(store.as_ref(), &tenants, now()).await?;
    let addr = service.bind_api().await?;
    let (trigger, shutdown) = crate::shutdown::channel();
    let mut api = service.spawn(Role::Api, &shutdown);
    let outcome = async {
        let catalogue = Arc::new(Catalogue::make(database_url, addr, &accounts).await?);
        let load_average_before = load_average();
        eprintln!("load: {} requests over {} connections", options.requests, options.concurrency);
        load::run(addr, catalogue, options.requests, options.concurrency)
            .await
            .map(|l| (l, load_average_before))
    }
    .await;
    trigger.trigger();
    while api.join_next().await.is_some() {}
    let (load, load_average_before) = outcome?;
    let conditions = Conditions {
        cases: options.cases,
        tenants: options.tenants,
        concurrency: options.concurrency,
        requests: options.requests,
        reminders: seeded.reminders,
        payments: seeded.payments,
        events: seeded.events,
        database_mib: seeded.database_mib,
        database: database.to_owned(),
        seed_seconds: seeded.seconds,
        load_seconds: load.elapsed.as_secs_f64(),
        load_average_before,
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        build_profile: if cfg!(debug_assertions) { "debug" } else { "release" },
    };
    Ok(ConsoleFigures::new(&load, conditions))
}

/// The host's load averages (`/proc/loadavg`); `None` off Linux.
fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}
