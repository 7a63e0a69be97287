//! `mahnwerk-train fit`: read a decision log, learn from every decision with an outcome, write
//! the model snapshot.

use anyhow::{bail, Context};
use linfa::ParamGuard;
use mahnwerk_models::bandit::{fit_prior, Bandit, BanditParams, LoggedDecision};
use std::fmt;
use std::path::Path;

/// What a fit did.
#[derive(Debug)]
pub struct FitSummary {
    pub decisions: usize,
    pub with_outcome: usize,
    pub paid: usize,
    pub warm_start: bool,
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
        )
    }
}

/// Reads the log at `log`, fits, and writes the snapshot to `out`. A line that does not parse
/// or is out of range stops the fit with its line number and the reason; nothing is written.
pub fn fit(log: &Path, out: &Path, warm_start: bool, seed: u64) -> anyhow::Result<FitSummary> {
    let text = std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    let mut decisions = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let decision: LoggedDecision = serde_json::from_str(line)
            .with_context(|| format!("{} line {}: not a logged decision", log.display(), index + 1))?;
        decisions.push((index + 1, decision));
    }
    if decisions.is_empty() {
        bail!("{} holds no decisions", log.display());
    }
    let params = BanditParams::default().check()?;
    let logged: Vec<LoggedDecision> = decisions.iter().map(|(_, d)| d.clone()).collect();
    let mut bandit = if warm_start {
        let prior = fit_prior(&logged, &params).context("fitting the warm start")?;
        Bandit::with_prior(params, &prior, seed)?
    } else {
        Bandit::new(params, seed)
    };
    for (line, decision) in &decisions {
        bandit.observe(decision).with_context(|| format!("{} line {line}", log.display()))?;
    }
    let with_outcome = logged.iter().filter(|d| d.reward.is_some()).count();
    let paid = logged.iter().filter(|d| d.reward.is_some_and(|r| r > 0.0)).count();
    let snapshot = serde_json::to_string(&bandit.snapshot())?;
    std::fs::write(out, snapshot).with_context(|| format!("writing {}", out.display()))?;
    Ok(FitSummary {
        decisions: decisions.len(),
        with_outcome,
        paid,
        warm_start,
        out: out.display().to_string(),
    })
}
