//! Checks of the weighted fit against the truth: on a simulated log written by a skewed
//! logging policy (the repository's adaptive learner, which soon sends most reminders on the few
//! arms it believes in), the simulator knows every arm's pay probability for every reminder, so
//! the rates a fitted model believes in can be held against it, weighted fit beside unweighted.
//! Everything is seeded; nothing depends on timing.

use std::collections::BTreeMap;
use std::path::Path;

use mahnwerk_models::bandit::{Bandit, Request, Snapshot};
use mahnwerk_models::sim::{SimChannel, World};

use super::importance::{read_propensities, weights};
use super::{fit, FitArgs};
use crate::log::to_context;
use crate::simulate::line::{context, TENANT};
use crate::simulate::logging::LoggingPolicy;
use crate::simulate::script::{Script, HOURS};
use crate::simulate::{simulate, SimulateArgs};

const DEBTORS_SEED: u64 = 1;

/// Writes an adaptive log of `decisions` at `seed` to `path`.
fn adaptive_log(path: &Path, seed: u64, decisions: usize) {
    let args = SimulateArgs {
        policy: LoggingPolicy::Adaptive,
        seed,
        debtors_seed: DEBTORS_SEED,
        decisions,
        world: World::named("default").unwrap(),
    };
    simulate(&args, path).unwrap();
}

/// Fits `log` as `mahnwerk-train fit` does, with importance weights clipped at `clip` or none.
fn fitted(log: &Path, clip: Option<f64>) -> Bandit {
    let out = log.with_extension(match clip {
        Some(clip) => format!("weighted-{clip}.json"),
        None => "unweighted.json".to_owned(),
    });
    let args = FitArgs {
        log: log.to_owned(),
        out: out.clone(),
        warm_start: false,
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
struct RateErrors {
    /// Mean over the (channel, hour) arms of |the model's mean rate - the true mean rate|, each
    /// arm's mean taken over the reminders it was allowed on.
    per_arm: f64,
    /// Mean over every (reminder, allowed arm) of |the model's rate - the true rate|.
    per_decision: f64,
}

/// Asks `bandit` about every allowed arm of every reminder of `script`, as the scheduler asks.
fn rate_errors(bandit: &mut Bandit, script: &Script) -> RateErrors {
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

/// The figure of docs/analysts.md: on adaptive logs of 20,000 decisions (seeds 1 to 3), the
/// weighted fit's per-arm rates are closer to the truth than the unweighted fit's, on 2,000
/// other reminders to the same debtors.
#[test]
fn on_a_skewed_log_the_weighted_fit_recovers_the_pay_rates_better() {
    let dir = tempfile::tempdir().unwrap();
    let world = World::named("default").unwrap();
    let (mut unweighted_sum, mut weighted_sum) = (0.0, 0.0);
    for seed in 1..=3 {
        let log = dir.path().join(format!("adaptive-{seed}.jsonl"));
        adaptive_log(&log, seed, 20_000);
        let held_out = Script::new(&world, DEBTORS_SEED, 1000 + seed, 2_000).unwrap();
        let unweighted = rate_errors(&mut fitted(&log, None), &held_out);
        let weighted = rate_errors(&mut fitted(&log, Some(10.0)), &held_out);
        eprintln!("seed {seed}: unweighted {unweighted:?}, weighted (clip 10) {weighted:?}");
        assert!(
            weighted.per_arm < unweighted.per_arm,
            "seed {seed}: weighted {weighted:?} vs unweighted {unweighted:?}"
        );
        unweighted_sum += unweighted.per_arm;
        weighted_sum += weighted.per_arm;
    }
    let (unweighted, weighted) = (unweighted_sum / 3.0, weighted_sum / 3.0);
    eprintln!("mean per-arm error: unweighted {unweighted:.4}, weighted {weighted:.4}");
    assert!(weighted < 0.8 * unweighted, "weighted {weighted:.4} vs unweighted {unweighted:.4}");
}

#[test]
fn the_clip_bounds_the_weights_of_an_adaptive_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("adaptive.jsonl");
    adaptive_log(&log, 7, 5_000);
    let propensities = read_propensities(std::io::BufReader::new(std::fs::File::open(&log).unwrap()), "log").unwrap();
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
