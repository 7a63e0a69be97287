//! `mahnwerk bench pay`: the pay-page's rate and latency beside `/healthz` of the same server in
//! the same run, on the configured PostgreSQL. A fresh database gets `cases` overdue invoices
//! through the real intake and planner; the `api` role serves them on a free local port; a
//! load generator in the same process (the same two cores) keeps `concurrency` keep-alive
//! connections busy:
//!
//! 1. `GET /healthz` as fast as it answers (the server's ceiling: routing and HTTP only);
//! 2. `GET /pay/{token}` of random cases as fast as it answers (verify the link, read the case,
//!    render the page);
//! 3. `GET /pay/{token}` at half the rate of 2, on a fixed schedule: latency is measured from
//!    when each request was due, so a stall counts for every request it held up;
//! 4. the bound a page that reads the database per view cannot pass on these cores: one
//!    primary-key read (`SELECT … FROM reminders WHERE id = $1`) per request, and the pay-page's
//!    own read of the case (`Store::pay_case`), each from `concurrency` tasks as fast as
//!    PostgreSQL answers, without HTTP or rendering.
//!
//! The rate limits are lifted for the run (one address asks everything).

use super::{bench_plan, invoice_bodies, send_time, ScratchDatabase};
use crate::app::{Role, Service};
use crate::config::Config;
use crate::domain::TenantId;
use crate::intake::{apply_commands, message};
use crate::pay::Settlement;
use crate::queue::{NoBroker, Queue};
use crate::runtime::ManualClock;
use anyhow::{bail, Context};
use rand::Rng;
use serde::Serialize;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What `bench pay` runs.
#[derive(Debug, Clone)]
pub struct PayBenchOptions {
    pub cases: usize,
    /// Seconds per phase.
    pub seconds: f64,
    pub concurrency: usize,
}

/// Rates and latencies of one run.
#[derive(Debug, Clone, Serialize)]
pub struct PayFigures {
    pub healthz_per_s: f64,
    pub healthz_p50_ms: f64,
    pub healthz_p99_ms: f64,
    pub page_per_s: f64,
    pub page_p50_ms: f64,
    pub page_p99_ms: f64,
    /// `page_per_s / healthz_per_s`; target ≥ 0.25.
    pub page_to_healthz: f64,
    /// The rate of phase 3 (half of `page_per_s`) and its latencies from each request's due time.
    pub half_rate_per_s: f64,
    pub half_rate_p50_ms: f64,
    pub half_rate_p99_ms: f64,
    /// Phase 4: one primary-key read per request, and the pay-page's read of the case.
    pub pk_read_per_s: f64,
    pub case_read_per_s: f64,
    pub page_bytes: usize,
    pub cases: usize,
    pub concurrency: usize,
    pub seconds: f64,
    pub cpus: usize,
}

impl fmt::Display for PayFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "pay-page benchmark: {} cases on PostgreSQL, {} keep-alive connections, {:.0} s per phase, {} CPUs, \
             load generator in the same process",
            self.cases, self.concurrency, self.seconds, self.cpus
        )?;
        writeln!(
            f,
            "  GET /healthz            {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
            self.healthz_per_s, self.healthz_p50_ms, self.healthz_p99_ms
        )?;
        writeln!(
            f,
            "  GET /pay/{{token}}        {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} bytes)",
            self.page_per_s, self.page_p50_ms, self.page_p99_ms, self.page_bytes
        )?;
        writeln!(f, "  pay-page / healthz      {:>9.2}   (target >= 0.25)", self.page_to_healthz)?;
        writeln!(
            f,
            "  bound without HTTP: primary-key read {:>9.0} /s ({:.2} x healthz), the page's case read {:>9.0} /s ({:.2} x healthz)",
            self.pk_read_per_s,
            self.pk_read_per_s / self.healthz_per_s,
            self.case_read_per_s,
            self.case_read_per_s / self.healthz_per_s
        )?;
        write!(
            f,
            "  pay-page at {:.0} req/s  p50 {:>6.2} ms   p99 {:>6.2} ms   (target p99 < 25 ms)",
            self.half_rate_per_s, self.half_rate_p50_ms, self.half_rate_p99_ms
        )
    }
}

