//! Benchmarks: `mahnwerk bench bad-input` (malformed intake messages of many kinds among valid
//! ones, [`bad_input`]), `mahnwerk bench faults` (invoices through separate role processes that
//! are killed, and servers that crash, on the way, [`faults`]), `mahnwerk bench security` (forged,
//! tampered, expired, cross-tenant and replayed links and webhooks, [`security`]), `mahnwerk bench import` (the bank statement import, [`import`]),
//! `mahnwerk bench policy-stdio` (the policy protocol's throughput beside a do-nothing responder,
//! [`policy_stdio`]), `mahnwerk bench console` (the operator console's latencies on a million
//! cases, [`console`]) and
//! `mahnwerk bench pipeline`: three throughputs measured side by side in one run on the
//! configured PostgreSQL and RabbitMQ, so that the ratios mean something on any machine:
//!
//! - (a) **raw**: lapin alone, publish → consume → ack each message, persistent, confirmed
//!   ([`raw`]);
//! - (b) **intake**: the same number of invoice messages published to mahnwerk's intake exchange
//!   and stored (committed, then acked) by two intake workers;
//! - (c) **whole path**: messages published, stored, planned, dispatched, delivered through the
//!   sandbox email transport and recorded as sent, with every role running. The invoices arrive
//!   at 10:00 on a business day in the debtors' time zone, the send time the fixed schedule
//!   picks, so every reminder is due as soon as it is planned and the simulated clock stands
//!   still: the 72 h attribution windows stay open, as they would for the rest of a real run;
//! - (c') the same with simulated time running a thousand times faster from the send time (a
//!   simulated second per real millisecond) and a 60-second attribution window, so that every
//!   reminder's window also closes within the run (60 ms after its send, as a real 72 h window
//!   would close after it) while the sends stay inside their day's 08:00-20:00 window (36 s of
//!   the run's time; no catch-up): the learning loop's share per reminder (settling the
//!   outcome, writing and relaying its event to two queues) on top of (c). No target; reported
//!   so that what (c) leaves out is measured beside it.
//!
//! Each measurement gets its own fresh PostgreSQL database (created next to the configured one
//! and dropped afterwards) and its own queue namespace, so nothing of the operator's is touched.

pub mod bad_input;
pub mod console;
pub mod faults;
mod host_cpu;
pub mod import;
mod malformed;
mod pay;
mod policy_stdio;
mod raw;
pub mod security;
mod statement;
mod work_cpu;

pub use bad_input::{bad_input, BadInputFigures, BadInputOptions};
pub use console::{console, ConsoleBenchOptions, ConsoleFigures};
pub use faults::{faults, FaultCounts, FaultFigures, FaultOptions};
pub use pay::{pay, PayBenchOptions, PayFigures};
pub use policy_stdio::{do_nothing, policy_stdio, StdioBenchOptions, StdioFigures};
pub use security::{security, SecurityFigures};

use crate::app::Service;
use crate::config::Config;
use crate::demo::world;
use crate::domain::{ChannelKind, DunningPlan, Stage, Tone};
use crate::queue::{AmqpQueue, Message, Queue, Topology};
use crate::runtime::ManualClock;
use anyhow::{bail, Context};
use host_cpu::HostCpu;
use mahnwerk_models::sim::{Population, SimConfig};
use secrecy::ExposeSecret;
use serde::Serialize;
use sqlx::Connection;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PUBLISH_BATCH: usize = 500;
const INTAKE_WORKERS: usize = 2;
const BENCH_PLAN: &str = "bench-one-stage";

