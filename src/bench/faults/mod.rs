//! `mahnwerk bench faults`: invoices pushed through the roles as separate processes (`run --role
//! intake`, `scheduler`, `delivery`) while each role is killed with SIGKILL at random moments and
//! started again, and RabbitMQ and PostgreSQL crash and come back; then it checks what a creditor
//! would: every invoice stored once, every first-stage reminder received by the provider exactly
//! once (counted as it arrives, [`smtp_counter`]), none left queued or due, every case in the
//! state it must be in. Duplicates may not exceed what the kills and crashes could re-send
//! ([`in_flight_bound`]).
//!
//! The servers are the benchmark's own ([`servers`]): the machine's PostgreSQL and RabbitMQ,
//! which other programs may be using, are neither used nor touched. The roles run on a clock
//! standing still at 10:00 on a business day in the debtors' time zone (as in `bench pipeline`
//! (c)), the fixed policy's send time, so every first-stage reminder is due once planned. A
//! purge of the delivery queue ([`Fault::LoseDeliveries`], [`purge`]) loses delivery messages for
//! good: the delivery role is stopped gracefully, the invoices the run held back are published
//! only then, the scheduler's dispatches of their reminders wait in the queue, the queue is
//! purged, and the roles start again on a clock moved past the re-dispatch lease, so that the
//! scheduler must find the reminders left `queued` and dispatch them again.

mod checks;
mod lost;
mod purge;
mod roles;
mod schedule;
mod servers;
mod smtp_counter;

use crate::deliver::{CONCURRENT_SENDS, RECORD_EVERY};
use crate::queue::{AmqpQueue, Message, Queue, Topology};
use anyhow::{bail, Context};
use roles::{RoleProcess, ROLES};
use schedule::Fault;
use serde::Serialize;
use smtp_counter::SmtpCounter;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

pub use schedule::FaultCounts;

/// The namespace of the run's exchanges and queues on its own broker.
const NAMESPACE: &str = "faults";
/// How often the supervisor looks at the roles and the progress.
const LOOK_EVERY: Duration = Duration::from_millis(200);
/// After the last fault, the run ends when nothing has moved for this long.
const STALL: Duration = Duration::from_secs(120);
/// Once everything is done, how long the provider is watched for late copies.
const QUIET: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct FaultOptions {
    pub invoices: usize,
    pub faults: FaultCounts,
    pub seed: u64,
    pub progress: bool,
}

