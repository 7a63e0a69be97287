//! From a decision log and one or more candidates to plain numbers: each decision with an
//! outcome as a compact [`Decision`] (names replaced by indices), and each candidate's
//! probabilities of the allowed arms on it. One streaming pass: the log's JSON is never held in
//! memory, so a million decisions take a few hundred megabytes. Reading a line and asking the
//! candidates about it are most of the time, so batches of lines are shared out over the
//! machine's threads, each with its own copy of the candidates (reseeded per batch, so the
//! answers do not depend on the number of threads); names are interned afterwards, in order.

use std::collections::HashMap;
use std::io::BufRead;

use anyhow::Context as _;

use crate::candidate::Candidate;
use crate::log::{self, BadLine, LogLine, ReadCounts};
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

/// Lines per batch a thread works on.
const BATCH: usize = 2048;

/// One line read and, if it has an outcome, answered by every candidate (as indices into its
/// `channels`).
enum Answered {
    Decision(LogLine, Vec<Vec<(usize, u8, f64)>>),
    Pending,
    Bad(BadLine),
}

fn answer(number: usize, text: &str, candidates: &mut [Candidate], name: &str) -> anyhow::Result<Answered> {
    let line = match log::parse(number, text) {
        Ok(line) if line.reward.is_none() => return Ok(Answered::Pending),
        Ok(line) => line,
        Err(bad) => return Ok(Answered::Bad(bad)),
    };
    let targets = candidates
        .iter_mut()
        .map(|c| c.distribution(&line))
        .collect::<anyhow::Result<Vec<_>>>()
        .with_context(|| format!("{name}: asking the candidate about line {number}"))?;
    Ok(Answered::Decision(line, targets))
}

/// Reads the log from `reader` (`name` for errors) and asks every candidate about every decision
/// with an outcome.
pub fn prepare(
    reader: impl BufRead,
    name: &str,
    skip_bad: bool,
    candidates: &mut [Candidate],
) -> anyhow::Result<Prepared> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers: Vec<Vec<Candidate>> = (0..threads).map(|_| candidates.to_vec()).collect();
    let mut state = Interning::new(candidates.len());
    let mut counts = ReadCounts::default();
    let mut batch_number = 0u64;
    for lines in log::batches(reader, name, BATCH * threads) {
        let lines = lines?;
        let answered: Vec<Vec<anyhow::Result<Answered>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = lines
                .chunks(BATCH)
                .zip(workers.iter_mut())
                .enumerate()
                .map(|(offset, (chunk, worker))| {
                    let batch = batch_number + offset as u64;
                    scope.spawn(move || {
                        worker.iter_mut().for_each(|c| c.reseed(batch));
                        chunk.iter().map(|(number, text)| answer(*number, text, worker, name)).collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a reading thread panicked")).collect()
        });
        batch_number += lines.len().div_ceil(BATCH) as u64;
        for answer in answered.into_iter().flatten() {
            counts.lines += 1;
            match answer? {
                Answered::Decision(line, targets) => state.push(line, targets)?,
                Answered::Pending => counts.pending += 1,
                Answered::Bad(bad) => counts.bad(bad, name, skip_bad)?,
            }
        }
    }
    anyhow::ensure!(counts.lines > 0, "{name} holds no decisions");
    anyhow::ensure!(
        !state.decisions.is_empty(),
        "{name}: no decision with an outcome ({} lines, {} pending, {} skipped as bad)",
        counts.lines,
        counts.pending,
        counts.skipped
    );
    let Interning { decisions, targets, channels, segments, .. } = state;
    Ok(Prepared { decisions, targets, channels, segments, counts })
}

/// The decisions so far, with names replaced by indices in order of appearance.
struct Interning {
    decisions: Vec<Decision>,
    targets: Vec<Vec<Target>>,
    channels: Names,
    segments: Names,
    debtors: Names,
}

impl Interning {
    fn new(candidates: usize) -> Self {
        Interning {
            decisions: Vec::new(),
            targets: (0..candidates).map(|_| Vec::new()).collect(),
            channels: Names::default(),
            segments: Names::default(),
            debtors: Names::default(),
        }
    }

    fn push(&mut self, line: LogLine, targets: Vec<Vec<(usize, u8, f64)>>) -> anyhow::Result<()> {
        let channel_ids: Vec<u8> =
            line.channels.iter().map(|c| channel_id(&mut self.channels, c)).collect::<anyhow::Result<_>>()?;
        for (target, out) in targets.into_iter().zip(&mut self.targets) {
            out.push(
                target.into_iter().map(|(c, hour, p)| (Arm { channel: channel_ids[c], hour }, p)).collect(),
            );
        }
        let segment = self.segments.id(line.segment.as_deref().unwrap_or(""));
        self.decisions.push(Decision {
            line: line.line,
            arm: Arm { channel: channel_id(&mut self.channels, &line.channel)?, hour: line.hour },
            propensity: line.propensity,
            reward: line.reward.expect("only decisions with an outcome are pushed"),
            amount: line.amount,
            situation: Situation {
                segment: u16::try_from(segment).context("more than 65,536 segments")?,
                stage: line.stage,
                debtor: line.debtor.as_deref().map(|d| self.debtors.id(d) as u32),
            },
        });
        Ok(())
    }
}

fn channel_id(channels: &mut Names, name: &str) -> anyhow::Result<u8> {
    u8::try_from(channels.id(name)).map_err(|_| anyhow::anyhow!("more than 256 distinct channel names"))
}
