//! `mahnwerk bench bad-input`: malformed intake messages of many kinds ([`super::malformed`])
//! mixed with valid ones, published to the intake exchange of a scratch namespace on the
//! configured RabbitMQ, and taken in by `mahnwerk run --role intake` as a process of its own on
//! a scratch PostgreSQL database. Then it checks what a creditor and an operator would: no
//! panic, every malformed message in the dead-letter queue with its reason header and in
//! `intake_rejections`, every valid invoice stored once, a changed duplicate not applied, and
//! the intake process's resident memory before, after and at its peak (`/proc/<pid>/status`,
//! `VmRSS` and `VmHWM`).
//!
//! The intake process gets its configuration from the environment, like the benchmark's own,
//! with the database, the namespace and `RUST_LOG=warn` set by the benchmark.

use super::malformed::{self, Kind, Planned};
use super::ScratchDatabase;
use crate::config::Config;
use crate::queue::{AmqpQueue, HeaderValue, Message, Queue, Topology, ERROR_HEADER};
use anyhow::{bail, Context};
use secrecy::ExposeSecret;
use serde::Serialize;
use sqlx::Connection;
use std::collections::BTreeMap;
use std::fmt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The header naming a message's kind, kept on its dead-lettered copy.
const KIND_HEADER: &str = "x-bench-kind";
/// Messages per publish: a few megabyte bodies at most.
const PUBLISH_CHUNK: usize = 100;
/// The longest the intake may take for the whole stream.
const DEADLINE: Duration = Duration::from_secs(600);
/// How often the intake's progress and memory are looked at.
const LOOK_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct BadInputOptions {
    pub malformed: usize,
    pub valid: usize,
    pub progress: bool,
}

/// What became of the messages of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindFigures {
    pub kind: Kind,
    pub sent: usize,
    /// Copies read back from the dead-letter queue.
    pub dead_lettered: usize,
    /// Of those, with a non-empty `x-mahnwerk-error` header.
    pub with_reason: usize,
    /// One reason the intake gave, shortened.
    pub example_reason: Option<String>,
}

/// The intake process's resident memory, in KiB.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Memory {
    /// After it stored the first (warm-up) invoice, before the stream.
    pub before_kib: u64,
    /// Once every message was taken in.
    pub after_kib: u64,
    /// Its high-water mark over its whole life (`VmHWM`).
    pub peak_kib: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BadInputFigures {
    pub malformed_sent: usize,
    pub valid_sent: usize,
    pub kinds: Vec<KindFigures>,
    /// Malformed messages the intake must dead-letter (every kind but changed duplicates).
    pub expected_rejections: usize,
    pub dead_lettered: usize,
    pub dead_lettered_with_reason: usize,
    pub rejections_recorded: i64,
    /// Invoices stored (each valid message is one invoice number).
    pub invoices_stored: i64,
    /// Invoices whose stored amount is not the one first sent, and debtors whose name is the
    /// changed duplicates' (a changed duplicate applied).
    pub changed_by_duplicates: i64,
    /// `panicked at` lines in the intake's standard error.
    pub panics: usize,
    /// How the intake process ended before it was stopped, if it did.
    pub intake_exited: Option<String>,
    pub memory: Memory,
    /// From the first message of the stream published to the last one taken in.
    pub seconds: f64,
}

impl BadInputFigures {
    /// Whether every check holds.
    pub fn holds(&self) -> bool {
        self.panics == 0
            && self.intake_exited.is_none()
            && self.dead_lettered == self.expected_rejections
            && self.dead_lettered_with_reason == self.expected_rejections
            && self.rejections_recorded == self.expected_rejections as i64
            && self.invoices_stored == self.valid_sent as i64
            && self.changed_by_duplicates == 0
            && self.kinds.iter().all(|k| {
                if k.kind.is_rejected() {
                    k.dead_lettered == k.sent
                } else {
                    k.dead_lettered == 0
                }
            })
    }
}

