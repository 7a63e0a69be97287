//! `mahnwerk-train`: the analysts' CLI. `fit` turns a decision log (the JSON-lines exchange
//! format of DESIGN.md) into a model snapshot that `mahnwerk policy serve --model` and, later,
//! the schedulers load. Evaluation, reports and publishing come with the rest of the policy work.

mod fit;

use clap::{Parser, Subcommand};
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
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Fit { log, out, warm_start, seed } => {
            let summary = fit::fit(&log, &out, warm_start, seed)?;
            println!("{summary}");
            Ok(())
        }
    }
}
