//! `mahnwerk-train`: the analysts' CLI. `fit` turns a decision log (the JSON-lines exchange
//! format of docs/decision-log.md) into a model snapshot that `mahnwerk policy serve --model` and, later,
//! the schedulers load. `bench-policies` runs the learner against baselines and the oracle on the
//! simulator. `simulate` writes a decision log on the simulator; `evaluate` and `compare`
//! estimate off-policy what a model would have earned on a log (docs/analysts.md). `export`
//! writes a decision log out of the service's database; `publish`, `versions` and `rollback`
//! put a model in front of the running schedulers and take it back; `report` draws a log's
//! plots and an HTML page. `bench-recommend` evaluates the post-payment recommender offline
//! (docs/recommendations.md); `recommend-report` reports its click-through and conversion per
//! model version from the service's database. `bench-workflow` times export, fit and evaluate on
//! a million logged decisions.

mod bench;
mod candidate;
mod compare;
mod db;
mod evaluate;
mod export;
mod fit;
mod log;
mod ope;
mod publish;
mod recommend_eval;
mod recommend_report;
mod report;
mod simulate;
mod workflow_bench;

#[cfg(test)]
mod ope_checks;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

// The service's allocator (see the workspace Cargo.toml); `evaluate` allocates on every thread.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    Fit(fit::FitArgs),
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
    /// The post-payment product recommender against global and segment popularity on simulated
    /// catalogue worlds (time split, hit rate@3 and NDCG@3), with the fit's time and memory.
    BenchRecommend(recommend_eval::Args),
    /// Write a decision log of a logging policy on the simulator, rewards drawn from its ground
    /// truth (docs/analysts.md).
    Simulate(simulate::SimulateCommand),
    /// Estimate a candidate model's payment rate on a decision log, off-policy (IPS,
    /// self-normalised IPS, doubly robust, with 95 % bootstrap intervals).
    Evaluate(evaluate::EvaluateArgs),
    /// Compare two models on a decision log: the difference of their payment rates with a paired
    /// bootstrap interval, a verdict, and a breakdown per segment and channel.
    Compare(compare::CompareArgs),
    /// Write every sent reminder's decision and outcome from the service's database as a
    /// decision log (.jsonl), CSV or Parquet.
    Export(export::ExportArgs),
    /// Time export, fit and evaluate on a million logged decisions in a scratch PostgreSQL
    /// database, each with its peak memory, beside psql and a pandas script doing the same.
    BenchWorkflow(workflow_bench::WorkflowBenchArgs),
    /// Publish a model: the running schedulers load it without a restart and the learner
    /// continues from it.
    Publish(publish::PublishArgs),
    /// List the published versions: who, when, why, whether an evaluation justified it.
    Versions(publish::VersionsArgs),
    /// Publish an earlier published model again (default: the one before the newest).
    Rollback(publish::RollbackArgs),
    /// Draw a decision log's plots (SVG) and an HTML page with the numbers behind them.
    Report(report::ReportArgs),
    /// Click-through and conversion of the post-payment recommendations per tenant and model
    /// version, from the service's database.
    RecommendReport(recommend_report::RecommendReportArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Fit(args) => {
            let summary = fit::fit(&args)?;
            println!("{summary}");
            Ok(())
        }
        Command::BenchPolicies { seeds, rounds, debtors, world, out } => {
            let worlds = worlds(&world)?;
            bench::bench(&bench::BenchArgs { seeds, rounds, debtors, worlds, out })
        }
        Command::BenchRecommend(args) => recommend_eval::bench(&args),
        Command::Simulate(args) => {
            println!("{}", simulate::run(&args)?);
            Ok(())
        }
        Command::Evaluate(args) => {
            println!("{}", evaluate::evaluate(&args)?);
            Ok(())
        }
        Command::Compare(args) => {
            println!("{}", compare::compare(&args)?);
            Ok(())
        }
        Command::Export(args) => {
            eprintln!("{}", export::run(&args)?);
            Ok(())
        }
        Command::BenchWorkflow(args) => {
            println!("{}", workflow_bench::run(&args)?);
            Ok(())
        }
        Command::Publish(args) => {
            println!("{}", publish::publish(&args)?);
            Ok(())
        }
        Command::Versions(args) => {
            print!("{}", publish::versions(&args)?);
            Ok(())
        }
        Command::Rollback(args) => {
            println!("{}", publish::rollback(&args)?);
            Ok(())
        }
        Command::Report(args) => {
            println!("{}", report::run(&args)?);
            Ok(())
        }
        Command::RecommendReport(args) => {
            print!("{}", recommend_report::run(&args)?);
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