impl fmt::Display for BadInputFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bad-input benchmark: {} malformed + {} valid intake messages, `run --role intake` on PostgreSQL + RabbitMQ, {:.1} s",
            self.malformed_sent, self.valid_sent, self.seconds
        )?;
        writeln!(f, "  kind                  sent  dead-lettered  with reason   example reason")?;
        for k in &self.kinds {
            writeln!(
                f,
                "  {:<18} {:>7} {:>14} {:>12}   {}",
                k.kind.as_str(),
                k.sent,
                k.dead_lettered,
                k.with_reason,
                k.example_reason.as_deref().unwrap_or("-")
            )?;
        }
        writeln!(f, "  panics                            {} (target 0)", self.panics)?;
        writeln!(
            f,
            "  dead-lettered with a reason       {} of {} malformed (changed duplicates are not malformed)",
            self.dead_lettered_with_reason, self.expected_rejections
        )?;
        writeln!(f, "  rows in intake_rejections         {}", self.rejections_recorded)?;
        writeln!(
            f,
            "  invoices stored                   {} of {} valid",
            self.invoices_stored, self.valid_sent
        )?;
        writeln!(f, "  invoices changed by a duplicate   {} (target 0)", self.changed_by_duplicates)?;
        if let Some(exit) = &self.intake_exited {
            writeln!(f, "  the intake process ended early: {exit}")?;
        }
        let mib = |kib: u64| kib as f64 / 1024.0;
        writeln!(
            f,
            "  intake resident memory            before {:.0} MiB, after {:.0} MiB, peak {:.0} MiB",
            mib(self.memory.before_kib),
            mib(self.memory.after_kib),
            mib(self.memory.peak_kib)
        )?;
        write!(f, "  {}", if self.holds() { "every check holds" } else { "CHECKS FAILED" })
    }
}

pub async fn bad_input(config: &Config, options: &BadInputOptions) -> anyhow::Result<BadInputFigures> {
    let Some(amqp_url) = config.amqp_url.as_ref().map(|u| u.expose_secret().to_owned()) else {
        bail!("the bad-input benchmark needs RabbitMQ: set MAHNWERK_AMQP_URL");
    };
    if !config.database_url.starts_with("postgres") {
        bail!("the bad-input benchmark needs PostgreSQL: set MAHNWERK_DATABASE_URL=postgres://…");
    }
    if options.valid == 0 {
        bail!("--valid must be at least 1 (the first valid message tells that the intake is up)");
    }
    let run_id = format!("badinput{}", std::process::id());
    let db = ScratchDatabase::create(&config.database_url, &run_id).await?;
    let result = run(&db.url, &amqp_url, &run_id, options).await;
    db.drop().await;
    result
}

async fn run(
    database_url: &str,
    amqp_url: &str,
    namespace: &str,
    options: &BadInputOptions,
) -> anyhow::Result<BadInputFigures> {
    let say = |what: &str| {
        if options.progress {
            eprintln!("{what}");
        }
    };
    // Migrated here, so that the intake process finds the schema.
    drop(crate::store::open(database_url).await?);
    let mut counts = Counts::connect(database_url).await?;
    let topology = Topology::new(namespace);
    let queue = AmqpQueue::connect(amqp_url, topology.clone()).await?;
    queue.declare_topology().await?;
    let stderr = tempfile::NamedTempFile::new().context("a file for the intake's standard error")?;
    let mut intake = Intake::start(database_url, amqp_url, namespace, stderr.reopen()?)?;
    let result = measure(&queue, &topology, &mut counts, &mut intake, options, &say).await;
    intake.stop();
    let _ = queue.delete_topology().await;
    let mut figures = result?;
    let log = std::fs::read_to_string(stderr.path()).unwrap_or_default();
    figures.panics = log.matches("panicked at").count();
    Ok(figures)
}

