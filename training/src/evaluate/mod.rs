//! `mahnwerk-train evaluate`: what a candidate model would have earned on a logged period,
//! estimated off-policy from the log's propensities: IPS, self-normalised IPS and doubly robust,
//! each with a 95 % bootstrap interval, or a refusal saying why the log cannot tell.
//!
//! # Layout
//! `prepare` (log and candidates to numbers) · `terms` (each decision's weight and the reward
//! model's predictions) · `report` (text and JSON).

pub mod prepare;
pub mod report;
pub mod terms;

use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::candidate::{Candidate, TargetKind};
use crate::log::ReadCounts;
use crate::ope::support::{self, Checked, Limits, Support, WeightBalance};
use crate::ope::{ess, interval, poisson_replicates, Estimates, Interval, Sums, Term};
use prepare::Prepared;
use terms::Models;

/// `mahnwerk-train evaluate`'s arguments.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Decision log (docs/decision-log.md): lines need `propensity`, `channels` and `hours`.
    #[arg(long)]
    pub log: PathBuf,
    /// A snapshot written by `fit`.
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub options: Options,
}

/// The options `evaluate` and `compare` share.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Skip lines that cannot be used (and count them) instead of stopping at the first.
    #[arg(long)]
    pub skip_bad: bool,
    /// Bootstrap replicates for the intervals.
    #[arg(long, default_value_t = 500)]
    pub bootstrap: usize,
    /// Seed of the bootstrap and of the Thompson draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// greedy (the model's best arm) or thompson (its sampling, estimated from --draws).
    #[arg(long, default_value = "greedy")]
    pub target: String,
    /// Posterior samples per decision for --target thompson.
    #[arg(long, default_value_t = 64)]
    pub draws: u32,
    /// Share of the candidate's choices allowed on arms the log never took.
    #[arg(long, default_value_t = 0.01)]
    pub max_unexplored: f64,
    /// Smallest effective sample size an estimate may rest on.
    #[arg(long, default_value_t = 50.0)]
    pub min_ess: f64,
}

impl Options {
    pub fn target(&self) -> anyhow::Result<TargetKind> {
        TargetKind::parse(&self.target, self.draws)
    }

    pub fn limits(&self) -> Limits {
        Limits { max_unexplored: self.max_unexplored, min_ess: self.min_ess }
    }
}

/// The three estimates of one value (payment rate, or net EUR per decision) with intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimated {
    pub ips: Interval,
    pub snips: Interval,
    pub dr: Interval,
    /// What the logging policy itself got: the mean observed value.
    pub logged: f64,
}

/// An evaluation of one candidate on one log.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub payment: Estimated,
    /// Amount collected minus channel cost per decision, or why it cannot be given.
    pub net: Result<Estimated, String>,
    pub ess: f64,
    /// Decisions with an outcome, the estimates' `n`.
    pub n: usize,
    /// Share of decisions on which the candidate would choose differently from the log.
    pub differs: f64,
    pub support: Support,
    /// The average importance weight (1 up to noise when the log supports the candidate).
    pub balance: WeightBalance,
    pub counts: ReadCounts,
    pub replicates: usize,
}

/// Checks that the log supports candidate `c` of `prepared`; the refusal says why not.
pub fn check_support(prepared: &Prepared, c: usize, limits: &Limits) -> anyhow::Result<Support> {
    let explored = support::explored(prepared.decisions.iter().map(|d| d.arm));
    let checked = prepared.decisions.iter().zip(&prepared.targets[c]).map(|(d, t)| Checked {
        logged: d.arm,
        propensity: d.propensity,
        target: t,
    });
    let support = support::check(checked, &explored);
    match support.refusal(limits.max_unexplored) {
        Some(reason) => anyhow::bail!("no estimate: {reason}"),
        None => Ok(support),
    }
}