/// What one fault did, and when.
#[derive(Debug, Clone, Serialize)]
pub struct Struck {
    pub fault: String,
    /// Seconds after the first invoice was published.
    pub at_s: f64,
    pub invoices_stored: i64,
    pub emails_received: u64,
    /// How long a server took to come back (crashes only).
    pub down_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultFigures {
    pub invoices_published: usize,
    /// Delivery messages (each up to 100 reminders) the purges of the delivery queue removed.
    pub delivery_messages_purged: u32,
    /// Reminders left `queued` by the purges (their delivery messages gone).
    pub reminders_left_queued: i64,
    /// Reminders the scheduler dispatched again after the lease ran out (from its log).
    pub reminders_dispatched_again: u64,
    /// Each purge: what it published after stopping delivery, how long it waited, what it lost.
    pub purges: Vec<purge::Purge>,
    /// What became of the reminders the purges left queued.
    pub left_queued: purge::Fate,
    pub seed: u64,
    pub faults: Vec<Struck>,
    /// Per role: SIGKILLs sent, and times its process ended by itself and was started again.
    pub kills: BTreeMap<String, u32>,
    pub exits: BTreeMap<String, u32>,
    /// `panicked at` lines in the roles' standard error.
    pub panics: usize,
    pub lost_invoices: i64,
    #[serde(flatten)]
    pub outcome: checks::Outcome,
    /// The most duplicates the faults could cause, from the delivery worker's constants.
    pub duplicate_bound: u64,
    /// From the first invoice published to the last reminder recorded.
    pub seconds: f64,
    /// The temporary folder the servers and the roles' logs lived in (removed at the end).
    pub run_folder: String,
    /// The build and host the figures are from.
    pub build: &'static str,
    pub cores: usize,
}

impl FaultFigures {
    /// Whether every check holds.
    pub fn holds(&self) -> bool {
        let o = &self.outcome;
        self.lost_invoices == 0
            && o.invoices_stored == self.invoices_published as i64
            && o.distinct_invoice_numbers == o.invoices_stored
            && o.cases == o.invoices_stored
            && o.lost_reminders == 0
            && o.stuck == 0
            && o.cases_in_wrong_state == 0
            && o.recorded_not_received == 0
            && o.emails_of_no_reminder == 0
            && o.duplicate_sends <= self.duplicate_bound
            && self.left_queued.never_received == 0
            && self.left_queued.sent_after_redispatch == self.left_queued.reminders
            && self.panics == 0
    }
}

/// The most reminders the faults can make the provider receive twice. A delivery process
/// killed at any instant has sent at most `2 x RECORD_EVERY` reminders it has not recorded
/// (one group being recorded, one waiting) and has `CONCURRENT_SENDS` sends in flight; they go
/// out again after the restart. A PostgreSQL crash fails the recording of the batch in hand the
/// same way, and so does any delivery process that ended by itself. The other roles' kills and
/// a broker crash re-send nothing: a redelivered message finds its reminders sent and skips
/// them, and a reminder published twice is sent by one copy only.
pub fn in_flight_bound(delivery_interruptions: u64) -> u64 {
    delivery_interruptions * (2 * RECORD_EVERY + CONCURRENT_SENDS) as u64
}

impl fmt::Display for FaultFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.outcome;
        writeln!(
            f,
            "fault benchmark: {} invoices through `run --role intake|scheduler|delivery` as separate processes, \
             private PostgreSQL + RabbitMQ, seed {}, {} build, {} cores, {:.1} s",
            self.invoices_published, self.seed, self.build, self.cores, self.seconds
        )?;
        for s in &self.faults {
            let down = s.down_s.map_or_else(String::new, |d| format!(", back after {d:.1} s"));
            writeln!(
                f,
                "  {:>7.1} s  {:<30} ({} invoices stored, {} emails received{down})",
                s.at_s, s.fault, s.invoices_stored, s.emails_received
            )?;
        }
        let per_role = |m: &BTreeMap<String, u32>| {
            m.iter().map(|(role, n)| format!("{role} {n}")).collect::<Vec<_>>().join(", ")
        };
        writeln!(f, "  kills: {}; exits by themselves: {}", per_role(&self.kills), per_role(&self.exits))?;
        for p in &self.purges {
            writeln!(
                f,
                "  purge: delivery held {:.1} s ({} invoices published meanwhile, dispatch {}), {} messages purged, \
                 {} reminders left queued",
                p.waited_s,
                p.invoices_published_after_stop,
                if p.dispatch_settled { "complete" } else { "NOT complete" },
                p.messages_purged,
                p.reminders_left_queued
            )?;
        }
        let fate = &self.left_queued;
        writeln!(
            f,
            "  left queued by the purges         {}: {} sent after the lease, received once {}, more than once {}, \
             never {}; the scheduler says {} dispatched again",
            self.reminders_left_queued,
            fate.sent_after_redispatch,
            fate.received_once,
            fate.received_more_than_once,
            fate.never_received,
            self.reminders_dispatched_again
        )?;
        writeln!(
            f,
            "  invoices stored                   {} of {} ({} distinct numbers), {} lost",
            o.invoices_stored, self.invoices_published, o.distinct_invoice_numbers, self.lost_invoices
        )?;
        let list = |m: &BTreeMap<String, i64>| {
            m.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
        };
        writeln!(f, "  cases                             {} ({})", o.cases, list(&o.cases_by_state))?;
        writeln!(f, "  cases in the wrong state          {} (target 0)", o.cases_in_wrong_state)?;
        writeln!(f, "  first-stage reminders             {}", list(&o.reminders_by_status))?;
        writeln!(
            f,
            "  emails received by the provider   {} ({} distinct reminders, {} of no reminder)",
            o.emails_received, o.distinct_reminders_received, o.emails_of_no_reminder
        )?;
        writeln!(f, "  lost reminders (never received)   {} (target 0)", o.lost_reminders)?;
        writeln!(f, "  stuck (queued or due at the end)  {} (target 0)", o.stuck)?;
        writeln!(
            f,
            "  waiting for a later send time     {} (planned after the clock moved on)",
            o.waiting_for_send_time
        )?;
        writeln!(f, "  recorded sent, never received     {} (target 0)", o.recorded_not_received)?;
        writeln!(
            f,
            "  duplicate sends                   {} (most copies of one: {}; bound from the faults: {})",
            o.duplicate_sends, o.most_copies_of_one, self.duplicate_bound
        )?;
        writeln!(f, "  panics                            {} (target 0)", self.panics)?;
        write!(f, "  {}", if self.holds() { "every check holds" } else { "CHECKS FAILED" })
    }
}

