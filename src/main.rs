//! The `mahnwerk` command: parse the command line, load the configuration, start what was asked
//! for, and report how it ended.

use anyhow::Context;
use clap::{Parser, Subcommand};
use mahnwerk::app::{Role, Service};
use mahnwerk::config::{Config, PolicyKind};
use mahnwerk::runtime::{Clock, SystemClock};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

/// mimalloc instead of glibc's malloc: the service allocates many small buffers on one thread
/// and frees them on another (frames, rows, rendered messages), where glibc's arenas spent a
/// sixth of the service's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tunes mimalloc for a long-running service: memory freed goes back to the operating system at
/// once (`purge_delay` 0; mimalloc 3 waits a second, and purges only when the thread that
/// freed allocates again, so an idle service kept what a burst had used), and arenas are
/// committed as they are used (`arena_eager_commit` 0; an eagerly committed arena's purge only
/// marks pages free, which Linux leaves resident). Measured with `bench bad-input` (README,
/// "Intake memory"): set here, after mimalloc has started, the intake ends the stream 16–22 MiB
/// above where it started instead of 30–40 (debug build); set as the environment variables
/// before the process starts (the Dockerfile, compose file and systemd unit do), 6–7 MiB
/// (release). An operator's `MIMALLOC_PURGE_DELAY` or `MIMALLOC_ARENA_EAGER_COMMIT` wins.
fn release_freed_memory_promptly() {
    use libmimalloc_sys::{mi_option_set, mi_option_t};
    // mimalloc's `mi_option_e` (the same positions in its versions 2 and 3; libmimalloc-sys
    // names neither).
    const ARENA_EAGER_COMMIT: mi_option_t = 4;
    const PURGE_DELAY: mi_option_t = 15;
    for (option, variable) in
        [(ARENA_EAGER_COMMIT, "MIMALLOC_ARENA_EAGER_COMMIT"), (PURGE_DELAY, "MIMALLOC_PURGE_DELAY")]
    {
        if std::env::var_os(variable).is_none() {
            // SAFETY: `mi_option_set` stores a number in mimalloc's option table, which the
            // allocator reads atomically; it allocates nothing and may be called at any time.
            unsafe { mi_option_set(option, 0) };
        }
    }
}

