//! `mahnwerk-train`: the analysts' CLI. Fitting, evaluation and publishing arrive with the policy work.
use clap::Parser;

/// Fit, evaluate, report on and publish mahnwerk's channel models.
#[derive(Parser)]
#[command(name = "mahnwerk-train", version, about)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    println!("mahnwerk-train: no commands yet; the channel models arrive with the adaptive policy work.");
    Ok(())
}
