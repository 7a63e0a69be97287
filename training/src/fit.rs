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
/// Without a warm start the log is read as a stream, one decision at a time, so memory stays flat
/// however long it is; the warm start's regression needs every decision at once.
pub fn fit(log: &Path, out: &Path, warm_start: bool, seed: u64) -> anyhow::Result<FitSummary> {
    let name = log.display().to_string();
    let file = std::fs::File::open(log).with_context(|| format!("reading {name}"))?;
    let params = BanditParams::default().check()?;
    let (mut decisions, mut with_outcome, mut paid) = (0, 0, 0);
    let mut streaming = (!warm_start).then(|| Bandit::new(params.clone(), seed));
    // With a warm start: every decision, and the line each came from (for errors).
    let (mut kept, mut kept_lines): (Vec<LoggedDecision>, Vec<usize>) = (Vec::new(), Vec::new());
    for (index, line) in std::io::BufRead::lines(std::io::BufReader::new(file)).enumerate() {
        let line = line.with_context(|| format!("reading {name} line {}", index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let decision: LoggedDecision = serde_json::from_str(&line)
            .with_context(|| format!("{name} line {}: not a logged decision", index + 1))?;
        decisions += 1;
        with_outcome += usize::from(decision.reward.is_some());
        paid += usize::from(decision.reward.is_some_and(|r| r > 0.0));
        match &mut streaming {
            Some(bandit) => {
                bandit.observe(&decision).with_context(|| format!("{name} line {}", index + 1))?
            }
            None => {
                kept.push(decision);
                kept_lines.push(index + 1);
            }
        }
    }
    if decisions == 0 {
        bail!("{name} holds no decisions");
    }
    let bandit = match streaming {
        Some(bandit) => bandit,
        None => {
            let prior = fit_prior(&kept, &params).context("fitting the warm start")?;
            let mut bandit = Bandit::with_prior(params, &prior, seed)?;
            for (line, decision) in kept_lines.iter().zip(&kept) {
                bandit.observe(decision).with_context(|| format!("{name} line {line}"))?;
            }
            bandit
        }
    };
    let snapshot = serde_json::to_string(&bandit.snapshot())?;
    std::fs::write(out, snapshot).with_context(|| format!("writing {}", out.display()))?;
    Ok(FitSummary { decisions, with_outcome, paid, warm_start, out: out.display().to_string() })
}