#[derive(Debug, Serialize)]
pub struct Figures {
    pub raw_msgs_per_s: f64,
    pub intake_msgs_per_s: f64,
    pub delivered_per_s: f64,
    pub delivered_with_outcomes_per_s: f64,
    /// The host's busy CPU time per message or reminder (PostgreSQL, RabbitMQ and mahnwerk
    /// together), in microseconds; `null` where the host does not tell (not Linux).
    pub raw_host_cpu_us: Option<f64>,
    pub intake_host_cpu_us: Option<f64>,
    pub delivered_host_cpu_us: Option<f64>,
    pub delivered_with_outcomes_host_cpu_us: Option<f64>,
    pub messages: usize,
    pub rounds: usize,
    #[serde(skip)]
    pub outbox: PathBuf,
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        writeln!(
            f,
            "pipeline benchmark: {} messages, median of {} rounds, {cores} cores, PostgreSQL + RabbitMQ on this host",
            self.messages, self.rounds
        )?;
        writeln!(f, "  sandbox outbox of (c) in {}", self.outbox.display())?;
        writeln!(
            f,
            "                                          throughput   ratio        target    host CPU each"
        )?;
        let cpu = |us: Option<f64>| us.map_or_else(|| "n/a".to_owned(), |us| format!("{us:.0} µs"));
        writeln!(
            f,
            "  (a) raw lapin publish/consume/ack  {:>9.0} msg/s   1.00 x (a)              {:>9}",
            self.raw_msgs_per_s,
            cpu(self.raw_host_cpu_us)
        )?;
        writeln!(
            f,
            "  (b) mahnwerk intake (stored+acked)  {:>9.0} msg/s   {:.2} x (a)   >= 0.50    {:>9}",
            self.intake_msgs_per_s,
            self.intake_msgs_per_s / self.raw_msgs_per_s,
            cpu(self.intake_host_cpu_us)
        )?;
        writeln!(
            f,
            "  (c) whole path to sandbox delivery  {:>9.0} rem/s   {:.2} x (a)   >= 0.30    {:>9}",
            self.delivered_per_s,
            self.delivered_per_s / self.raw_msgs_per_s,
            cpu(self.delivered_host_cpu_us)
        )?;
        write!(
            f,
            "  (c') (c) + outcome windows closing  {:>9.0} rem/s   {:.2} x (a)   (learning)  {:>9}",
            self.delivered_with_outcomes_per_s,
            self.delivered_with_outcomes_per_s / self.raw_msgs_per_s,
            cpu(self.delivered_with_outcomes_host_cpu_us)
        )
    }
}

/// One timed run: the time from the first publish to the finish, and the host's busy CPU time
/// meanwhile (where the host tells it).
#[derive(Debug, Clone, Copy)]
struct Measurement {
    elapsed: Duration,
    host_cpu: Option<Duration>,
}

/// Started right before the first publish of a measurement.
struct Stopwatch {
    started: Instant,
    host_cpu: Option<HostCpu>,
}

impl Stopwatch {
    fn start() -> Self {
        Self { host_cpu: HostCpu::now(), started: Instant::now() }
    }

    fn stop(self) -> Measurement {
        let elapsed = self.started.elapsed();
        let host_cpu = self.host_cpu.zip(HostCpu::now()).map(|(before, after)| after.since(before));
        Measurement { elapsed, host_cpu }
    }
}

/// Medians over the rounds of one measurement of `items` messages or reminders each: (items per
/// second, host CPU µs per item).
fn medians(measurements: &[Measurement], items: usize) -> (f64, Option<f64>) {
    let median = |mut values: Vec<f64>| {
        values.sort_unstable_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let rate = median(measurements.iter().map(|m| items as f64 / m.elapsed.as_secs_f64()).collect());
    let cpu: Option<Vec<f64>> =
        measurements.iter().map(|m| m.host_cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / items as f64)).collect();
    (rate, cpu.map(median))
}

/// How to run the pipeline benchmark.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub messages: usize,
    /// Each round measures (a), (b) and (c) once; the medians are reported.
    pub rounds: usize,
    /// Where the sandbox transports write during (c); a fresh folder inside it per round.
    pub outbox: PathBuf,
    pub progress: bool,
}

