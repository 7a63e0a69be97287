//! Checks of the weighted fit against the truth: the simulator knows every arm's pay probability
//! for every reminder, so the rates a fitted model believes in can be held against it, weighted
//! fit beside unweighted, on two skewed logs: one of a policy that chose on what the model does
//! not see (each debtor's hidden traits), where the weights correct a bias, and one of the
//! repository's adaptive learner, which chose on what the model sees, where they only cost
//! precision. Everything is seeded; nothing depends on timing.

use std::collections::BTreeMap;
use std::path::Path;

use mahnwerk_models::bandit::{Bandit, Request, Snapshot};
use mahnwerk_models::sim::{SimChannel, World};

use super::importance::{read_propensities, weights, DEFAULT_CLIP};
use super::{fit, FitArgs};
use crate::log::to_context;
use crate::simulate::line::{context, TENANT};
use crate::simulate::logging::LoggingPolicy;
use crate::simulate::script::{Script, HOURS};
use crate::simulate::{simulate, SimulateArgs};

const DEBTORS_SEED: u64 = 1;

/// Writes an adaptive log of `decisions` at `seed` to `path`.
fn adaptive_log(path: &Path, seed: u64, decisions: usize) {
    simulated_log(path, LoggingPolicy::Adaptive, seed, decisions);
}

/// Writes the log `mahnwerk-train simulate --policy informed:<explore>` writes: a policy that
/// knows each debtor's true pay rates (which no model sees) chooses the best arm, or with
/// probability `explore` any allowed arm alike.
pub(super) fn informed_log(path: &Path, seed: u64, decisions: usize, explore: f64) {
    simulated_log(path, LoggingPolicy::Informed { explore }, seed, decisions);
}

fn simulated_log(path: &Path, policy: LoggingPolicy, seed: u64, decisions: usize) {
    let args = SimulateArgs {
        policy,
        seed,
        debtors_seed: DEBTORS_SEED,
        decisions,
        world: World::named("default").unwrap(),
    };
    simulate(&args, path).unwrap();
}

/// Fits `log` as `mahnwerk-train fit` does, with importance weights clipped at `clip` or none,
/// warm-started or not.
pub(super) fn fitted(log: &Path, clip: Option<f64>, warm_start: bool) -> Bandit {
    let out = log.with_extension(match clip {
        Some(clip) => format!("weighted-{clip}-{warm_start}.json"),
        None => format!("unweighted-{warm_start}.json"),
    });
    let args = FitArgs {
        log: log.to_owned(),
        out: out.clone(),
        warm_start,
        importance_weights: clip.is_some(),
        clip,
        seed: 1,
    };
    fit(&args).unwrap();
    let snapshot: Snapshot = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    Bandit::from_snapshot(snapshot, 1).unwrap()
}

/// How far a model's pay rates are from the truth on `script`'s reminders.
#[derive(Debug, Clone, Copy)]
pub(super) struct RateErrors {
    /// Mean over the (channel, hour) arms of |the model's mean rate - the true mean rate|, each
    /// arm's mean taken over the reminders it was allowed on.
    pub(super) per_arm: f64,
    /// Mean over every (reminder, allowed arm) of |the model's rate - the true rate|.
    pub(super) per_decision: f64,
}

/// Asks `bandit` about every allowed arm of every reminder of `script`, as the scheduler asks.
pub(super) fn rate_errors(bandit: &mut Bandit, script: &Script) -> RateErrors {
    // Per arm: (sum of the model's rates, sum of the true ones, reminders).
    let mut arms: BTreeMap<(SimChannel, u8), (f64, f64, usize)> = BTreeMap::new();
    let (mut absolute, mut pairs) = (0.0, 0usize);
    for reminder in script.reminders() {
        let debtor = script.debtor(reminder);
        let features = to_context(&context(debtor, reminder));
        let key = format!("{TENANT}/{}", debtor.id);
        let names: Vec<&str> = reminder.channels.iter().map(|c| c.as_str()).collect();
        let request = Request::new(&features, &names, &HOURS).debtor(&key);
        for estimate in bandit.estimates(&request).unwrap() {
            let channel = reminder.channels[estimate.channel_index];
            let truth = script.pay_probability(reminder, channel, estimate.hour);
            let arm = arms.entry((channel, estimate.hour)).or_default();
            arm.0 += estimate.p_pay;
            arm.1 += truth;
            arm.2 += 1;
            absolute += (estimate.p_pay - truth).abs();
            pairs += 1;
        }
    }
    let per_arm = arms.values().map(|(model, truth, n)| (model - truth).abs() / *n as f64).sum::<f64>()
        / arms.len() as f64;
    RateErrors { per_arm, per_decision: absolute / pairs as f64 }
}

