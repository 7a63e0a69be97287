//! `mahnwerk-train compare`: is a candidate model better than the live one on a logged period?
//! Both are evaluated off-policy on the same decisions, and the difference gets a paired
//! bootstrap interval: every replicate reweights the same decisions for both, so what the two
//! share (the debtors, their luck) cancels and the interval is that of the difference itself.
//!
//! The verdict reads the doubly robust difference: `better` if its 95 % interval lies above
//! zero, `worse` if below, `not distinguishable` otherwise. The self-normalised IPS difference
//! is shown beside it. The breakdowns split the difference by segment (`context.segment`, each
//! a paired estimate on its own decisions) and by channel (each channel's part of the doubly
//! robust difference: what the two policies' choices of that channel, and the log's outcomes on
//! it, add; the parts sum to the whole).
//!
//! # Layout
//! `report` (text and JSON).

pub mod report;

use std::path::PathBuf;

use anyhow::Context as _;

use crate::candidate::Candidate;
use crate::evaluate::prepare::{Prepared, Target};
use crate::evaluate::terms::{self, Models};
use crate::evaluate::{check_support, read, Options};
use crate::log::ReadCounts;
use crate::ope::support::{self, Limits, WeightBalance};
use crate::ope::{ess, interval, poisson_replicates, Estimates, Interval, Sums, Term};

/// `mahnwerk-train compare`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Decision log, as for evaluate.
    #[arg(long)]
    pub log: PathBuf,
    /// The model that might replace the live one (a snapshot written by `fit`).
    #[arg(long)]
    pub candidate: PathBuf,
    /// The model in use.
    #[arg(long)]
    pub live: PathBuf,
    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Better,
    Worse,
    NotDistinguishable,
}

impl Verdict {
    /// From the interval of candidate minus live.
    pub fn of(difference: &Interval) -> Verdict {
        if difference.lo > 0.0 {
            Verdict::Better
        } else if difference.hi < 0.0 {
            Verdict::Worse
        } else {
            Verdict::NotDistinguishable
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::NotDistinguishable => "not distinguishable",
        }
    }
}

/// Candidate minus live on some decisions: doubly robust and self-normalised IPS.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub name: String,
    pub n: usize,
    pub candidate: Estimates,
    pub live: Estimates,
    pub dr: Interval,
    pub snips: Interval,
}

/// One channel's part of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPart {
    pub name: String,
    /// Share of decisions on which each policy chooses this channel.
    pub candidate_share: f64,
    pub live_share: f64,
    /// This channel's part of the doubly robust difference, per decision.
    pub dr: Interval,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub overall: Difference,
    pub verdict: Verdict,
    pub segments: Vec<Difference>,
    pub channels: Vec<ChannelPart>,
    /// The logging policy's own observed payment rate.
    pub logged: f64,
    pub counts: ReadCounts,
    pub replicates: usize,
}

/// One bootstrap replicate's sums: both policies overall, per segment, and the channel parts.
#[derive(Clone)]
struct Replicate {
    candidate: Sums,
    live: Sums,
    segments: Vec<(Sums, Sums)>,
    channels: Vec<f64>,
}