pub async fn pipeline(config: &Config, options: &PipelineOptions) -> anyhow::Result<Figures> {
    let Some(amqp_url) = config.amqp_url.as_ref().map(|u| u.expose_secret().to_owned()) else {
        bail!("the pipeline benchmark needs RabbitMQ: set MAHNWERK_AMQP_URL");
    };
    if !config.database_url.starts_with("postgres") {
        bail!("the pipeline benchmark needs PostgreSQL: set MAHNWERK_DATABASE_URL=postgres://…");
    }
    if options.messages == 0 || options.rounds == 0 {
        bail!("--messages and --rounds must be at least 1");
    }
    let bodies = invoice_bodies(options.messages);
    let (mut raw, mut intake, mut whole, mut learning) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Scratch outboxes are removed only at the end: deleting thousands of files right before the
    // next round makes ext4 slow to allocate inodes for a few seconds, which is not mahnwerk's cost.
    let mut outboxes = Vec::new();
    for round in 1..=options.rounds {
        let run_id = format!("bench{}r{round}", std::process::id());
        let say = |what: &str| {
            if options.progress {
                eprintln!("round {round}/{}: {what}", options.rounds);
            }
        };
        say("(a) raw lapin");
        raw.push(raw::publish_consume_ack(&amqp_url, &format!("{run_id}.raw"), &bodies, 1).await?);

        say("(b) intake");
        let db = ScratchDatabase::create(&config.database_url, &format!("{run_id}_intake")).await?;
        let what = Measured::Intake;
        let result = measure(config, &db.url, &amqp_url, &format!("{run_id}.intake"), &bodies, what).await;
        db.drop().await;
        intake.push(result?);

        for (label, time, figures) in [
            ("(c) whole path", SimulatedTime::AtSendTime, &mut whole),
            ("(c') whole path with outcome windows closing", SimulatedTime::Racing, &mut learning),
        ] {
            say(label);
            let name = format!("{run_id}_{}", time.suffix());
            let db = ScratchDatabase::create(&config.database_url, &name).await?;
            let outbox = tempfile::tempdir_in(&options.outbox)
                .with_context(|| format!("creating a scratch outbox in {}", options.outbox.display()))?;
            let namespace = format!("{run_id}.{}", time.suffix());
            let what = Measured::Delivery { outbox: outbox.path(), time };
            let result = measure(config, &db.url, &amqp_url, &namespace, &bodies, what).await;
            db.drop().await;
            figures.push(result?);
            outboxes.push(outbox);
        }
    }
    drop(outboxes);
    let n = options.messages;
    let ((raw_msgs_per_s, raw_host_cpu_us), (intake_msgs_per_s, intake_host_cpu_us)) =
        (medians(&raw, n), medians(&intake, n));
    let (delivered_per_s, delivered_host_cpu_us) = medians(&whole, n);
    let (delivered_with_outcomes_per_s, delivered_with_outcomes_host_cpu_us) = medians(&learning, n);
    Ok(Figures {
        raw_msgs_per_s,
        intake_msgs_per_s,
        delivered_per_s,
        delivered_with_outcomes_per_s,
        raw_host_cpu_us,
        intake_host_cpu_us,
        delivered_host_cpu_us,
        delivered_with_outcomes_host_cpu_us,
        messages: n,
        rounds: options.rounds,
        outbox: options.outbox.clone(),
    })
}

/// `n` distinct invoice messages from the simulator, all on the one-stage benchmark plan.
fn invoice_bodies(n: usize) -> Vec<Vec<u8>> {
    let population = Population::generate(
        7,
        &SimConfig { debtors: n.max(1), invoices_per_debtor: (1, 1), ..SimConfig::default() },
    )
    .expect("the benchmark population is valid");
    let invoices = population.invoices(7);
    invoices
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, invoice)| {
            let debtor = &population.debtors()[invoice.debtor_index];
            let mut message = world::invoice_message("bench", debtor, invoice);
            message["invoice_number"] = serde_json::json!(format!("B-{i:08}"));
            message["plan"] = serde_json::json!(BENCH_PLAN);
            message["debtor"]["email"] = serde_json::json!(format!("debtor{i}@example.org"));
            // One zone, so that one instant is 10:00 for every debtor (see SimulatedTime).
            message["debtor"]["timezone"] = serde_json::json!(BENCH_TIMEZONE);
            message.to_string().into_bytes()
        })
        .collect()
}