/// Evaluates candidate `c` of `prepared` with `replicates` bootstrap replicates from `seed`, or
/// refuses (see [`support`](crate::ope::support)) within `limits`.
pub fn evaluate_prepared(
    prepared: &Prepared,
    c: usize,
    replicates: usize,
    seed: u64,
    limits: &Limits,
) -> anyhow::Result<Evaluation> {
    anyhow::ensure!(replicates >= 20, "--bootstrap: at least 20 replicates, got {replicates}");
    let support = check_support(prepared, c, limits)?;
    let models = Models::fit(prepared);
    let targets = &prepared.targets[c];
    let payment = terms::payment_terms(prepared, &models, targets);
    let net =
        terms::channel_costs(prepared).map(|costs| terms::net_terms(prepared, &models, targets, &costs));
    let sums = Sums::of(&payment);
    if let Some(reason) = support::too_few(ess(&sums), limits) {
        anyhow::bail!("no estimate: {reason}");
    }
    // One pass per replicate for both values: the same resampled decisions, half the draws.
    let net_terms: &[Term] = net.as_deref().unwrap_or(&[]);
    let zero = || (Sums::default(), Sums::default());
    let reps = poisson_replicates(payment.len(), replicates, seed, zero, |(p, q), i, k| {
        p.add(&payment[i], k);
        if let Some(term) = net_terms.get(i) {
            q.add(term, k);
        }
    });
    let payment_reps: Vec<Sums> = reps.iter().map(|r| r.0).collect();
    let balance = WeightBalance::of(&sums, &payment_reps);
    if let Some(reason) = balance.refusal() {
        anyhow::bail!("no estimate: {reason}");
    }
    let payment_estimated = estimated(&payment, &payment_reps);
    let net = net.map(|terms| estimated(&terms, &reps.iter().map(|r| r.1).collect::<Vec<_>>()));
    Ok(Evaluation {
        payment: payment_estimated,
        net,
        ess: ess(&sums),
        n: prepared.decisions.len(),
        differs: terms::differs(prepared, targets),
        support,
        balance,
        counts: prepared.counts.clone(),
        replicates,
    })
}

/// Point estimates of `terms` with intervals from their bootstrap `replicates`, and the mean
/// observed value (the logging policy's own).
fn estimated(terms: &[Term], replicates: &[Sums]) -> Estimated {
    let point = Estimates::of(&Sums::of(terms));
    let each: Vec<Estimates> = replicates.iter().map(Estimates::of).collect();
    let pick = |f: fn(&Estimates) -> f64| each.iter().map(f).collect::<Vec<f64>>();
    Estimated {
        ips: interval(point.ips, &pick(|e| e.ips)),
        snips: interval(point.snips.unwrap_or(f64::NAN), &pick(|e| e.snips.unwrap_or(f64::NAN))),
        dr: interval(point.dr, &pick(|e| e.dr)),
        logged: terms.iter().map(|t| t.value).sum::<f64>() / terms.len() as f64,
    }
}

/// Reads the log and the model and evaluates; returns the report to print.
pub fn evaluate(args: &EvaluateArgs) -> anyhow::Result<String> {
    let o = &args.options;
    let target = o.target()?;
    let mut candidates = [Candidate::load(&args.model, target, o.seed)?];
    let prepared = read(&args.log, o.skip_bad, &mut candidates)?;
    let evaluation = evaluate_prepared(&prepared, 0, o.bootstrap, o.seed, &o.limits())
        .with_context(|| format!("evaluating {} on {}", args.model.display(), args.log.display()))?;
    Ok(if o.json {
        report::json(&evaluation, target)
    } else {
        report::text(&evaluation, target, &args.log, &args.model)
    })
}

/// Opens and prepares the log at `path`.
pub fn read(path: &Path, skip_bad: bool, candidates: &mut [Candidate]) -> anyhow::Result<Prepared> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    prepare::prepare(BufReader::new(file), &path.display().to_string(), skip_bad, candidates)
}
