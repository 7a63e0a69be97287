//! A candidate policy read from a model snapshot (`mahnwerk-train fit`), and what it would do on
//! a logged decision: its probability of each allowed arm, the target policy of off-policy
//! evaluation.
//!
//! # Greedy or Thompson
//! The service runs a snapshot as Thompson sampling, whose probability of an arm has no closed
//! form. Two target policies are offered:
//! - `greedy` (the default): the arm with the highest posterior mean probability of payment,
//!   with probability 1. Deterministic and exact, cheap on a million decisions, and what the
//!   model believes; it is the policy Thompson sampling converges to as the posterior narrows,
//!   so it answers "has this model learned the right arms?". It ignores the exploration the
//!   service adds (the `epsilon` floor, the sampled spread), which costs a little in payments.
//! - `thompson`: the model's own sampling, its probabilities estimated from `draws` posterior
//!   samples per decision ([`Bandit::probabilities`], seeded, so the same seed gives the same
//!   answer). The estimate is unbiased for the probability and independent of the rewards, so
//!   the off-policy estimates stay unbiased; the noise only widens the interval. Slower (each
//!   draw samples every arm) and it puts its `epsilon` floor on every allowed arm, so it needs
//!   a log that tried every arm.
//!
//! Either way the model is asked as the service's scheduler asks it with `[learn] lambda = 0`
//! (payments only; the service's default is cost-aware since 2026-12-07): the line's context and debtor, the allowed channels and
//! hours, no channel costs, the open amount as the payment's weight.

use std::fmt;
use std::path::Path;

use anyhow::Context as _;
use mahnwerk_models::bandit::{Bandit, Request, Snapshot};

use crate::log::LogLine;

/// Which target policy a snapshot stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Greedy,
    Thompson { draws: u32 },
}

impl TargetKind {
    /// Parses `greedy` or `thompson` (the latter with `draws` samples per decision).
    pub fn parse(name: &str, draws: u32) -> anyhow::Result<TargetKind> {
        match name {
            "greedy" => Ok(TargetKind::Greedy),
            "thompson" => {
                anyhow::ensure!((1..=4096).contains(&draws), "--draws: must be in 1..=4096, got {draws}");
                Ok(TargetKind::Thompson { draws })
            }
            other => anyhow::bail!("--target: unknown target {other:?}, expected greedy or thompson"),
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetKind::Greedy => f.write_str("greedy"),
            TargetKind::Thompson { draws } => write!(f, "thompson ({draws} draws per decision)"),
        }
    }
}

/// A loaded snapshot and the target policy it stands for.
#[derive(Clone)]
pub struct Candidate {
    bandit: Bandit,
    kind: TargetKind,
    seed: u64,
}

impl Candidate {
    /// Reads the snapshot at `path`; `seed` drives the Thompson draws.
    pub fn load(path: &Path, kind: TargetKind, seed: u64) -> anyhow::Result<Candidate> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let snapshot: Snapshot = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a model snapshot of `mahnwerk-train fit`", path.display()))?;
        let bandit = Bandit::from_snapshot(snapshot, seed)
            .with_context(|| format!("{}: the snapshot was refused", path.display()))?;
        Ok(Candidate { bandit, kind, seed })
    }

    #[cfg(test)]
    pub fn from_bandit(bandit: Bandit, kind: TargetKind) -> Candidate {
        Candidate { bandit, kind, seed: 0 }
    }

    /// Restarts the Thompson draws on stream `batch` of the seed, so that the answers on a
    /// batch of lines do not depend on which thread, or after which batch, it is asked.
    pub fn reseed(&mut self, batch: u64) {
        self.bandit.reseed(self.seed ^ (batch + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }

    /// The candidate's probability of each allowed arm of `line` with a positive one, as
    /// (index into `line.channels`, hour, probability).
    pub fn distribution(&mut self, line: &LogLine) -> anyhow::Result<Vec<(usize, u8, f64)>> {
        let names: Vec<&str> = line.channels.iter().map(String::as_str).collect();
        let amount = line.amount.filter(|a| *a > 0.0).unwrap_or(1.0);
        let mut request = Request::new(&line.context, &names, &line.hours).amount_weight(amount);
        if let Some(debtor) = &line.debtor {
            request = request.debtor(debtor);
        }
        let hours = line.hours.len();
        let arm = |i: usize| (i / hours, line.hours[i % hours]);
        match self.kind {
            TargetKind::Greedy => {
                let estimates =
                    self.bandit.estimates(&request).with_context(|| format!("line {}", line.line))?;
                let best = estimates
                    .iter()
                    .enumerate()
                    .fold(None::<(usize, f64)>, |best, (i, e)| match best {
                        Some((_, p)) if p >= e.p_pay => best,
                        _ => Some((i, e.p_pay)),
                    })
                    .map(|(i, _)| i)
                    .context("the model answered no arm")?;
                let (channel, hour) = arm(best);
                Ok(vec![(channel, hour, 1.0)])
            }
            TargetKind::Thompson { draws } => {
                let probabilities = self
                    .bandit
                    .probabilities(&request, draws)
                    .with_context(|| format!("line {}", line.line))?;
                Ok(probabilities
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| **p > 0.0)
                    .map(|(i, p)| {
                        let (channel, hour) = arm(i);
                        (channel, hour, *p)
                    })
                    .collect())
            }
        }
    }
}