/// The benchmarks' plan: one stage, by email.
fn bench_plan() -> DunningPlan {
    DunningPlan {
        name: crate::domain::PlanName::parse(BENCH_PLAN).expect("a valid plan name"),
        stages: vec![Stage {
            name: "Zahlungserinnerung".into(),
            wait_days: 0,
            tone: Tone::Friendly,
            fee: Default::default(),
            channels: vec![ChannelKind::Email],
            fallback: Vec::new(),
        }],
        // Simulated time may race ahead; escalations would only add work that is not measured.
        escalate_after_days: 3650,
        tenants: Vec::new(),
    }
}

/// What one measurement runs and waits for.
#[derive(Debug, Clone, Copy)]
enum Measured<'a> {
    /// (b): the intake workers alone, until every message is stored.
    Intake,
    /// (c) and (c'): every role, until every reminder is delivered into `outbox` and recorded.
    Delivery { outbox: &'a Path, time: SimulatedTime },
}

/// The attribution window of (c'): a minute of simulated time, 60 ms of the run's.
const RACING_ATTRIBUTION: chrono::Duration = chrono::Duration::seconds(60);

/// How the simulated clock moves while the whole path is measured.
#[derive(Debug, Clone, Copy)]
enum SimulatedTime {
    /// It stands at [`send_time`], 10:00 on a business day in [`BENCH_TIMEZONE`]: the fixed
    /// schedule's send time, so every reminder is due as soon as it is planned, and no
    /// attribution window closes (they are 72 hours long).
    AtSendTime,
    /// It runs from [`send_time`] a thousand times faster than real time, with a 60-second
    /// attribution window: every window closes 60 ms after its reminder went out, so outcomes are
    /// settled, written and relayed within the run, and the sends stay within the day's window
    /// ([`RACING_ATTRIBUTION`]).
    Racing,
}

impl SimulatedTime {
    fn suffix(self) -> &'static str {
        match self {
            SimulatedTime::AtSendTime => "whole",
            SimulatedTime::Racing => "learn",
        }
    }
}

/// How much faster than real time the clock runs in [`SimulatedTime::Racing`].
const RACING_SPEED: i32 = 1000;

/// The benchmark debtors' time zone.
const BENCH_TIMEZONE: &str = "Europe/Berlin";

/// Wednesday 7 January 2026, 10:00 in Berlin: a business day in every country the simulated
/// debtors live in (6 January is a holiday in Austria).
fn send_time() -> chrono::DateTime<chrono::Utc> {
    "2026-01-07T09:00:00Z".parse().expect("a valid constant")
}