/// Compares candidate 0 with live candidate 1 of `prepared`.
pub fn compare_prepared(
    prepared: &Prepared,
    replicates: usize,
    seed: u64,
    limits: &Limits,
) -> anyhow::Result<Comparison> {
    anyhow::ensure!(replicates >= 20, "--bootstrap: at least 20 replicates, got {replicates}");
    check_support(prepared, 0, limits).context("the candidate")?;
    check_support(prepared, 1, limits).context("the live model")?;
    let models = Models::fit(prepared);
    let candidate = terms::payment_terms(prepared, &models, &prepared.targets[0]);
    let live = terms::payment_terms(prepared, &models, &prepared.targets[1]);
    let channels = prepared.channels.names().len();
    let segments = prepared.segments.names().len();
    let parts = channel_parts(prepared, &models, &candidate, &live);
    let segment_of = |i: usize| usize::from(prepared.decisions[i].situation.segment);

    let add = |r: &mut Replicate, i: usize, k: f64| {
        r.candidate.add(&candidate[i], k);
        r.live.add(&live[i], k);
        let s = &mut r.segments[segment_of(i)];
        s.0.add(&candidate[i], k);
        s.1.add(&live[i], k);
        for &(c, part) in &parts[i] {
            r.channels[usize::from(c)] += k * part;
        }
    };
    let zero = || Replicate {
        candidate: Sums::default(),
        live: Sums::default(),
        segments: vec![(Sums::default(), Sums::default()); segments],
        channels: vec![0.0; channels],
    };
    let mut data = zero();
    for i in 0..prepared.decisions.len() {
        add(&mut data, i, 1.0);
    }
    let reps = poisson_replicates(prepared.decisions.len(), replicates, seed, zero, add);
    // Each policy's estimate must stand on its own before their difference means anything.
    let stands = |who: &str, data: Sums, replicates: Vec<Sums>| match support::too_few(ess(&data), limits)
        .or_else(|| WeightBalance::of(&data, &replicates).refusal())
    {
        Some(reason) => Err(anyhow::anyhow!("{who}: no estimate: {reason}")),
        None => Ok(()),
    };
    stands("the candidate", data.candidate, reps.iter().map(|r| r.candidate).collect())?;
    stands("the live model", data.live, reps.iter().map(|r| r.live).collect())?;

    let difference = |name: &str, pick: &dyn Fn(&Replicate) -> (Sums, Sums)| {
        let (c, l) = pick(&data);
        let (c, l) = (Estimates::of(&c), Estimates::of(&l));
        let snips = |e: &Estimates| e.snips.unwrap_or(f64::NAN);
        let dr_reps: Vec<f64> = reps
            .iter()
            .map(|r| {
                let (c, l) = pick(r);
                Estimates::of(&c).dr - Estimates::of(&l).dr
            })
            .collect();
        let snips_reps: Vec<f64> = reps
            .iter()
            .map(|r| {
                let (c, l) = pick(r);
                snips(&Estimates::of(&c)) - snips(&Estimates::of(&l))
            })
            .collect();
        Difference {
            name: name.to_owned(),
            n: pick(&data).0.n as usize,
            candidate: c,
            live: l,
            dr: interval(c.dr - l.dr, &dr_reps),
            snips: interval(snips(&c) - snips(&l), &snips_reps),
        }
    };
    let overall = difference("all", &|r: &Replicate| (r.candidate, r.live));
    let segments = prepared
        .segments
        .names()
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let name = if name.is_empty() { "(none)" } else { name.as_str() };
            difference(name, &|r: &Replicate| r.segments[s])
        })
        .collect();
    let n = prepared.decisions.len() as f64;
    let share = |targets: &[Target], c: usize| {
        targets.iter().flatten().filter(|(a, _)| usize::from(a.channel) == c).map(|(_, p)| p).sum::<f64>() / n
    };
    let channels = prepared
        .channels
        .names()
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let per_decision: Vec<f64> = reps.iter().map(|r| r.channels[c] / r.candidate.n).collect();
            ChannelPart {
                name: name.clone(),
                candidate_share: share(&prepared.targets[0], c),
                live_share: share(&prepared.targets[1], c),
                dr: interval(data.channels[c] / n, &per_decision),
            }
        })
        .collect();
    Ok(Comparison {
        verdict: Verdict::of(&overall.dr),
        overall,
        segments,
        channels,
        logged: prepared.decisions.iter().map(|d| d.reward).sum::<f64>() / n,
        counts: prepared.counts.clone(),
        replicates,
    })
}

/// Each decision's doubly robust difference split by channel: a channel's part is the two
/// policies' predicted value on its arms, plus the weighted residual if the log took it.
fn channel_parts(
    prepared: &Prepared,
    models: &Models,
    candidate: &[Term],
    live: &[Term],
) -> Vec<Vec<(u8, f64)>> {
    prepared
        .decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut parts: Vec<(u8, f64)> = Vec::new();
            let mut add = |channel: u8, x: f64| match parts.iter_mut().find(|(c, _)| *c == channel) {
                Some(part) => part.1 += x,
                None => parts.push((channel, x)),
            };
            for (sign, target, term) in
                [(1.0, &prepared.targets[0][i], &candidate[i]), (-1.0, &prepared.targets[1][i], &live[i])]
            {
                for (arm, p) in target {
                    add(arm.channel, sign * p * models.predict(i, d, *arm));
                }
                add(d.arm.channel, sign * term.weight * (term.value - term.predicted_logged));
            }
            parts
        })
        .collect()
}

/// Reads the log and both models and compares; returns the report to print.
pub fn compare(args: &CompareArgs) -> anyhow::Result<String> {
    let o = &args.options;
    let target = o.target()?;
    let mut candidates = [
        Candidate::load(&args.candidate, target, o.seed)?,
        Candidate::load(&args.live, target, o.seed ^ 0x11fe)?,
    ];
    let prepared = read(&args.log, o.skip_bad, &mut candidates)?;
    let comparison = compare_prepared(&prepared, o.bootstrap, o.seed, &o.limits())
        .with_context(|| format!("comparing on {}", args.log.display()))?;
    Ok(if o.json { report::json(&comparison) } else { report::text(&comparison, args, target) })
}