/// Runs the benchmark on the PostgreSQL server of `config.database_url` (a scratch database is
/// created beside it and dropped afterwards).
pub async fn pay(config: &Config, options: &PayBenchOptions) -> anyhow::Result<PayFigures> {
    if !config.database_url.starts_with("postgres") {
        bail!("bench pay measures PostgreSQL: set MAHNWERK_DATABASE_URL to a postgres:// URL");
    }
    let name = format!("mahnwerk_bench_pay_{}", std::process::id());
    let scratch = ScratchDatabase::create(&config.database_url, &name).await?;
    let result = run(config, &scratch.url, options).await;
    scratch.drop().await;
    result
}

async fn run(base: &Config, database_url: &str, options: &PayBenchOptions) -> anyhow::Result<PayFigures> {
    let mut config = base.clone();
    config.database_url = database_url.to_owned();
    config.amqp_url = None;
    config.http.listen = "127.0.0.1:0".parse().expect("a valid address");
    config.pay.requests_per_minute_per_ip = u32::MAX;
    config.pay.requests_per_minute_per_link = u32::MAX;
    config.policy = crate::config::PolicyKind::Fixed;
    config.plans.push(bench_plan());
    let store = crate::store::open(database_url).await?;
    let now = send_time();
    let clock = Arc::new(ManualClock::new(now));
    let queue: Arc<dyn Queue> = Arc::new(NoBroker);
    let service = Service::assemble(&config, Arc::clone(&store), queue, clock)?;

    // The cases, through the real intake and planner.
    let plans = config.plan_book()?;
    let bodies = invoice_bodies(options.cases);
    for chunk in bodies.chunks(500) {
        let commands = chunk
            .iter()
            .map(|body| {
                message::parse(message::OVERDUE, body, &plans, now).map_err(|(e, _)| anyhow::anyhow!("{e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        apply_commands(store.as_ref(), &Settlement::statutory(), &commands, config.learn.attribution(), now)
            .await?;
    }
    let decide = |case: &crate::store::DueCase| service.planner.decide(case, now);
    let law_of = |_: &TenantId| crate::domain::legal::Germany::default();
    while crate::schedule::plan_due_cases(store.as_ref(), now, 1000, &decide, &law_of).await? > 0 {}
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(database_url).await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM reminders ORDER BY id").fetch_all(&mut db).await?;
    if ids.len() < options.cases {
        bail!("{} reminders planned for {} cases", ids.len(), options.cases);
    }
    let tenant = TenantId::parse("bench").expect("a valid tenant");
    let paths: Vec<String> = ids
        .iter()
        .map(|&id| {
            let url = service.links.pay_url(&tenant, id, now);
            format!("/pay/{}", url.rsplit('/').next().unwrap_or_default())
        })
        .collect();

    let addr = service.bind_api().await?;
    let (trigger, shutdown) = crate::shutdown::channel();
    let mut roles = service.spawn(Role::Api, &shutdown);
    let phase = Duration::from_secs_f64(options.seconds);
    let page_bytes = get(&mut TcpStream::connect(addr).await?, addr, &paths[0]).await?;
    if page_bytes < 1000 {
        bail!("the pay-page answered {page_bytes} bytes: not a page");
    }
    let healthz =
        closed_loop(addr, options.concurrency, phase, Arc::new(vec!["/healthz".to_owned()])).await?;
    let paths = Arc::new(paths);
    let page = closed_loop(addr, options.concurrency, phase, Arc::clone(&paths)).await?;
    let half_rate = page.per_s / 2.0;
    let half = open_loop(addr, options.concurrency, phase, half_rate, paths).await?;
    trigger.trigger();
    while roles.join_next().await.is_some() {}
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(options.concurrency.min(16) as u32)
        .connect(database_url)
        .await?;
    let ids = Arc::new(ids);
    let pk_read = reads(options.concurrency, phase, Arc::clone(&ids), move |id| {
        let pool = pool.clone();
        async move {
            let state: String = sqlx::query_scalar("SELECT status FROM reminders WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await?;
            anyhow::Ok(state.len())
        }
    })
    .await?;
    let case_read = reads(options.concurrency, phase, ids, move |id| {
        let (store, tenant) = (Arc::clone(&store), tenant.clone());
        async move {
            let case = store.pay_case(&tenant, id).await?.context("a case the bench planned")?;
            anyhow::Ok(case.invoice_number.as_str().len())
        }
    })
    .await?;
    Ok(PayFigures {
        healthz_per_s: healthz.per_s,
        healthz_p50_ms: healthz.p50_ms,
        healthz_p99_ms: healthz.p99_ms,
        page_per_s: page.per_s,
        page_p50_ms: page.p50_ms,
        page_p99_ms: page.p99_ms,
        page_to_healthz: page.per_s / healthz.per_s,
        half_rate_per_s: half.per_s,
        half_rate_p50_ms: half.p50_ms,
        half_rate_p99_ms: half.p99_ms,
        pk_read_per_s: pk_read.per_s,
        case_read_per_s: case_read.per_s,
        page_bytes,
        cases: options.cases,
        concurrency: options.concurrency,
        seconds: options.seconds,
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
    })
}

/// One phase's rate and latencies.
struct Phase {
    per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn phase(mut latencies: Vec<Duration>, elapsed: Duration) -> Phase {
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    Phase { per_s: latencies.len() as f64 / elapsed.as_secs_f64(), p50_ms: at(0.50), p99_ms: at(0.99) }
}

/// `concurrency` connections, each sending its next request as soon as the last is answered.
async fn closed_loop(
    addr: SocketAddr,
    concurrency: usize,
    length: Duration,
    paths: Arc<Vec<String>>,
) -> anyhow::Result<Phase> {
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let paths = Arc::clone(&paths);
        workers.spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            let mut latencies = Vec::new();
            while started.elapsed() < length {
                let path = &paths[rand::thread_rng().gen_range(0..paths.len())];
                let sent = Instant::now();
                get(&mut stream, addr, path).await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = workers.join_next().await {
        all.extend(done.context("a load worker panicked")??);
    }
    Ok(phase(all, started.elapsed()))
}

/// `concurrency` tasks, each running `read` of a random id as soon as its last one answered.
async fn reads<F, R>(
    concurrency: usize,
    length: Duration,
    ids: Arc<Vec<i64>>,
    read: F,
) -> anyhow::Result<Phase>
where
    F: Fn(i64) -> R + Clone + Send + 'static,
    R: std::future::Future<Output = anyhow::Result<usize>> + Send,
{
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (ids, read) = (Arc::clone(&ids), read.clone());
        workers.spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < length {
                let id = ids[rand::thread_rng().gen_range(0..ids.len())];
                let sent = Instant::now();
                read(id).await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = workers.join_next().await {
        all.extend(done.context("a read worker panicked")??);
    }
    Ok(phase(all, started.elapsed()))
}

/// `rate` requests per second spread over `concurrency` connections on a fixed schedule; each
/// latency counts from when its request was due.
async fn open_loop(
    addr: SocketAddr,
    concurrency: usize,
    length: Duration,
    rate: f64,
    paths: Arc<Vec<String>>,
) -> anyhow::Result<Phase> {
    let started = Instant::now();
    let interval = Duration::from_secs_f64(concurrency as f64 / rate.max(1.0));
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let paths = Arc::clone(&paths);
        workers.spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            let mut latencies = Vec::new();
            let mut due = started + interval.mul_f64(worker as f64 / concurrency as f64);
            while due.duration_since(started) < length {
                tokio::time::sleep_until(due.into()).await;
                let path = &paths[rand::thread_rng().gen_range(0..paths.len())];
                get(&mut stream, addr, path).await?;
                latencies.push(due.elapsed());
                due += interval;
            }
            anyhow::Ok(latencies)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = workers.join_next().await {
        all.extend(done.context("a load worker panicked")??);
    }
    Ok(phase(all, length))
}

/// One keep-alive `GET` on `stream`; the body's length. Anything but `200 OK` is an error.
async fn get(stream: &mut TcpStream, addr: SocketAddr, path: &str) -> anyhow::Result<usize> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Language: de\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    let header_end = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            bail!("the server closed the connection");
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = std::str::from_utf8(&buffer[..header_end]).context("response head")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("{path}: {}", head.lines().next().unwrap_or_default());
    }
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok()).flatten()
        })
        .context("a response without content-length")?;
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            bail!("the server closed the connection mid-body");
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok(length)
}