/// Publishes `bodies` to a running service and waits until all are stored or delivered (see
/// [`Measured`]); returns the time from the first publish and the host's CPU time meanwhile.
async fn measure(
    base: &Config,
    database_url: &str,
    amqp_url: &str,
    namespace: &str,
    bodies: &[Vec<u8>],
    what: Measured<'_>,
) -> anyhow::Result<Measurement> {
    let (outbox, time) = match what {
        Measured::Intake => (None, None),
        Measured::Delivery { outbox, time } => (Some(outbox), Some(time)),
    };
    let whole = outbox.is_some();
    let scratch = tempfile::tempdir().context("creating a scratch outbox")?;
    let mut config = base.clone();
    config.database_url = database_url.to_owned();
    config.namespace = namespace.to_owned();
    config.outbox_dir = outbox.unwrap_or(scratch.path()).to_owned();
    config.email_transport = crate::config::EmailTransport::Sandbox;
    config.poll_interval_ms = 20;
    // The pipeline, not the policy, is measured (and compared with earlier figures): the fixed
    // schedule. The adaptive decision adds 11-48 µs per reminder (criterion, models/benches).
    config.policy = crate::config::PolicyKind::Fixed;
    config.plans.push(bench_plan());
    let store = crate::store::open(database_url).await?;
    let mut progress = Progress::connect(database_url, outbox).await?;
    let topology = Topology::new(namespace);
    let queue: Arc<dyn Queue> = Arc::new(AmqpQueue::connect(amqp_url, topology.clone()).await?);
    queue.declare_topology().await?;
    let clock = Arc::new(ManualClock::new(send_time()));
    // The metrics count as in `mahnwerk run`, so that their cost is part of the figures.
    crate::observe::install_recorder();
    let service = Service::assemble(&config, Arc::clone(&store), Arc::clone(&queue), clock.clone())?;
    let (trigger, shutdown) = crate::shutdown::channel();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..INTAKE_WORKERS {
        let intake = service.intake();
        let stop = shutdown.clone();
        tasks.spawn(async move { intake.run(stop).await });
    }
    if whole {
        let racing = matches!(time, Some(SimulatedTime::Racing));
        let mut scheduler = service.scheduler();
        if racing {
            scheduler.attribution = crate::domain::AttributionWindow::of(RACING_ATTRIBUTION);
            // The lease of a queued reminder is meant in real time; on a clock a thousand times
            // faster its hour would run out in 3.6 s of backlog, and every reminder still queued
            // then would be dispatched again.
            scheduler.redispatch_after = scheduler.redispatch_after * RACING_SPEED;
        }
        let stop = shutdown.clone();
        tasks.spawn(async move { scheduler.run(stop).await });
        for mut worker in service.channel_workers() {
            if racing {
                // The same lease on the workers' side: a copy older than the lease (less a
                // margin) sends nothing, because the scheduler is about to dispatch it again.
                // Stretched for the scheduler alone, a copy that waited 3.3 s in the queue was
                // dropped and its reminder waited an hour for the scheduler: (c') hung.
                worker.redispatch_after = worker.redispatch_after * RACING_SPEED;
            }
            let stop = shutdown.clone();
            tasks.spawn(async move { worker.run(stop).await });
        }
    }
    if let Some(SimulatedTime::Racing) = time {
        let clock = clock.clone();
        let mut stop = shutdown.clone();
        tasks.spawn(async move {
            while !stop.sleep(Duration::from_millis(20)).await {
                clock.advance(chrono::Duration::milliseconds(20 * i64::from(RACING_SPEED)));
            }
            Ok(())
        });
    }

    let stopwatch = Stopwatch::start();
    for chunk in bodies.chunks(PUBLISH_BATCH) {
        let messages = chunk
            .iter()
            .map(|body| Message {
                routing_key: "invoice.overdue".into(),
                body: body.clone(),
                headers: Vec::new(),
                message_id: None,
                content_type: Some("application/json".into()),
            })
            .collect();
        queue.publish(&topology.intake_exchange(), messages).await?;
    }
    let target = bodies.len() as i64;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (done, rejected) = progress.read(target).await?;
        if done >= target {
            break;
        }
        tracing::debug!(elapsed_ms = stopwatch.started.elapsed().as_millis() as u64, done, "progress");
        if rejected > 0 {
            bail!("the intake rejected {rejected} benchmark messages");
        }
        if Instant::now() > deadline {
            bail!("gave up after 10 minutes with {done} of {target} done");
        }
        tokio::time::sleep(next_look(done, target, stopwatch.started.elapsed())).await;
    }
    let measured = stopwatch.stop();
    trigger.trigger();
    while tasks.join_next().await.is_some() {}
    queue.delete_topology().await?;
    Ok(measured)
}

/// How often the benchmark looks at how far the service has got near the finish: often enough
/// that the finish is seen within a few percent of a multi-second run.
const PROGRESS_POLL: Duration = Duration::from_millis(50);
/// The longest wait between two looks.
const PROGRESS_POLL_MAX: Duration = Duration::from_secs(1);

/// When to look again, `done` of `target` being done after `elapsed`: after half the time the
/// rest takes at the rate so far, but at least [`PROGRESS_POLL`] and at most
/// [`PROGRESS_POLL_MAX`]. Far from the finish the benchmark looks rarely, because a look lists
/// the outbox folder, whose cost grows with every email written: twenty listings a second of
/// up to 20,000 files cost about a percent of the host's CPU during (c).
fn next_look(done: i64, target: i64, elapsed: Duration) -> Duration {
    if done <= 0 {
        return PROGRESS_POLL;
    }
    let rest = elapsed.as_secs_f64() * (target - done).max(0) as f64 / done as f64;
    Duration::from_secs_f64(rest / 2.0).clamp(PROGRESS_POLL, PROGRESS_POLL_MAX)
}