#[derive(Parser)]
#[command(name = "mahnwerk", version, about = "Omnichannel dunning worker")]
struct Cli {
    /// TOML configuration file (defaults: embedded mode; MAHNWERK_* variables override).
    #[arg(long, global = true, env = "MAHNWERK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (all roles, or one of them).
    Run {
        #[arg(long, value_enum, default_value = "all")]
        role: Role,
        /// Run on a clock standing still at this instant (RFC 3339) instead of the system
        /// clock: for benchmarks that run the roles as separate processes on simulated time
        /// (`mahnwerk bench faults`), never for a real service.
        #[arg(long, hide = true)]
        frozen_clock: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Run a simulated population through the real pipeline on the embedded default.
    Demo {
        #[arg(long, default_value_t = 2000)]
        debtors: usize,
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where the outbox and the demo's database go (one folder per policy).
        #[arg(long, default_value = "outbox")]
        out: PathBuf,
        /// Which policies to run on the same population: both (and report the lift), or one.
        #[arg(long, value_enum, default_value = "both")]
        policy: DemoPolicies,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// After the report, keep the pay-page running on the demo's database (`[http] listen`,
        /// default http://127.0.0.1:8080) and print pay-links from its outbox to open.
        #[arg(long)]
        serve: bool,
        /// Also run what follows a payment: a catalogue of the simulated products, the
        /// recommender refitted weekly, the post-payment hooks, simulated debtors who follow some
        /// recommended items' links, conversions; on-time invoices go in as `invoice.issued`.
        /// Read the result with `mahnwerk-train recommend-report`.
        #[arg(long)]
        recommend: bool,
    },
    /// Publish invoice messages, one JSON object per line, to the intake.
    Enqueue {
        file: PathBuf,
        /// Routing key for every line: invoice.overdue, invoice.paid or invoice.cancelled.
        #[arg(long, default_value = "invoice.overdue")]
        routing_key: String,
    },
    /// Counts of cases, reminders, payments and rejections in the configured database.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// The newest messages intake refused (also in the dead-letter queue), with the field and
    /// the reason.
    Rejections {
        /// Only this tenant's; `--tenant ''` lists those whose tenant could not be read.
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Apply database migrations.
    Migrate,
    /// The configuration file itself.
    Config {
        #[command(subcommand)]
        which: ConfigCommand,
    },
    /// The adaptive channel and send-time policy.
    Policy {
        #[command(subcommand)]
        which: PolicyCommand,
    },
    /// Render one reminder for a sample case with the configured templates, creditor and plan,
    /// exactly as it would be sent: email as .eml, SMS/WhatsApp/Messenger as the outbox JSON
    /// line, a letter as PDF.
    Preview {
        #[arg(long, value_enum)]
        channel: PreviewChannel,
        /// The plan's stage, from 1.
        #[arg(long, default_value_t = 1)]
        stage: u32,
        /// The debtor's language, e.g. de, en, fr, de-AT (default de).
        #[arg(long)]
        language: Option<String>,
        /// Overrides the stage's tone.
        #[arg(long, value_enum)]
        tone: Option<PreviewTone>,
        /// The tenant whose creditor and templates to use (default: the first configured creditor).
        #[arg(long)]
        tenant: Option<String>,
        /// The dunning plan (default: the tenant's plan for consumers).
        #[arg(long)]
        plan: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Bank statements: import camt.053 or CSV, review and assign what did not match.
    Payments {
        #[command(subcommand)]
        which: PaymentsCommand,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
    /// Cases handed on: the claim statements of escalated cases (Forderungsaufstellung).
    Cases {
        #[command(subcommand)]
        which: CasesCommand,
    },
    /// A tenant's product catalogue, for recommendations after payment.
    Catalogue {
        #[command(subcommand)]
        which: CatalogueCommand,
    },
    /// Operator accounts of the console (docs/console.md).
    Operators {
        #[command(subcommand)]
        which: OperatorsCommand,
    },
    /// API keys of the console's HTTP API (docs/console.md).
    ApiKeys {
        #[command(subcommand)]
        which: ApiKeysCommand,
    },
    /// A debtor's GDPR rights (docs/console.md): export everything stored, or erase.
    Debtors {
        #[command(subcommand)]
        which: DebtorsCommand,
    },
}

#[derive(Subcommand)]
enum DebtorsCommand {
    /// Print everything stored about the debtor as JSON (Art. 15 GDPR).
    Export {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        debtor: String,
    },
    /// Overwrite the debtor's personal data and stop dunning (Art. 17 GDPR); prints the audit
    /// entry. Cannot be undone.
    Erase {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        debtor: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Load FILE under the MAHNWERK_* variables, as `run` would, and check every key: prints
    /// what it sets (without secrets), or the error naming the key, and exits non-zero.
    Check { file: PathBuf },
}

#[derive(Subcommand)]
enum OperatorsCommand {
    /// Add an operator of a tenant (`--tenant T --role R`), or a super-admin of the installation
    /// (`--super-admin`, no tenant and no role: it chooses the tenant to act for after logging
    /// in); the password is read from MAHNWERK_OPERATOR_PASSWORD or else the first line of
    /// stdin (at least 12 characters).
    Add {
        #[arg(long, required_unless_present = "super_admin", conflicts_with = "super_admin")]
        tenant: Option<String>,
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["viewer", "agent", "admin"], required_unless_present = "super_admin",
              conflicts_with = "super_admin")]
        role: Option<String>,
        #[arg(long)]
        super_admin: bool,
    },
}

#[derive(Subcommand)]
enum ApiKeysCommand {
    /// Create a key and print it (shown this once; only its hash is stored).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_parser = ["read", "write"])]
        scope: String,
    },
    /// Revoke a key by the id `create` printed.
    Revoke {
        #[arg(long)]
        tenant: String,
        id: i64,
    },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Import a catalogue (CSV with a header, or JSON lines: sku, name, url, price, category,
    /// active, repeatable); a SKU imported before is replaced. A file with an error imports
    /// nothing and the error names its line and field.
    Import {
        file: PathBuf,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum CasesCommand {
    /// Export the claim statement of every case escalated now (the statement fixed on the day it
    /// escalated): JSON and CSV to stdout, PDFs into --out.
    Export {
        /// Escalated cases (the only kind exported so far; required to say so).
        #[arg(long, required = true)]
        escalated: bool,
        /// Only cases escalated on or after this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        #[arg(long)]
        tenant: Option<String>,
        /// json, csv or pdf.
        #[arg(long, default_value = "json")]
        format: String,
        /// The folder the PDFs are written to.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

// Parsed once per run: the size of the `import` variant's CSV flags costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum PaymentsCommand {
    /// Import a bank statement (camt.053 001.02/001.08, or CSV) and record the payments it holds;
    /// importing a file again changes nothing.
    Import {
        file: PathBuf,
        /// Default: guessed from the content (XML is camt.053).
        #[arg(long, value_enum)]
        format: Option<mahnwerk::pay::import::Format>,
        /// Required unless the configuration has exactly one creditor.
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        csv: mahnwerk::pay::import::command::CsvFlags,
        #[arg(long)]
        json: bool,
    },
    /// The lines no rule matched, waiting for review.
    Unmatched {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record an unmatched line as payment of an invoice.
    Assign {
        /// The line's id (from `payments unmatched`).
        line: i64,
        #[arg(long)]
        invoice: String,
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DemoPolicies {
    Both,
    Adaptive,
    Fixed,
}

impl DemoPolicies {
    fn kinds(self) -> Vec<PolicyKind> {
        match self {
            DemoPolicies::Both => vec![PolicyKind::Fixed, PolicyKind::Adaptive],
            DemoPolicies::Adaptive => vec![PolicyKind::Adaptive],
            DemoPolicies::Fixed => vec![PolicyKind::Fixed],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PreviewChannel {
    Email,
    Sms,
    Whatsapp,
    Messenger,
    Letter,
}

impl From<PreviewChannel> for mahnwerk::domain::ChannelKind {
    fn from(channel: PreviewChannel) -> Self {
        use mahnwerk::domain::ChannelKind;
        match channel {
            PreviewChannel::Email => ChannelKind::Email,
            PreviewChannel::Sms => ChannelKind::Sms,
            PreviewChannel::Whatsapp => ChannelKind::Whatsapp,
            PreviewChannel::Messenger => ChannelKind::Messenger,
            PreviewChannel::Letter => ChannelKind::Letter,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PreviewTone {
    Friendly,
    Neutral,
    Firm,
}

impl From<PreviewTone> for mahnwerk::domain::Tone {
    fn from(tone: PreviewTone) -> Self {
        use mahnwerk::domain::Tone;
        match tone {
            PreviewTone::Friendly => Tone::Friendly,
            PreviewTone::Neutral => Tone::Neutral,
            PreviewTone::Firm => Tone::Firm,
        }
    }
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Answer the policy protocol (docs/policy-protocol.md) on stdin/stdout, one JSON object per line.
    Serve {
        /// Read requests from stdin, answer on stdout (the only transport so far).
        #[arg(long)]
        stdio: bool,
        /// Start from a model snapshot (JSON) instead of an empty model.
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Parse every request and answer with its first allowed channel and hour instead (no
        /// learning): the baseline of `mahnwerk bench policy-stdio`.
        #[arg(long, hide = true)]
        do_nothing: bool,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// The operator console at scale: a fresh PostgreSQL database beside the configured one with
    /// --cases cases of --tenants tenants, the `api` role on it, and a load of case lists, case
    /// pages, statistics and the overview beside /healthz: p50, p99 and max per route against
    /// the targets. The database is dropped afterwards.
    Console {
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 20)]
        tenants: usize,
        /// Requests of the load, over every route.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Keep-alive connections sending at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long)]
        json: bool,
    },
    /// The pay-page's rate and latency beside /healthz of the same server, on the configured
    /// PostgreSQL.
    Pay {
        #[arg(long, default_value_t = 10_000)]
        cases: usize,
        /// Seconds per phase (healthz, pay-page, pay-page at half its rate).
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long)]
        json: bool,
    },
    /// Import generated camt.053 statements (10,000 and --entries entries): entries per second and
    /// peak memory, side by side.
    Import {
        #[arg(long, default_value_t = 100_000)]
        entries: usize,
        /// Default: the configured database. The run's data go under a tenant of its own.
        #[arg(long)]
        database_url: Option<String>,
        /// Take in no invoices: every line goes unmatched, and the import's own cost shows
        /// without the payments.
        #[arg(long)]
        without_invoices: bool,
        #[arg(long)]
        json: bool,
    },
    /// Decisions per second through `policy serve --stdio` with batched input, beside a
    /// do-nothing responder in the same run.
    PolicyStdio {
        #[arg(long, default_value_t = 100_000)]
        decisions: usize,
        #[arg(long, default_value_t = 3_000)]
        debtors: usize,
        /// Rounds of (do-nothing, policy); the medians are reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long)]
        json: bool,
    },
    /// Malformed intake messages of many kinds mixed with valid ones, through `run --role intake`
    /// on the configured PostgreSQL + RabbitMQ: panics, dead letters with reasons, invoices stored,
    /// the intake's memory. Exits non-zero when a check fails.
    BadInput {
        #[arg(long, default_value_t = 10_000)]
        malformed: usize,
        #[arg(long, default_value_t = 1_000)]
        valid: usize,
        #[arg(long)]
        json: bool,
    },
    /// Invoices through `run --role intake|scheduler|delivery` as separate processes on a private
    /// PostgreSQL and RabbitMQ, while each role is killed with SIGKILL at random (seeded) moments
    /// and both servers crash and restart: invoices stored, reminders received by an SMTP server
    /// exactly once, none stuck, cases in the right state. Exits non-zero when a check fails.
    Faults {
        #[arg(long, default_value_t = 10_000)]
        invoices: usize,
        /// SIGKILLs of each role's process.
        #[arg(long, default_value_t = 3)]
        kills_per_role: u32,
        #[arg(long, default_value_t = 2)]
        rabbitmq_restarts: u32,
        #[arg(long, default_value_t = 2)]
        postgres_restarts: u32,
        /// Purges of the email delivery queue (its messages lost), each followed by the roles'
        /// clock moving past the re-dispatch lease, so the scheduler dispatches the lost again.
        /// With a purge, 40 % of the invoices are published only once it has stopped delivery.
        #[arg(long, default_value_t = 1)]
        delivery_purges: u32,
        /// Seeds the moments of the faults.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Forged, tampered, expired and cross-tenant links and webhooks, and replays of genuine
    /// ones, against the API in-process on a SQLite database of its own: each must change nothing
    /// (every table compared) and all but replays must be refused. Exits non-zero when one fails.
    Security {
        #[arg(long)]
        json: bool,
    },
    /// Raw RabbitMQ vs mahnwerk intake vs the whole path, on the configured PostgreSQL + RabbitMQ.
    Pipeline {
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        /// Rounds of (a), (b), (c); the medians are reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Folder for the sandbox outbox of (c) (default: the system's temporary folder).
        #[arg(long)]
        outbox: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    release_freed_memory_promptly();
    let cli = Cli::parse();
    // The demo prints a report; its roles' routine logs (a snapshot every few simulated hours)
    // would bury it, so only warnings show unless RUST_LOG asks for more.
    let default_filter = match cli.command {
        Command::Demo { .. } => "warn",
        // Seeding a million cases takes statements of tens of seconds by design: sqlx's warning
        // about each (with its SQL) would bury the progress.
        Command::Bench { which: Bench::Console { .. } } => "info,sqlx=error,lapin=warn",
        _ => "info,sqlx=warn,lapin=warn,lapin::returned_messages=error",
    };
    mahnwerk::observe::init_logs(default_filter)?;
    if let Command::Config { which: ConfigCommand::Check { file } } = &cli.command {
        let config = Config::load(Some(file))
            .with_context(|| format!("{} is not a usable configuration", file.display()))?;
        println!("{}: ok\n{}", file.display(), config.describe());
        let today = SystemClock.now().date_naive();
        for notice in config.base_rate_notices(today) {
            eprintln!("warning: {notice}");
        }
        return Ok(());
    }
    let config = match cli.command {
        // They sign nothing, so they need no links secret (nor anything else of the roles').
        Command::Stats { .. }
        | Command::Rejections { .. }
        | Command::Migrate
        | Command::Payments { .. }
        | Command::Catalogue { .. }
        | Command::Cases { .. }
        | Command::Operators { .. }
        | Command::ApiKeys { .. }
        | Command::Debtors { .. }
        | Command::Bench {
            which:
                Bench::Import { .. }
                | Bench::PolicyStdio { .. }
                | Bench::Faults { .. }
                | Bench::Security { .. }
                | Bench::Console { .. },
        }
        | Command::Policy { .. } => Config::load_for_database_only(cli.config.as_deref())?,
        _ => Config::load(cli.config.as_deref())?,
    };
    match cli.command {
        Command::Run { role, frozen_clock } => {
            let clock: Arc<dyn Clock> = match frozen_clock {
                Some(at) => Arc::new(mahnwerk::runtime::ManualClock::new(at)),
                None => Arc::new(SystemClock),
            };
            run(&config, role, clock).await
        }
        Command::Demo { debtors, days, seed, out, policy, json, serve, recommend } => {
            let options = mahnwerk::demo::DemoOptions {
                debtors,
                days,
                seed,
                out,
                progress: !json,
                policies: policy.kinds(),
                configuration: cli
                    .config
                    .as_ref()
                    .map_or_else(|| "built-in defaults".to_owned(), |file| file.display().to_string()),
                base: config.clone(),
                recommend,
            };
            let report = mahnwerk::demo::run(options.clone()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            if serve {
                let policy = *options.policies.last().expect("at least one policy ran");
                let stop = async {
                    termination().await;
                };
                mahnwerk::demo::serve(&options, policy, 5, stop).await?;
            }
            Ok(())
        }
        Command::Enqueue { file, routing_key } => {
            let summary = mahnwerk::enqueue::enqueue_file(&config, &file, &routing_key).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Stats { json } => {
            let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
            let stats = store.stats().await?;
            if json {
                println!("{}", serde_json::to_string(&stats)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            }
            Ok(())
        }
        Command::Rejections { tenant, limit, json } => {
            let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
            let scope = match tenant {
                None => mahnwerk::store::RejectionScope::All,
                Some(tenant) if tenant.is_empty() => mahnwerk::store::RejectionScope::NoTenant,
                Some(tenant) => mahnwerk::store::RejectionScope::Tenant(tenant),
            };
            let rejections = store.rejections(&scope, limit).await?;
            let mut out = std::io::stdout().lock();
            for rejection in &rejections {
                if json {
                    writeln!(out, "{}", serde_json::to_string(rejection)?)?;
                } else {
                    writeln!(
                        out,
                        "{}  {}  {}/{}  {}  ({} bytes)",
                        rejection.received_at.format("%Y-%m-%d %H:%M:%S"),
                        rejection.routing_key,
                        rejection.tenant.as_deref().unwrap_or("-"),
                        rejection.invoice_number.as_deref().unwrap_or("-"),
                        rejection.reason,
                        rejection.payload_bytes,
                    )?;
                }
            }
            if !json && rejections.is_empty() {
                writeln!(out, "no rejections")?;
            }
            Ok(())
        }
        Command::Migrate => {
            mahnwerk::store::open(&config.database_url).await.context("migrating the database")?;
            println!("migrations applied to {}", mahnwerk::config::redact_url(&config.database_url));
            Ok(())
        }
        // Answered above, before the configuration of `--config` was loaded.
        Command::Config { .. } => Ok(()),
        Command::Policy { which: PolicyCommand::Serve { stdio, do_nothing: true, .. } } => {
            anyhow::ensure!(stdio, "only --stdio is supported: `mahnwerk policy serve --stdio`");
            mahnwerk::bench::do_nothing(std::io::stdin(), std::io::stdout().lock())?;
            Ok(())
        }
        Command::Policy { which: PolicyCommand::Serve { stdio, model, seed, do_nothing: false } } => {
            policy_serve(stdio, model, seed)
        }
        Command::Bench { which: Bench::PolicyStdio { decisions, debtors, rounds, json } } => {
            let figures = tokio::task::spawn_blocking(move || {
                mahnwerk::bench::policy_stdio(&mahnwerk::bench::StdioBenchOptions {
                    decisions,
                    debtors,
                    rounds,
                })
            })
            .await??;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            Ok(())
        }
        Command::Preview { channel, stage, language, tone, tenant, plan, out } => {
            let options = mahnwerk::deliver::preview::PreviewOptions {
                channel: channel.into(),
                stage,
                language,
                tone: tone.map(Into::into),
                tenant,
                plan,
                out,
            };
            let summary = mahnwerk::deliver::preview::preview(&config, &options, SystemClock.now()).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Bench { which: Bench::Pay { cases, seconds, concurrency, json } } => {
            let options = mahnwerk::bench::PayBenchOptions { cases, seconds, concurrency };
            let figures = mahnwerk::bench::pay(&config, &options).await?;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            Ok(())
        }
        Command::Bench { which: Bench::Console { cases, tenants, requests, concurrency, json } } => {
            let options = mahnwerk::bench::ConsoleBenchOptions { cases, tenants, requests, concurrency };
            let figures = mahnwerk::bench::console(&config, &options).await?;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            if figures.failed > 0 {
                anyhow::bail!("{} requests of the load failed (see above)", figures.failed);
            }
            Ok(())
        }
        Command::Payments { which } => payments(&config, which).await,
        Command::Operators { which } => operators(&config, which).await,
        Command::ApiKeys { which } => api_keys(&config, which).await,
        Command::Debtors { which } => debtors(&config, which).await,
        Command::Cases { which: CasesCommand::Export { escalated: _, since, tenant, format, out } } => {
            use mahnwerk::handoff::{export_escalated, ExportFormat, ExportOptions};
            let tenant = tenant
                .map(|t| mahnwerk::domain::TenantId::parse(&t).map_err(|e| anyhow::anyhow!("--tenant: {e}")))
                .transpose()?;
            let format = ExportFormat::parse(&format).map_err(anyhow::Error::msg)?;
            let since = since.map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc());
            let options = ExportOptions { tenant, since, format, out_dir: out };
            let creditors = mahnwerk::deliver::Creditors {
                by_tenant: config.creditors.clone(),
                default_email: config.default_sender.clone(),
            };
            let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
            let mut stdout = std::io::stdout().lock();
            let summary = export_escalated(store.as_ref(), &creditors, &options, &mut stdout).await?;
            for file in &summary.files {
                eprintln!("wrote {}", file.display());
            }
            eprintln!("{} claim statements", summary.statements);
            Ok(())
        }
        Command::Catalogue { which: CatalogueCommand::Import { file, tenant } } => {
            let tenant =
                mahnwerk::domain::TenantId::parse(&tenant).map_err(|e| anyhow::anyhow!("--tenant: {e}"))?;
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
            let imported =
                mahnwerk::intake::catalogue::import(store.as_ref(), &tenant, &text, SystemClock.now())
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
            println!(
                "imported {} items for {} ({} active)",
                imported.items,
                tenant.as_str(),
                imported.active
            );
            Ok(())
        }
        Command::Bench { which: Bench::Import { entries, database_url, without_invoices, json } } => {
            let url = database_url.unwrap_or_else(|| config.database_url.clone());
            let store = mahnwerk::store::open(&url).await.context("opening the database")?;
            let dir = tempfile::tempdir().context("a temporary folder for the statements")?;
            let figures =
                mahnwerk::bench::import::import(store.as_ref(), &url, entries, !without_invoices, dir.path())
                    .await?;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            Ok(())
        }
        Command::Bench { which: Bench::BadInput { malformed, valid, json } } => {
            let options = mahnwerk::bench::BadInputOptions { malformed, valid, progress: !json };
            let figures = mahnwerk::bench::bad_input(&config, &options).await?;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            if !figures.holds() {
                anyhow::bail!("the bad-input benchmark's checks failed (see above)");
            }
            Ok(())
        }
        Command::Bench {
            which:
                Bench::Faults {
                    invoices,
                    kills_per_role,
                    rabbitmq_restarts,
                    postgres_restarts,
                    delivery_purges,
                    seed,
                    json,
                },
        } => {
            let faults = mahnwerk::bench::FaultCounts {
                kills_per_role,
                rabbitmq_restarts,
                postgres_restarts,
                delivery_purges,
            };
            let options = mahnwerk::bench::FaultOptions { invoices, faults, seed, progress: !json };
            let figures = mahnwerk::bench::faults(&options).await?;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            if !figures.holds() {
                anyhow::bail!("the fault benchmark's checks failed (see above)");
            }
            Ok(())
        }
        Command::Bench { which: Bench::Security { json } } => {
            let figures = mahnwerk::bench::security().await?;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            if !figures.holds() {
                anyhow::bail!("the security check failed (see above)");
            }
            Ok(())
        }
        Command::Bench { which: Bench::Pipeline { messages, rounds, outbox, json } } => {
            let options = mahnwerk::bench::PipelineOptions {
                messages,
                rounds,
                outbox: outbox.unwrap_or_else(std::env::temp_dir),
                progress: !json,
            };
            let figures = mahnwerk::bench::pipeline(&config, &options).await?;
            if json {
                println!("{}", serde_json::to_string(&figures)?);
            } else {
                println!("{figures}");
            }
            Ok(())
        }
    }
}

async fn operators(config: &Config, which: OperatorsCommand) -> anyhow::Result<()> {
    use mahnwerk::domain::{OperatorRole, TenantId};
    let OperatorsCommand::Add { tenant, email, role, super_admin } = which;
    let password = match std::env::var("MAHNWERK_OPERATOR_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
    let now = SystemClock.now();
    if super_admin {
        let id =
            mahnwerk::api::console::accounts::add_super_admin(store.as_ref(), &email, &password, now).await?;
        println!("super-admin {id} added");
        return Ok(());
    }
    let tenant = TenantId::parse(tenant.as_deref().unwrap_or_default()).context("--tenant")?;
    let role = OperatorRole::parse(role.as_deref().unwrap_or_default()).context("--role")?;
    let id =
        mahnwerk::api::console::accounts::add_operator(store.as_ref(), &tenant, &email, role, &password, now)
            .await?;
    println!("operator {id} added to {tenant} as {}", role.as_str());
    Ok(())
}

async fn api_keys(config: &Config, which: ApiKeysCommand) -> anyhow::Result<()> {
    use mahnwerk::api::console::accounts;
    use mahnwerk::domain::{KeyScope, TenantId};
    let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
    let now = SystemClock.now();
    match which {
        ApiKeysCommand::Create { tenant, scope } => {
            let tenant = TenantId::parse(&tenant).context("--tenant")?;
            let scope = KeyScope::parse(&scope).context("--scope")?;
            let (id, key) = accounts::create_api_key(store.as_ref(), &tenant, scope, now).await?;
            eprintln!("key {id} of {tenant} ({}); it is shown only now:", scope.as_str());
            println!("{key}");
        }
        ApiKeysCommand::Revoke { tenant, id } => {
            let tenant = TenantId::parse(&tenant).context("--tenant")?;
            if !accounts::revoke_api_key(store.as_ref(), &tenant, id, now).await? {
                anyhow::bail!("{tenant} has no key {id} that is not revoked already");
            }
            println!("key {id} of {tenant} revoked");
        }
    }
    Ok(())
}

async fn debtors(config: &Config, which: DebtorsCommand) -> anyhow::Result<()> {
    use mahnwerk::api::console::{auth::Access, privacy};
    use mahnwerk::domain::{DebtorId, KeyScope, OperatorRole, TenantId};
    let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
    let now = SystemClock.now();
    let (DebtorsCommand::Export { tenant, debtor } | DebtorsCommand::Erase { tenant, debtor }) = &which;
    let tenant = TenantId::parse(tenant).context("--tenant")?;
    let debtor = DebtorId::parse(debtor).context("--debtor")?;
    let answer = match which {
        DebtorsCommand::Export { .. } => {
            let export = privacy::export_debtor(store.as_ref(), &tenant, &debtor, now).await?;
            let export = export.with_context(|| format!("{tenant} has no debtor {debtor}"))?;
            serde_json::to_string_pretty(&export)?
        }
        DebtorsCommand::Erase { .. } => {
            let cli = Access {
                tenant: tenant.clone(),
                actor: "cli".into(),
                scope: KeyScope::Write,
                role: Some(OperatorRole::Admin),
                super_admin: false,
            };
            let entry = privacy::erase_and_record(store.as_ref(), &cli, &debtor, now)
                .await
                .with_context(|| format!("erasing {debtor} of {tenant}"))?;
            serde_json::to_string_pretty(&entry)?
        }
    };
    println!("{answer}");
    Ok(())
}

async fn payments(config: &Config, which: PaymentsCommand) -> anyhow::Result<()> {
    use mahnwerk::pay::import::{command, unmatched};
    let store = mahnwerk::store::open(&config.database_url).await.context("opening the database")?;
    match which {
        PaymentsCommand::Import { file, format, tenant, csv, json } => {
            let tenant = command::tenant(config, tenant.as_deref())?;
            let layout = csv.over(&config.payments.csv);
            let report = command::import_file(
                store.as_ref(),
                config,
                &file,
                format,
                tenant,
                &layout,
                SystemClock.now(),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{report}");
            }
            match report.failed {
                Some(why) => anyhow::bail!("{}: {why}", file.display()),
                None => Ok(()),
            }
        }
        PaymentsCommand::Unmatched { tenant, json } => {
            let tenant = command::tenant(config, tenant.as_deref())?;
            let lines = unmatched::unmatched(store.as_ref(), &tenant).await?;
            if json {
                println!("{}", serde_json::to_string(&lines)?);
            } else {
                print!("{}", unmatched::table(&lines));
            }
            Ok(())
        }
        PaymentsCommand::Assign { line, invoice, tenant } => {
            let tenant = command::tenant(config, tenant.as_deref())?;
            let invoice = mahnwerk::domain::InvoiceNumber::parse(&invoice)
                .map_err(|e| anyhow::anyhow!("--invoice '{invoice}': {e}"))?;
            let window = config.learn.attribution();
            let law = config.law_of(&tenant);
            let done =
                unmatched::assign(store.as_ref(), &tenant, line, &invoice, window, &law, SystemClock.now())
                    .await?;
            println!(
                "line {line} recorded as payment of {invoice}{}{}",
                if done.case_closed { "; the case is closed" } else { "" },
                if done.credit.is_zero() { String::new() } else { format!("; {} is credit", done.credit) }
            );
            Ok(())
        }
    }
}

fn policy_serve(stdio: bool, model: Option<PathBuf>, seed: u64) -> anyhow::Result<()> {
    use linfa::ParamGuard;
    use mahnwerk_models::bandit::{Bandit, BanditParams, Snapshot};
    anyhow::ensure!(stdio, "only --stdio is supported: `mahnwerk policy serve --stdio`");
    let bandit = match model {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let snapshot: Snapshot = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a model snapshot", path.display()))?;
            Bandit::from_snapshot(snapshot, seed)?
        }
        None => Bandit::new(BanditParams::default().check()?, seed),
    };
    let mut server = mahnwerk::learn::stdio::Server::new(bandit);
    let output = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    mahnwerk::learn::stdio::serve(&mut server, std::io::stdin(), output)?;
    Ok(())
}

async fn run(config: &Config, role: Role, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    if config.amqp_url.is_none() && !matches!(role, Role::All | Role::Api) {
        anyhow::bail!(
            "--role {role:?} needs RabbitMQ (MAHNWERK_AMQP_URL): with the in-process queue all roles must run \
             in one process (--role all)"
        );
    }
    tracing::info!(config = %config.describe().replace('\n', "; "), ?role, "starting");
    mahnwerk::observe::install_recorder();
    // The api role talks to no broker; the recommender's hooks write events to the database.
    let uses_broker = !matches!(role, Role::Api | Role::Recommender);
    let health = mahnwerk::observe::Health::new(
        format!("{role:?}").to_lowercase(),
        uses_broker && config.amqp_url.is_some(),
        matches!(role, Role::Learner),
    );
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    // Bound before connecting to anything: a role that waits for its database or broker says so.
    let mut observer = match config.observe.listen {
        Some(listen) => {
            let server = mahnwerk::observe::ObserveServer::bind(listen, health.clone()).await?;
            tokio::spawn(server.run(shutdown.clone()))
        }
        None => tokio::spawn(std::future::pending::<anyhow::Result<()>>()),
    };
    for notice in config.base_rate_notices(clock.now().date_naive()) {
        tracing::warn!("{notice}");
    }
    let service = Service::start_observed(config, clock, uses_broker, &health).await?;
    if matches!(role, Role::All | Role::Api) {
        service.bind_api().await?;
    }
    // Listening before any role starts: a SIGTERM from then on is a graceful stop.
    let stop = termination();
    let mut tasks = service.spawn(role, &shutdown);
    // A role that ends by itself is a failure, whatever it returned: roles end only on shutdown.
    // The process then exits non-zero naming it, so that a supervisor restarts it.
    let mut died: Option<String> = None;
    tokio::select! {
        signal = stop => tracing::info!(signal, "shutting down"),
        ended = &mut observer => {
            let why = match ended {
                Ok(Ok(())) => "ended unexpectedly".to_owned(),
                Ok(Err(error)) => format!("failed: {error:#}"),
                Err(error) => format!("panicked: {error}"),
            };
            tracing::error!(%why, "the health and metrics listener stopped; shutting down");
            died = Some(format!("the health and metrics listener {why}"));
        }
        Some(ended) = tasks.join_next() => {
            let (name, result) = match ended {
                Ok((name, result)) => (name, result.map_err(|e| format!("{e:#}"))),
                Err(error) => ("a role".to_owned(), Err(format!("panicked: {error}"))),
            };
            tracing::error!(role = %name, ?result, "a role ended unexpectedly; shutting down");
            died = Some(match result {
                Ok(()) => format!("the {name} role ended unexpectedly"),
                Err(error) => format!("the {name} role failed: {error}"),
            });
        }
    }
    trigger.trigger();
    while let Some(ended) = tasks.join_next().await {
        match ended {
            Ok((name, Ok(()))) => tracing::info!(role = %name, "stopped"),
            Ok((name, Err(error))) => {
                tracing::error!(role = %name, error = format!("{error:#}"), "stopped with an error")
            }
            Err(error) => tracing::error!(%error, "a role panicked"),
        }
    }
    match died {
        Some(why) => anyhow::bail!(why),
        None => Ok(()),
    }
}

/// Listens for SIGTERM (docker, systemd, Kubernetes) from the moment it is called, and resolves
/// on it or on SIGINT (Ctrl-C), naming the signal.
fn termination() -> impl std::future::Future<Output = &'static str> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        #[cfg(unix)]
        match terminate {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => return "SIGTERM",
                _ = tokio::signal::ctrl_c() => return "SIGINT",
            },
            Err(error) => tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the service"),
        }
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
