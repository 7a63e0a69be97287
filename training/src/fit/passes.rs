//! The decision log as `fit` reads it: a stream of decisions, each with the weight it counts with,
//! read again for every pass (the warm start's Newton steps, then the bandit's updates), so that
//! memory stays flat however long the log is.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context};
use mahnwerk_models::bandit::LoggedDecision;

/// A log file and, with importance weights, the weight of each of its decisions with an outcome
/// in the order they appear (see [`importance`](super::importance)).
pub struct LogPasses<'a> {
    pub path: &'a Path,
    /// The file as errors name it.
    pub name: String,
    pub weights: Option<&'a [f64]>,
}

/// What one pass read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub decisions: usize,
    pub with_outcome: usize,
    pub paid: usize,
}

impl LogPasses<'_> {
    /// Reads the log once, calling `visit` with each decision's line number, the decision and its
    /// weight (1 without importance weights, and for a pending decision). A line that does not
    /// parse stops the pass with the file, the line number and the reason; so does a file that
    /// no longer matches its weights.
    pub fn pass(
        &self,
        mut visit: impl FnMut(usize, &LoggedDecision, f64) -> anyhow::Result<()>,
    ) -> anyhow::Result<Counts> {
        let name = &self.name;
        let file = std::fs::File::open(self.path).with_context(|| format!("reading {name}"))?;
        let mut counts = Counts::default();
        for (index, line) in BufReader::new(file).lines().enumerate() {
            let number = index + 1;
            let line = line.with_context(|| format!("reading {name} line {number}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let decision: LoggedDecision = serde_json::from_str(&line)
                .with_context(|| format!("{name} line {number}: not a logged decision"))?;
            counts.decisions += 1;
            // The weight of the decisions with an outcome, in the order the first read found them.
            let weight = match (self.weights, decision.reward) {
                (Some(weights), Some(_)) => *weights
                    .get(counts.with_outcome)
                    .with_context(|| format!("{name} changed while it was read (line {number})"))?,
                _ => 1.0,
            };
            counts.with_outcome += usize::from(decision.reward.is_some());
            counts.paid += usize::from(decision.reward.is_some_and(|r| r > 0.0));
            visit(number, &decision, weight)?;
        }
        if self.weights.is_some_and(|w| w.len() != counts.with_outcome) {
            bail!("{name} changed while it was read");
        }
        Ok(counts)
    }
}
