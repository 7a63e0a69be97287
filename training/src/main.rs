//! `mahnwerk-train`: the analysts' CLI. `fit` turns a decision log (the JSON-lines exchange
//! format of docs/decision-log.md) into a model snapshot that `mahnwerk policy serve --model` and, later,
//! the schedulers load. `bench-policies` runs the learner against baselines and the oracle on the
//! simulator. `simulate` writes a decision log on the simulator; `evaluate` and `compare`
//! estimate off-policy what a model would have earned on a log (docs/analysts.md). Reports and
//! publishing come with the rest of the policy work.

mod bench;
mod candidate;
mod compare;
mod evaluate;
mod fit;
mod log;
mod ope;
mod simulate;

#[cfg(test)]
mod ope_checks;

use clap::{Parser, Subcommand};

// The service's allocator (see the workspace Cargo.toml); `evaluate` allocates on every thread.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;

/// Fit, evaluate, report on and publish mahnwerk's channel models.
#[derive(Parser)]
#[command(name = "mahnwerk-train", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Learn a model from a decision log and write its snapshot.
    Fit {
        /// Decision log: one decision per line with `channel`, `hour`, `context`, `reward`
        /// (number, or null while pending) and optionally `debtor`.
        #[arg(long)]
        log: PathBuf,
        /// Where to write the snapshot (JSON).
        #[arg(long, default_value = "model.json")]
        out: PathBuf,
        /// Start from a logistic regression fitted to the whole log (linfa) before the updates.
        #[arg(long)]
        warm_start: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run uniform, fixed, epsilon-greedy, LinUCB, the mahnwerk learner and the oracle on the
    /// simulator; print a table per seed and the mean, write learning-curve plots (SVG).
    BenchPolicies {
        /// Simulator seeds, comma-separated; each is a new population and script.
        #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
        seeds: Vec<u64>,
        /// Reminders per seed.
        #[arg(long, default_value_t = 20_000)]
        rounds: usize,
        /// Debtors in the population (1 to 999999); default: the world's own (1000 in `default`).
        #[arg(long)]
        debtors: Option<usize>,
        /// Which simulated world: a name from `mahnwerk_models::sim::World` (default,
        /// sharp-hours, flat-hours, dead-channel, drift, few-large, many-small, b2b-heavy,
        /// b2c-heavy), several comma-separated, or `all`.
        #[arg(long, value_delimiter = ',', default_value = "default")]
        world: Vec<String>,
        /// Directory for the plots.
        #[arg(long, default_value = "target/bench-policies")]
        out: PathBuf,
    },
    /// Write a decision log of a logging policy on the simulator, rewards drawn from its ground
    /// truth (docs/analysts.md).
    Simulate {
        /// Where to write the log (JSON lines).
        #[arg(long)]
        out: PathBuf,
        /// uniform (every allowed arm alike), fixed (the fixed schedule, propensity 1) or
        /// adaptive (the repository's learner, logging its own propensities).
        #[arg(long, default_value = "uniform")]
        policy: simulate::logging::LoggingPolicy,
        /// Seed of the reminders, the policy's draws and the rewards.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Seed of the debtors: logs with the same one are about the same people.
        #[arg(long, default_value_t = 1)]
        debtors_seed: u64,
        #[arg(long, default_value_t = 10_000)]
        decisions: usize,
        /// A world of `mahnwerk_models::sim::World` (see bench-policies).
        #[arg(long, default_value = "default")]
        world: String,
    },
    /// Estimate a candidate model's payment rate on a decision log, off-policy (IPS,
    /// self-normalised IPS, doubly robust, with 95 % bootstrap intervals).
    Evaluate {
        /// Decision log (docs/decision-log.md): lines need `propensity`, `channels` and `hours`.
        #[arg(long)]
        log: PathBuf,
        /// A snapshot written by `fit`.
        #[arg(long)]
        model: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Skip lines that cannot be used (and count them) instead of stopping at the first.
        #[arg(long)]
        skip_bad: bool,
        /// Bootstrap replicates for the intervals.
        #[arg(long, default_value_t = 500)]
        bootstrap: usize,
        /// Seed of the bootstrap and of the Thompson draws.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// greedy (the model's best arm) or thompson (its sampling, estimated from --draws).
        #[arg(long, default_value = "greedy")]
        target: String,
        /// Posterior samples per decision for --target thompson.
        #[arg(long, default_value_t = 64)]
        draws: u32,
        /// Share of the candidate's choices allowed on arms the log never took.
        #[arg(long, default_value_t = 0.01)]
        max_unexplored: f64,
        /// Smallest effective sample size an estimate may rest on.
        #[arg(long, default_value_t = 50.0)]
        min_ess: f64,
    },
    /// Compare two models on a decision log: the difference of their payment rates with a paired
    /// bootstrap interval, a verdict, and a breakdown per segment and channel.
    Compare {
        /// Decision log, as for evaluate.
        #[arg(long)]
        log: PathBuf,
        /// The model that might replace the live one.
        #[arg(long)]
        candidate: PathBuf,
        /// The model in use.
        #[arg(long)]
        live: PathBuf,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        skip_bad: bool,
        #[arg(long, default_value_t = 500)]
        bootstrap: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "greedy")]
        target: String,
        #[arg(long, default_value_t = 64)]
        draws: u32,
        #[arg(long, default_value_t = 0.01)]
        max_unexplored: f64,
        #[arg(long, default_value_t = 50.0)]
        min_ess: f64,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Fit { log, out, warm_start, seed } => {
            let summary = fit::fit(&log, &out, warm_start, seed)?;
            println!("{summary}");
            Ok(())
        }
        Command::BenchPolicies { seeds, rounds, debtors, world, out } => {
            let worlds = worlds(&world)?;
            bench::bench(&bench::BenchArgs { seeds, rounds, debtors, worlds, out })
        }
        Command::Simulate { out, policy, seed, debtors_seed, decisions, world } => {
            let world = worlds(&[world])?.remove(0);
            let args = simulate::SimulateArgs { policy, seed, debtors_seed, decisions, world };
            println!("{}", simulate::simulate(&args, &out)?);
            Ok(())
        }
        Command::Evaluate {
            log,
            model,
            json,
            skip_bad,
            bootstrap,
            seed,
            target,
            draws,
            max_unexplored,
            min_ess,
        } => {
            let limits = ope::support::Limits { max_unexplored, min_ess };
            let target = candidate::TargetKind::parse(&target, draws)?;
            let args = evaluate::EvaluateArgs { log, model, json, skip_bad, bootstrap, seed, target, limits };
            println!("{}", evaluate::evaluate(&args)?);
            Ok(())
        }
        Command::Compare {
            log,
            candidate,
            live,
            json,
            skip_bad,
            bootstrap,
            seed,
            target,
            draws,
            max_unexplored,
            min_ess,
        } => {
            let limits = ope::support::Limits { max_unexplored, min_ess };
            let target = candidate::TargetKind::parse(&target, draws)?;
            let args = compare::CompareArgs {
                log,
                candidate,
                live,
                json,
                skip_bad,
                bootstrap,
                seed,
                target,
                limits,
            };
            println!("{}", compare::compare(&args)?);
            Ok(())
        }
    }
}

/// The worlds named on the command line, `all` for every one.
fn worlds(names: &[String]) -> anyhow::Result<Vec<mahnwerk_models::sim::World>> {
    use mahnwerk_models::sim::World;
    if names.iter().any(|n| n == "all") {
        return Ok(World::all());
    }
    names
        .iter()
        .map(|n| {
            World::named(n).ok_or_else(|| {
                anyhow::anyhow!(
                    "--world: unknown world {n:?}, expected all or one of {}",
                    World::names().join(", ")
                )
            })
        })
        .collect()
}