/// The benchmark's own look at how far the service has got, as cheap as it can be made, because
/// the harness is not what is measured and it shares the machine with the measured pipeline:
///
/// - intake (b): one count of the cases table, on a connection of its own;
/// - whole path (c): the `.eml` files in the sandbox outbox are counted first (a directory
///   listing in this process), and only once every email is there does it ask PostgreSQL how
///   many reminders are recorded as sent (a delivery is written before it is recorded, so the
///   file count never runs ahead of a finish the database has not seen). Counting the sent
///   reminders twenty times a second scanned the growing, much-updated reminders table each
///   time: 42 ms per count, a sixth of the PostgreSQL server's time during (c) (measured with
///   `pg_stat_statements`, 2026-12-03).
struct Progress {
    connection: sqlx::PgConnection,
    /// The sandbox email folder of (c).
    emails: Option<PathBuf>,
}

impl Progress {
    async fn connect(database_url: &str, outbox: Option<&Path>) -> anyhow::Result<Self> {
        let connection =
            sqlx::PgConnection::connect(database_url).await.context("connecting to PostgreSQL")?;
        Ok(Self { connection, emails: outbox.map(|dir| dir.join("email")) })
    }

    /// (what is done: reminders recorded as sent for the whole path, else stored cases;
    /// intake rejections). For the whole path, `done` is the count of written emails while it is
    /// below `target`, and the count of reminders recorded as sent from then on.
    async fn read(&mut self, target: i64) -> anyhow::Result<(i64, i64)> {
        let done = match &self.emails {
            Some(dir) => {
                let written = count_emails(dir)?;
                if written < target {
                    let rejected = self.count("SELECT COUNT(*) FROM intake_rejections").await?;
                    return Ok((written, rejected));
                }
                "SELECT COUNT(*) FROM reminders WHERE status = 'sent'"
            }
            None => "SELECT COUNT(*) FROM cases",
        };
        let sql = format!("SELECT ({done}), (SELECT COUNT(*) FROM intake_rejections)");
        let counts: (i64, i64) =
            sqlx::query_as(&sql).fetch_one(&mut self.connection).await.context("reading progress")?;
        Ok(counts)
    }

    async fn count(&mut self, sql: &str) -> anyhow::Result<i64> {
        sqlx::query_scalar(sql).fetch_one(&mut self.connection).await.context("reading progress")
    }
}

/// The `.eml` files in `dir` (none before the first is written); the sandbox's temporary files
/// start with a dot and are not counted.
fn count_emails(dir: &Path) -> anyhow::Result<i64> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error).with_context(|| format!("listing {}", dir.display())),
    };
    let mut count = 0;
    for entry in entries {
        let name = entry.with_context(|| format!("listing {}", dir.display()))?.file_name();
        let name = name.as_encoded_bytes();
        count += i64::from(name.ends_with(b".eml") && !name.starts_with(b"."));
    }
    Ok(count)
}

/// A database created for one measurement and dropped afterwards.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str, name: &str) -> anyhow::Result<Self> {
        let name = name.replace(['.', '-'], "_");
        let mut admin = sqlx::PgConnection::connect(admin_url).await.context("connecting to PostgreSQL")?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await?;
        let url = database_url_with_name(admin_url, &name);
        Ok(Self { admin_url: admin_url.to_owned(), name, url })
    }

    async fn drop(self) {
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
                .execute(&mut admin)
                .await;
        }
    }
}

/// `postgres://user@host:port/db?opts` with `db` replaced by `name`.
pub fn database_url_with_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_looks_rarely_far_from_the_finish_and_often_near_it() {
        let second = Duration::from_secs(1);
        assert_eq!(next_look(0, 20_000, second), PROGRESS_POLL);
        // A tenth done after one second: nine seconds to go, capped at the longest wait.
        assert_eq!(next_look(2_000, 20_000, second), PROGRESS_POLL_MAX);
        // Four fifths done after four seconds: one second to go, looked at after half of it.
        assert_eq!(next_look(16_000, 20_000, 4 * second), second / 2);
        assert_eq!(next_look(19_990, 20_000, 4 * second), PROGRESS_POLL);
        assert_eq!(next_look(20_000, 20_000, 4 * second), PROGRESS_POLL);
    }
}
