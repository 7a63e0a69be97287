//! `mahnwerk-train fit`: read a decision log, learn from every decision with an outcome, write
//! the model snapshot; with `--importance-weights`, each decision counting by its clipped,
//! self-normalised inverse propensity (see [`importance`]), in the warm start's regression as in
//! the bandit's updates.
//!
//! # Layout
//! `importance` (the weights: the log's propensities, clipped and normalised) · `passes` (the
//! log read as a stream of weighted decisions, once per pass) · `checks` and `warm_start_checks`
//! (the weighted fit, without and with a warm start, held against the simulator's truth; tests
//! only).

#[cfg(test)]
mod checks;
pub mod importance;
mod passes;
#[cfg(test)]
mod warm_start_checks;

use anyhow::{bail, Context};
use linfa::ParamGuard;
use mahnwerk_models::bandit::{fit_prior_weighted, Bandit, BanditParams, Visit};
use std::fmt;
use std::io::BufReader;
use std::path::PathBuf;

use importance::{ImportanceWeights, DEFAULT_CLIP};
use passes::LogPasses;

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
    /// Start from a logistic regression fitted to the whole log before the updates (L2-penalised
    /// like the bandit's prior, by Newton's method over passes of the log; with
    /// --importance-weights each decision counts by its weight there too).
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
    /// With a warm start: the weights its regression set and the Newton steps it took.
    pub warm_start: Option<(usize, usize)>,
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
            match (self.warm_start, &self.importance) {
                (None, _) => String::new(),
                (Some((weights, steps)), None) => format!(
                    ", warm-started from a logistic regression ({weights} weights, {steps} Newton steps)"
                ),
                (Some((weights, steps)), Some(_)) => format!(
                    ", warm-started from an importance-weighted logistic regression ({weights} weights, {steps} Newton steps)"
                ),
            },
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
/// written. The log is read as a stream, one decision at a time, so memory stays flat however
/// long it is: importance weights read it once more first (the propensities, to normalise the
/// weights; one number per decision is kept), and the warm start once more (its Newton steps walk
/// the log's distinct rows, or read the log again each when it holds very many; see
/// [`fit_prior_weighted`]).
pub fn fit(args: &FitArgs) -> anyhow::Result<FitSummary> {
    let (log, out) = (args.log.as_path(), args.out.as_path());
    let name = log.display().to_string();
    let importance = match (args.importance_weights, args.clip) {
        (false, Some(_)) => bail!("--clip: only with --importance-weights"),
        (false, None) => None,
        (true, clip) => {
            let clip = importance::check_clip(clip.unwrap_or(DEFAULT_CLIP))?;
            let file = std::fs::File::open(log).with_context(|| format!("reading {name}"))?;
            let propensities = importance::read_propensities(BufReader::new(file), &name)?;
            if propensities.is_empty() {
                bail!("{name} holds no decision with an outcome");
            }
            Some(importance::weights(&propensities, clip)?)
        }
    };
    let passes = LogPasses {
        path: log,
        name: name.clone(),
        weights: importance.as_ref().map(|i| i.weights.as_slice()),
    };

    let params = BanditParams::default().check()?;
    let warm_start = match args.warm_start {
        false => None,
        true => Some(
            fit_prior_weighted(&params, |visit: &mut Visit<'_>| {
                passes
                    .pass(|line, decision, weight| {
                        visit(decision, weight).with_context(|| format!("{name} line {line}"))
                    })
                    .map(drop)
            })
            .context("fitting the warm start")?,
        ),
    };
    let mut bandit = match &warm_start {
        Some(fitted) => Bandit::with_prior(params, &fitted.prior, args.seed)?,
        None => Bandit::new(params, args.seed),
    };
    let counts = passes.pass(|line, decision, weight| {
        bandit.observe_weighted(decision, weight).with_context(|| format!("{name} line {line}"))
    })?;
    if counts.decisions == 0 {
        bail!("{name} holds no decisions");
    }
    let snapshot = serde_json::to_string(&bandit.snapshot())?;
    std::fs::write(out, snapshot).with_context(|| format!("writing {}", out.display()))?;
    Ok(FitSummary {
        decisions: counts.decisions,
        with_outcome: counts.with_outcome,
        paid: counts.paid,
        warm_start: warm_start.map(|w| (w.prior.len(), w.newton_steps)),
        importance,
        out: out.display().to_string(),
    })
}