/// Runs the benchmark. It waits for its servers in the calling thread, so it needs tokio's
/// multi-threaded runtime (what `#[tokio::main]` gives the command line).
pub async fn faults(options: &FaultOptions) -> anyhow::Result<FaultFigures> {
    if options.invoices == 0 {
        bail!("--invoices must be at least 1");
    }
    let say = |what: &str| {
        if options.progress {
            eprintln!("{what}");
        }
    };
    let root =
        tempfile::Builder::new().prefix("mahnwerk-faults-").tempdir().context("a folder for the run")?;
    // The postgres user must reach its data folder inside.
    std::fs::set_permissions(root.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    say("starting a private PostgreSQL and a private RabbitMQ");
    let (mut postgres, mut rabbitmq) = tokio::task::block_in_place(|| {
        let postgres = servers::PrivatePostgres::start(&root.path().join("postgres"))?;
        let rabbitmq = servers::PrivateRabbitmq::start(&root.path().join("rabbitmq"))?;
        anyhow::Ok((postgres, rabbitmq))
    })?;
    let result = run(options, root.path(), &mut postgres, &mut rabbitmq, &say).await;
    tokio::task::block_in_place(|| {
        drop(rabbitmq);
        drop(postgres);
    });
    result
}

async fn run(
    options: &FaultOptions,
    root: &Path,
    postgres: &mut servers::PrivatePostgres,
    rabbitmq: &mut servers::PrivateRabbitmq,
    say: &impl Fn(&str),
) -> anyhow::Result<FaultFigures> {
    let admin_url = postgres.url("postgres");
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await?;
    sqlx::query("CREATE DATABASE faults").execute(&mut admin).await.context("creating the database")?;
    drop(admin);
    let database_url = postgres.url("faults");
    // Migrated and declared here, so that every role finds the schema and the queues.
    drop(crate::store::open(&database_url).await.context("migrating the database")?);
    let topology = Topology::new(NAMESPACE);
    let queue = AmqpQueue::connect(&rabbitmq.url(), topology.clone()).await?;
    queue.declare_topology().await?;
    queue.close().await;

    let provider = SmtpCounter::start().await?;
    let config = root.join("mahnwerk.toml");
    std::fs::write(&config, role_config(&database_url, &rabbitmq.url(), provider.port(), root))?;
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut clock = super::send_time();
    let mut purges = Vec::new();
    let mut roles = ROLES
        .iter()
        .map(|&role| RoleProcess::start(role, &config, clock, &logs))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut bodies = super::invoice_bodies(options.invoices);
    // A purge loses for certain the reminders of the invoices published once it stopped delivery.
    let mut held_back = if options.faults.delivery_purges > 0 {
        bodies.split_off(options.invoices - purge::held_back(options.invoices))
    } else {
        Vec::new()
    };
    say(&format!("publishing {} invoices ({} held back for the purge)", bodies.len(), held_back.len()));
    let started = Instant::now();
    publish_invoices(&rabbitmq.url(), &topology, &bodies).await.context("publishing the invoices")?;

    let n = options.invoices as i64;
    let plan = schedule::plan(options.seed, &ROLES, options.faults);
    let mut struck = Vec::new();
    let mut next = plan.iter().peekable();
    let (mut stored, mut pending) = (0i64, n);
    let mut last_move = (Instant::now(), (0i64, 0u64));
    let finished = loop {
        for role in roles.iter_mut() {
            role.keep_running()?;
        }
        if let Some(counts) = checks::progress(&database_url).await {
            (stored, pending) = counts;
        }
        let (emails, distinct) = provider.totals();
        let done = (stored.min(n) as f64 + distinct.min(n as u64) as f64) / (2 * n) as f64;
        if (stored, emails) != last_move.1 {
            last_move = (Instant::now(), (stored, emails));
        }
        if let Some(planned) = next.next_if(|p| p.at <= done) {
            tokio::time::sleep(planned.extra_pause).await;
            let at_s = started.elapsed().as_secs_f64();
            let (_, emails_received) = provider.totals();
            say(&format!("{at_s:.1} s: {}", planned.fault));
            let down_s = if planned.fault == Fault::LoseDeliveries {
                let target = purge::Target {
                    database_url: &database_url,
                    amqp_url: &rabbitmq.url(),
                    topology: &topology,
                };
                let held = std::mem::take(&mut held_back);
                let struck = purge::strike(&target, &mut roles, &held, options.invoices, clock).await?;
                say(&format!(
                    "  {} messages purged after {:.1} s, {} reminders left queued",
                    struck.messages_purged, struck.waited_s, struck.reminders_left_queued
                ));
                clock = struck.clock_after;
                purges.push(struck);
                None
            } else {
                // The crashes wait for the servers in this thread; the provider serves on the others.
                tokio::task::block_in_place(|| strike(planned.fault, &mut roles, postgres, rabbitmq))?
            };
            struck.push(Struck {
                fault: planned.fault.to_string(),
                at_s,
                invoices_stored: stored,
                emails_received,
                down_s,
            });
            last_move.0 = Instant::now();
            continue;
        }
        if next.peek().is_none() && stored >= n && distinct >= n as u64 && pending == 0 {
            break true;
        }
        // Stuck work never reaches the remaining faults' points: they are not struck.
        if last_move.0.elapsed() > STALL {
            break false;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    if finished {
        tokio::time::sleep(QUIET).await;
    } else {
        say(&format!("nothing moved for {STALL:?}: stopping with work left"));
    }
    for role in roles.iter_mut() {
        role.stop();
    }
    let received = provider.received();
    let outcome = checks::outcome(&database_url, clock, &received).await?;
    let left_queued = purge::fate(&database_url, &purges, &received).await?;
    let panics = roles.iter().map(|r| r.log().matches("panicked at").count()).sum();
    let scheduler = roles.iter().find(|r| r.role == "scheduler").expect("the scheduler runs");
    let reminders_dispatched_again = lost::dispatched_again(&scheduler.log());
    let kills: BTreeMap<String, u32> = roles.iter().map(|r| (r.role.to_owned(), r.kills)).collect();
    let exits: BTreeMap<String, u32> = roles.iter().map(|r| (r.role.to_owned(), r.exits)).collect();
    let postgres_crashes =
        struck.iter().filter(|s| s.fault == Fault::RestartPostgres.to_string()).count() as u64;
    let delivery_interruptions = u64::from(kills["delivery"] + exits["delivery"]) + postgres_crashes;
    if options.progress && (!finished || panics > 0) {
        for role in &roles {
            eprintln!(
                "--- the end of the {} role's log:\n{}",
                role.role,
                servers::last_lines(&role.log(), 15)
            );
        }
    }
    Ok(FaultFigures {
        invoices_published: options.invoices,
        delivery_messages_purged: purges.iter().map(|p| p.messages_purged).sum(),
        reminders_left_queued: purges.iter().map(|p| p.reminders_left_queued as i64).sum(),
        reminders_dispatched_again,
        purges,
        left_queued,
        seed: options.seed,
        faults: struck,
        kills,
        exits,
        panics,
        lost_invoices: n - outcome.invoices_stored.min(n),
        outcome,
        duplicate_bound: in_flight_bound(delivery_interruptions),
        seconds,
        run_folder: root.display().to_string(),
        build: if cfg!(debug_assertions) { "debug" } else { "release" },
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

/// Publishes overdue invoices (`bodies`) to the intake exchange of the broker at `amqp_url`.
async fn publish_invoices(amqp_url: &str, topology: &Topology, bodies: &[Vec<u8>]) -> anyhow::Result<()> {
    let queue = AmqpQueue::connect(amqp_url, topology.clone()).await?;
    for chunk in bodies.chunks(super::PUBLISH_BATCH) {
        let messages = chunk
            .iter()
            .map(|body| Message {
                routing_key: crate::intake::message::OVERDUE.into(),
                body: body.clone(),
                headers: Vec::new(),
                message_id: None,
                content_type: Some("application/json".into()),
            })
            .collect();
        queue.publish(&topology.intake_exchange(), messages).await?;
    }
    queue.close().await;
    Ok(())
}

/// Strikes one fault; for a server crash, returns the seconds until it accepted connections again.
fn strike(
    fault: Fault,
    roles: &mut [RoleProcess],
    postgres: &mut servers::PrivatePostgres,
    rabbitmq: &mut servers::PrivateRabbitmq,
) -> anyhow::Result<Option<f64>> {
    let crashed = Instant::now();
    match fault {
        Fault::Kill(role) => {
            let process = roles.iter_mut().find(|r| r.role == role).expect("every role runs");
            process.kill_and_restart()?;
            return Ok(None);
        }
        Fault::RestartRabbitmq => {
            rabbitmq.crash()?;
            rabbitmq.start_again()?;
        }
        Fault::RestartPostgres => {
            postgres.crash()?;
            postgres.start_again()?;
        }
        Fault::LoseDeliveries => bail!("{fault} is struck by the run itself (it needs the broker's client)"),
    }
    Ok(Some(crashed.elapsed().as_secs_f64()))
}

/// The roles' configuration: the private servers, the benchmark's provider as the SMTP server,
/// the fixed policy and the benchmarks' one-stage email plan.
fn role_config(database_url: &str, amqp_url: &str, smtp_port: u16, root: &Path) -> String {
    let plan = super::bench_plan();
    let stage = &plan.stages[0];
    format!(
        r#"database_url = "{database_url}"
amqp_url = "{amqp_url}"
namespace = "{NAMESPACE}"
outbox_dir = "{outbox}"
email_transport = "smtp"
policy = "fixed"
poll_interval_ms = 50

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
timeout_secs = 10

[links]
secret = "{secret}"

[[plans]]
name = "{name}"
escalate_after_days = {escalate}

[[plans.stages]]
name = "{stage_name}"
wait_days = 0
tone = "friendly"
channels = ["email"]
"#,
        outbox = root.join("outbox").display(),
        secret = uuid::Uuid::new_v4().simple(),
        name = plan.name.as_str(),
        escalate = plan.escalate_after_days,
        stage_name = stage.name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_configuration_is_one_the_service_accepts() {
        let text = role_config(
            "postgres://postgres@127.0.0.1:1/faults",
            "amqp://g:g@127.0.0.1:2/%2f",
            3,
            Path::new("/tmp"),
        );
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let config = crate::config::Config::load(Some(file.path())).unwrap();
        assert_eq!(config.namespace, NAMESPACE);
        assert!(config.plan_book().unwrap().get(super::super::BENCH_PLAN).is_ok());
    }

    #[test]
    fn each_interruption_of_delivery_may_resend_what_it_had_in_flight() {
        assert_eq!(in_flight_bound(0), 0);
        assert_eq!(in_flight_bound(3), 3 * 320);
    }
}