async fn measure(
    queue: &AmqpQueue,
    topology: &Topology,
    counts: &mut Counts,
    intake: &mut Intake,
    options: &BadInputOptions,
    say: &impl Fn(&str),
) -> anyhow::Result<BadInputFigures> {
    let stream = malformed::plan(options.malformed, options.valid);
    let first_valid = stream.iter().position(|p| p.kind == Kind::Valid).expect("at least one valid");
    let expected_rejections = stream.iter().filter(|p| p.kind.is_rejected()).count();

    say("starting the intake and waiting for the first invoice");
    publish(queue, topology, &stream[first_valid..=first_valid]).await?;
    intake.wait_for(counts, 1, 0, Duration::from_secs(60)).await?;
    let before_kib = intake.status_kib("VmRSS").unwrap_or_default();

    say("publishing the stream");
    let started = Instant::now();
    let rest: Vec<Planned> =
        stream.iter().enumerate().filter(|(i, _)| *i != first_valid).map(|(_, p)| *p).collect();
    for chunk in rest.chunks(PUBLISH_CHUNK) {
        publish(queue, topology, chunk).await?;
    }
    say("waiting for the intake");
    let reached = intake.wait_for(counts, options.valid as i64, expected_rejections as i64, DEADLINE).await;
    let seconds = started.elapsed().as_secs_f64();
    let memory = Memory {
        before_kib,
        after_kib: intake.status_kib("VmRSS").unwrap_or_default(),
        peak_kib: intake.status_kib("VmHWM").unwrap_or_default(),
    };
    let intake_exited = match reached {
        Ok(()) => None,
        Err(error) => Some(format!("{error:#}")),
    };

    say("reading the dead-letter queue");
    let dead = read_dead_letters(queue, topology, expected_rejections).await?;
    let mut kinds: BTreeMap<Kind, KindFigures> = BTreeMap::new();
    for planned in &stream {
        kinds
            .entry(planned.kind)
            .or_insert(KindFigures {
                kind: planned.kind,
                sent: 0,
                dead_lettered: 0,
                with_reason: 0,
                example_reason: None,
            })
            .sent += 1;
    }
    for (kind, reason) in &dead {
        let Some(figures) = kinds.values_mut().find(|k| k.kind.as_str() == kind) else { continue };
        figures.dead_lettered += 1;
        if let Some(reason) = reason.as_deref().filter(|r| !r.trim().is_empty()) {
            figures.with_reason += 1;
            figures.example_reason.get_or_insert_with(|| shortened(reason));
        }
    }
    let (rejections_recorded, invoices_stored) = counts.read().await?;
    Ok(BadInputFigures {
        malformed_sent: options.malformed,
        valid_sent: options.valid,
        expected_rejections,
        dead_lettered: dead.len(),
        dead_lettered_with_reason: kinds.values().map(|k| k.with_reason).sum(),
        kinds: kinds.into_values().collect(),
        rejections_recorded,
        invoices_stored,
        changed_by_duplicates: counts.changed_by_duplicates().await?,
        panics: 0,
        intake_exited,
        memory,
        seconds,
    })
}

async fn publish(queue: &AmqpQueue, topology: &Topology, planned: &[Planned]) -> anyhow::Result<()> {
    let messages = planned
        .iter()
        .map(|p| Message {
            routing_key: crate::intake::message::OVERDUE.into(),
            body: malformed::body(p),
            headers: vec![(KIND_HEADER.to_owned(), HeaderValue::text(p.kind.as_str()))],
            content_type: Some("application/json".into()),
            message_id: None,
        })
        .collect();
    queue.publish(&topology.intake_exchange(), messages).await.context("publishing to the intake")
}

/// (kind, reason header) of every dead-lettered copy, read until `expected` are in or none came
/// for a few seconds.
async fn read_dead_letters(
    queue: &AmqpQueue,
    topology: &Topology,
    expected: usize,
) -> anyhow::Result<Vec<(String, Option<String>)>> {
    let mut consumer = queue.consume(&topology.rejected_queue(), 50).await?;
    let mut dead = Vec::with_capacity(expected);
    while dead.len() < expected {
        let Ok(Some(delivery)) = tokio::time::timeout(Duration::from_secs(5), consumer.next()).await else {
            break;
        };
        let message = &delivery.message;
        let kind = message.header(KIND_HEADER).unwrap_or("unknown").to_owned();
        dead.push((kind, message.header(ERROR_HEADER).map(str::to_owned)));
        delivery.ack(false).await?;
    }
    // Any copy beyond the expected ones is counted too (a valid message dead-lettered).
    while let Ok(Some(delivery)) = tokio::time::timeout(Duration::from_millis(500), consumer.next()).await {
        let kind = delivery.message.header(KIND_HEADER).unwrap_or("unknown").to_owned();
        dead.push((kind, delivery.message.header(ERROR_HEADER).map(str::to_owned)));
        delivery.ack(false).await?;
    }
    Ok(dead)
}