/// The 2,000 other reminders to the same debtors that a fit on the log of `seed` is asked about.
pub(super) fn held_out(seed: u64) -> Script {
    let world = World::named("default").unwrap();
    Script::new(&world, DEBTORS_SEED, 1000 + seed, 2_000).unwrap()
}

/// The unweighted and the weighted (clip 10) fit's errors on the held-out reminders, printed
/// for docs/analysts.md.
fn errors_of_both_fits(log: &Path, seed: u64, name: &str) -> (RateErrors, RateErrors) {
    let held_out = held_out(seed);
    let unweighted = rate_errors(&mut fitted(log, None, false), &held_out);
    let weighted = rate_errors(&mut fitted(log, Some(DEFAULT_CLIP), false), &held_out);
    eprintln!(
        "{name} log, seed {seed}: per-arm error unweighted {:.4}, weighted {:.4}; per-decision error unweighted {:.4}, weighted {:.4}",
        unweighted.per_arm, weighted.per_arm, unweighted.per_decision, weighted.per_decision
    );
    (unweighted, weighted)
}

/// What importance weights are for: a logging policy whose choices depend on what the model
/// does not see (here each debtor's hidden traits) sends each arm mostly where it works, so the
/// unweighted fit believes every arm works better than it does on average. Weighted by the
/// inverse propensity, each arm is learned as if tried on every reminder. Measured (seeds 1
/// and 2, 20,000 decisions, 20 % exploration): the per-arm error falls from 0.120 to 0.065
/// and from 0.108 to 0.046; the margin asked for is 30 %.
#[test]
fn on_a_log_of_a_policy_that_knew_more_the_weighted_fit_recovers_the_pay_rates_better() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1, 2] {
        let log = dir.path().join(format!("informed-{seed}.jsonl"));
        informed_log(&log, seed, 20_000, 0.2);
        let (unweighted, weighted) = errors_of_both_fits(&log, seed, "informed");
        assert!(
            weighted.per_arm < 0.7 * unweighted.per_arm,
            "seed {seed}: weighted {weighted:?} vs unweighted {unweighted:?}"
        );
    }
}

/// The other side, for the docs: the repository's adaptive learner chooses on the features the
/// fitted model sees, so its log needs no correction (the unweighted fit is consistent) and the
/// weights only cost precision (seeds 1 and 2: per-arm error 0.066 to 0.099, 0.086 to 0.124).
/// The clip keeps that cost bounded.
#[test]
fn on_the_adaptive_learners_own_log_weighting_costs_a_bounded_share_of_precision() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("adaptive-1.jsonl");
    adaptive_log(&log, 1, 20_000);
    let (unweighted, weighted) = errors_of_both_fits(&log, 1, "adaptive");
    assert!(weighted.per_arm > unweighted.per_arm, "{weighted:?} vs {unweighted:?}");
    assert!(weighted.per_arm < 2.0 * unweighted.per_arm, "{weighted:?} vs {unweighted:?}");
}

#[test]
fn the_clip_bounds_the_weights_of_an_adaptive_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("adaptive.jsonl");
    adaptive_log(&log, 7, 5_000);
    let propensities =
        read_propensities(std::io::BufReader::new(std::fs::File::open(&log).unwrap()), "log").unwrap();
    assert_eq!(propensities.len(), 5_000);
    let mut clipped = Vec::new();
    for clip in [2.0, 10.0, 100.0] {
        let w = weights(&propensities, clip).unwrap();
        let largest = w.weights.iter().copied().fold(0.0, f64::max);
        let mean = w.weights.iter().sum::<f64>() / w.weights.len() as f64;
        assert!(largest <= clip + 1e-9, "clip {clip}: largest weight {largest}");
        assert!((mean - 1.0).abs() < 1e-9, "clip {clip}: mean {mean}");
        assert!(w.effective_sample_size <= 5_000.0 + 1e-6);
        clipped.push(w.clipped);
    }
    // The epsilon floor's rare choices are there to be clipped, fewer as the clip rises.
    assert!(clipped[0] > clipped[1] && clipped[1] > clipped[2] && clipped[1] > 0, "{clipped:?}");
}
