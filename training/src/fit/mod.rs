//! `mahnwerk-train fit`: read a decision log, learn from every decision with an outcome, write
//! the model snapshot; with `--importance-weights`, each decision counting by its clipped,
//! self-normalised inverse propensity (see [`importance`]).
//!
//! # Layout
//! `importance` (the weights: the log's propensities, clipped and normalised) · `checks` (the
//! weighted fit held against the simulator's truth; tests only).

#[cfg(test)]
mod checks;
pub mod importance;

use anyhow::{bail, Context};
use linfa::ParamGuard;
use mahnwerk_models::bandit::{fit_prior, Bandit, BanditParams, LoggedDecision};
use std::fmt;
use std::io::BufReader;
use std::path::PathBuf;

use importance::{ImportanceWeights, DEFAULT_CLIP};

/// `mahnwerk-train fit`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct FitArgs {
    /// Decision log: one decision per line with `channel`, `hour`, `context`, `reward`
    /// (number, or null while pending) and optionally `debtor`; with --importance-weights also
    /// `propensity`.
    #[arg(long)]
    pub log: PathBuf,
    /// Where to write the snapshot (JSON).
    #[arg(long, default_value = "model.json")]
    pub out: PathBuf,
    /// Start from a logistic regression fitted to the whole log (linfa) before the updates.
    #[arg(long)]
    pub warm_start: bool,
    /// Weight each decision by its inverse logged propensity, clipped at --clip and normalised
    /// to mean 1, so that a log of an exploring or another policy does not bias the model
    /// towards the arms that policy chose often (docs/analysts.md).
    #[arg(long)]
    pub importance_weights: bool,
    /// With --importance-weights: the most one decision may count, in average decisions
    /// (default 10; at least 1, where every decision counts once).
    #[arg(long)]
    pub clip: Option<f64>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What a fit did.
#[derive(Debug)]
pub struct FitSummary {
    pub decisions: usize,
    pub with_outcome: usize,
    pub paid: usize,
    pub warm_start: bool,
    pub importance: Option<ImportanceWeights>,
    pub out: String,
}

impl fmt::Display for FitSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} decisions, learned from {} with an outcome ({} paid, {} pending skipped){}; snapshot written to {}",
            self.decisions,
            self.with_outcome,
            self.paid,
            self.decisions - self.with_outcome,
            if self.warm_start { ", warm-started from a logistic regression" } else { "" },
            self.out
        )?;
        if let Some(importance) = &self.importance {
            write!(f, "\n{importance}")?;
        }
        Ok(())
    }
}

/// Reads the log at `args.log`, fits, and writes the snapshot to `args.out`. A line that does
/// not parse or is out of range stops the fit with its line number and the reason; nothing is
/// written. Without a warm start the log is read as a stream, one decision at a time, so memory
/// stays flat however long it is (importance weights read it twice: the propensities first, to
/// normalise the weights, then the decisions; they keep one number per decision); the warm
/// start's regression needs every decision at once.
pub fn fit(args: &FitArgs) -> anyhow::Result<FitSummary> {
    let (log, out) = (args.log.as_path(), args.out.as_path());
    let name = log.display().to_string();
    let open = || std::fs::File::open(log).with_context(|| format!("reading {name}"));
    let importance = match (args.importance_weights, args.clip) {
        (false, Some(_)) => bail!("--clip: only with --importance-weights"),
        (false, None) => None,
        (true, _) if args.warm_start => bail!(
            "--warm-start with --importance-weights: the warm start's regression (linfa-logistic) takes no \
             sample weights, so its prior would carry the logging policy's bias; use one or the other"
        ),
        (true, clip) => {
            let clip = importance::check_clip(clip.unwrap_or(DEFAULT_CLIP))?;
            let propensities = importance::read_propensities(BufReader::new(open()?), &name)?;
            if propensities.is_empty() {
                bail!("{name} holds no decision with an outcome");
            }
            Some(importance::weights(&propensities, clip)?)
        }
    };
    let weights = importance.as_ref().map(|i| i.weights.as_slice());

    let params = BanditParams::default().check()?;
    let (mut decisions, mut with_outcome, mut paid) = (0, 0, 0);
    let mut streaming = (!args.warm_start).then(|| Bandit::new(params.clone(), args.seed));
    // With a warm start: every decision, and the line each came from (for errors).
    let (mut kept, mut kept_lines): (Vec<LoggedDecision>, Vec<usize>) = (Vec::new(), Vec::new());
    for (index, line) in std::io::BufRead::lines(BufReader::new(open()?)).enumerate() {
        let line = line.with_context(|| format!("reading {name} line {}", index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let decision: LoggedDecision = serde_json::from_str(&line)
            .with_context(|| format!("{name} line {}: not a logged decision", index + 1))?;
        decisions += 1;
        // The weight of the decisions with an outcome, in the order the first read found them.
        let weight = match (weights, decision.reward) {
            (Some(weights), Some(_)) => *weights
                .get(with_outcome)
                .with_context(|| format!("{name} changed while it was read (line {})", index + 1))?,
            _ => 1.0,
        };
        with_outcome += usize::from(decision.reward.is_some());
        paid += usize::from(decision.reward.is_some_and(|r| r > 0.0));
        match &mut streaming {
            Some(bandit) => bandit
                .observe_weighted(&decision, weight)
                .with_context(|| format!("{name} line {}", index + 1))?,
            None => {
                kept.push(decision);
                kept_lines.push(index + 1);
            }
        }
    }
    if decisions == 0 {
        bail!("{name} holds no decisions");
    }
    if weights.is_some_and(|w| w.len() != with_outcome) {
        bail!("{name} changed while it was read");
    }
    let bandit = match streaming {
        Some(bandit) => bandit,
        None => {
            let prior = fit_prior(&kept, &params).context("fitting the warm start")?;
            let mut bandit = Bandit::with_prior(params, &prior, args.seed)?;
            for (line, decision) in kept_lines.iter().zip(&kept) {
                bandit.observe(decision).with_context(|| format!("{name} line {line}"))?;
            }
            bandit
        }
    };
    let snapshot = serde_json::to_string(&bandit.snapshot())?;
    std::fs::write(out, snapshot).with_context(|| format!("writing {}", out.display()))?;
    Ok(FitSummary {
        decisions,
        with_outcome,
        paid,
        warm_start: args.warm_start,
        importance,
        out: out.display().to_string(),
    })
}