fn shortened(reason: &str) -> String {
    const MAX: usize = 90;
    if reason.chars().count() <= MAX {
        reason.to_owned()
    } else {
        format!("{}…", reason.chars().take(MAX).collect::<String>())
    }
}

/// `mahnwerk run --role intake` as a child process.
struct Intake {
    child: Child,
}

impl Intake {
    fn start(
        database_url: &str,
        amqp_url: &str,
        namespace: &str,
        stderr: std::fs::File,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding the mahnwerk binary")?;
        let child = Command::new(exe)
            .args(["run", "--role", "intake"])
            .env("MAHNWERK_DATABASE_URL", database_url)
            .env("MAHNWERK_AMQP_URL", amqp_url)
            .env("MAHNWERK_NAMESPACE", namespace)
            .env_remove("MAHNWERK_OBSERVE_LISTEN")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .context("starting `mahnwerk run --role intake`")?;
        Ok(Self { child })
    }

    /// A `kB` line of `/proc/<pid>/status` (`None` where there is no such file: not Linux).
    fn status_kib(&self, key: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with(&format!("{key}:")))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Waits until `invoices` are stored and `rejections` recorded; fails when the intake process
    /// ends or `limit` passes.
    async fn wait_for(
        &mut self,
        counts: &mut Counts,
        invoices: i64,
        rejections: i64,
        limit: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let (recorded, stored) = counts.read().await?;
            if stored >= invoices && recorded >= rejections {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the intake process ended ({status}) with {stored} invoices stored and {recorded} rejections recorded");
            }
            if Instant::now() > deadline {
                bail!("gave up after {limit:?} with {stored} invoices stored and {recorded} rejections recorded");
            }
            tokio::time::sleep(LOOK_EVERY).await;
        }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The benchmark's own look at the scratch database.
struct Counts {
    connection: sqlx::PgConnection,
}

impl Counts {
    async fn connect(database_url: &str) -> anyhow::Result<Self> {
        let connection =
            sqlx::PgConnection::connect(database_url).await.context("connecting to PostgreSQL")?;
        Ok(Self { connection })
    }

    /// (rows in `intake_rejections`, invoices stored).
    async fn read(&mut self) -> anyhow::Result<(i64, i64)> {
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM intake_rejections), (SELECT COUNT(*) FROM invoices)")
            .fetch_one(&mut self.connection)
            .await
            .context("counting rejections and invoices")
    }

    /// Invoices whose amount is not the one their first (valid) message gave, plus debtors
    /// renamed by a changed duplicate.
    async fn changed_by_duplicates(&mut self) -> anyhow::Result<i64> {
        let rows: Vec<(String, rust_decimal::Decimal)> =
            sqlx::query_as("SELECT number, amount_due FROM invoices WHERE tenant = $1")
                .bind(malformed::TENANT)
                .fetch_all(&mut self.connection)
                .await
                .context("reading the stored amounts")?;
        let changed = rows.iter().filter(|(number, amount)| {
            let index = number.trim_start_matches("BAD-").parse::<usize>().ok();
            let first: Option<rust_decimal::Decimal> =
                index.and_then(|i| malformed::amount_of(i).parse().ok());
            first != Some(*amount)
        });
        let renamed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM debtors WHERE name = $1")
            .bind(malformed::CHANGED_NAME)
            .fetch_one(&mut self.connection)
            .await
            .context("reading the stored debtors")?;
        Ok(changed.count() as i64 + renamed)
    }
}
