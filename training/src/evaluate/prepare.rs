//! From a decision log and one or more candidates to plain numbers: each decision with an
//! outcome as a compact [`Decision`] (names replaced by indices), and each candidate's
//! probabilities of the allowed arms on it. One streaming pass: the log's JSON is never held in
//! memory, so a million decisions take a few hundred megabytes.

use std::collections::HashMap;
use std::io::BufRead;

use anyhow::Context as _;

use crate::candidate::Candidate;
use crate::log::{self, LogLine, ReadCounts};
use crate::ope::reward_model::{Arm, Observation, Situation};

/// One logged decision with an outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Line number in the log (1-based).
    pub line: usize,
    pub arm: Arm,
    pub propensity: f64,
    pub reward: f64,
    /// `context.amount`, the open amount.
    pub amount: Option<f64>,
    pub situation: Situation,
}

impl Decision {
    pub fn observation(&self) -> Observation {
        Observation { situation: self.situation, arm: self.arm, reward: self.reward }
    }
}

/// A target policy on one decision: its arms with a positive probability.
pub type Target = Vec<(Arm, f64)>;

/// Interned names: each distinct string once, its index in order of first appearance.
#[derive(Debug, Clone, Default)]
pub struct Names {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Names {
    pub fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// The log as numbers, with every candidate's target on each decision.
pub struct Prepared {
    pub decisions: Vec<Decision>,
    /// `targets[c][i]`: candidate `c` on decision `i`.
    pub targets: Vec<Vec<Target>>,
    pub channels: Names,
    /// Segment names (`context.segment`); a decision without one has the segment `""`.
    pub segments: Names,
    pub counts: ReadCounts,
}

/// Reads the log from `reader` (`name` for errors) and asks every candidate about every decision
/// with an outcome.
pub fn prepare(
    reader: impl BufRead,
    name: &str,
    skip_bad: bool,
    candidates: &mut [Candidate],
) -> anyhow::Result<Prepared> {
    let mut decisions = Vec::new();
    let mut targets: Vec<Vec<Target>> = candidates.iter().map(|_| Vec::new()).collect();
    let (mut channels, mut segments, mut debtors) = (Names::default(), Names::default(), Names::default());
    let counts = log::read(reader, name, skip_bad, |line: LogLine| {
        let channel_ids: Vec<u8> =
            line.channels.iter().map(|c| channel_id(&mut channels, c)).collect::<anyhow::Result<_>>()?;
        let logged = Arm { channel: channel_id(&mut channels, &line.channel)?, hour: line.hour };
        for (candidate, out) in candidates.iter_mut().zip(&mut targets) {
            let target = candidate
                .distribution(&line)
                .with_context(|| format!("{name}: asking the candidate about line {}", line.line))?;
            out.push(
                target.into_iter().map(|(c, hour, p)| (Arm { channel: channel_ids[c], hour }, p)).collect(),
            );
        }
        let segment = segments.id(line.segment.as_deref().unwrap_or(""));
        let debtor = line.debtor.as_deref().map(|d| debtors.id(d) as u32);
        decisions.push(Decision {
            line: line.line,
            arm: logged,
            propensity: line.propensity,
            reward: line.reward.expect("the reader hands on decisions with an outcome only"),
            amount: line.amount,
            situation: Situation {
                segment: u16::try_from(segment).context("more than 65,536 segments")?,
                stage: line.stage,
                debtor,
            },
        });
        Ok(())
    })?;
    anyhow::ensure!(
        !decisions.is_empty(),
        "{name}: no decision with an outcome ({} lines, {} pending, {} skipped as bad)",
        counts.lines,
        counts.pending,
        counts.skipped
    );
    Ok(Prepared { decisions, targets, channels, segments, counts })
}

fn channel_id(channels: &mut Names, name: &str) -> anyhow::Result<u8> {
    u8::try_from(channels.id(name)).map_err(|_| anyhow::anyhow!("more than 256 distinct channel names"))
}
