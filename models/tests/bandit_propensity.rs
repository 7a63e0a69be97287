//! The logged propensity is the probability with which the policy chose the arm: checked
//! empirically against the frequency of each arm over many decisions on a fixed posterior.

use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, Request};

const CHANNELS: [&str; 2] = ["email", "sms"];
const HOURS: [u8; 2] = [9, 18];

/// A bandit whose posterior prefers some arms without being sure: 40 outcomes in which SMS at 18
/// pays most often, sampled at full posterior width so that several arms keep a real share.
fn half_trained(params: BanditParams, seed: u64) -> Bandit {
    let mut bandit = Bandit::new(params.hash_bits(12).sample_scale(1.0).check().expect("valid"), seed);
    let ctx = Context::new().cat("segment", "b2c");
    let request = Request::new(&ctx, &CHANNELS, &HOURS);
    for i in 0..40u32 {
        let d = bandit.decide(&request).expect("valid");
        let paid = match (d.channel(&request), d.hour) {
            ("sms", 18) => i % 2 == 0,
            ("email", 9) => i % 3 == 0,
            _ => i % 6 == 0,
        };
        bandit.outcome(d.id, f64::from(paid)).expect("pending");
    }
    bandit
}

/// Decides `n` times without learning; returns per arm (count, sum of 1 / propensity, logged
/// propensities).
fn run(bandit: &mut Bandit, n: usize) -> Vec<(usize, f64, Vec<f64>)> {
    let ctx = Context::new().cat("segment", "b2c");
    let request = Request::new(&ctx, &CHANNELS, &HOURS);
    let mut arms = vec![(0usize, 0.0f64, Vec::new()); request.arms()];
    for _ in 0..n {
        let d = bandit.decide(&request).expect("valid");
        let arm = d.channel_index * HOURS.len() + HOURS.iter().position(|&h| h == d.hour).expect("allowed");
        assert!(d.propensity > 0.0 && d.propensity <= 1.0);
        arms[arm].0 += 1;
        arms[arm].1 += 1.0 / d.propensity;
        arms[arm].2.push(d.propensity);
    }
    arms
}

#[test]
fn with_many_draws_each_logged_propensity_is_the_arms_frequency_within_the_stated_error() {
    // M = 1024: the stated standard error of the Thompson part is at most 0.5 / 32 = 0.016.
    let m = 1024.0f64;
    let mut bandit = half_trained(BanditParams::new().propensity_draws(1024), 3);
    let n = 4000;
    let arms = run(&mut bandit, n);
    let shares: Vec<f64> = arms.iter().map(|a| a.0 as f64 / n as f64).collect();
    assert!(
        shares.iter().filter(|&&s| s > 0.05).count() >= 2,
        "the posterior should still explore: {shares:?}"
    );
    for (arm, (count, _, logged)) in arms.iter().enumerate() {
        let p = shares[arm];
        // Error of the logged value (M draws) plus that of the frequency (n decisions), 4 sigma.
        let tolerance = 4.0 * ((p * (1.0 - p) / m).sqrt() + (p * (1.0 - p) / n as f64).sqrt()) + 0.005;
        for &q in logged {
            assert!((q - p).abs() <= tolerance, "arm {arm}: logged {q}, frequency {p} (n = {count})");
        }
    }
}

#[test]
fn at_the_default_draws_inverse_propensity_weights_are_unbiased_for_every_arm() {
    // The propensity is exact for the policy as run, so E[1{arm chosen} / propensity] = 1 for
    // every arm, however rare: the identity inverse-propensity estimates rest on.
    let mut bandit = half_trained(BanditParams::new(), 4);
    let n = 20_000;
    for (arm, (count, inverse_sum, logged)) in run(&mut bandit, n).into_iter().enumerate() {
        assert!(count > 0, "arm {arm} never chosen");
        let mean = inverse_sum / n as f64;
        let second_moment = logged.iter().map(|q| 1.0 / (q * q)).sum::<f64>() / n as f64;
        let standard_error = ((second_moment - mean * mean) / n as f64).sqrt();
        assert!(
            (mean - 1.0).abs() < 4.0 * standard_error,
            "arm {arm}: mean of 1/propensity over {n} decisions is {mean} (standard error {standard_error})"
        );
    }
}

#[test]
fn policy_probabilities_match_the_frequencies_and_keep_the_floor() {
    let mut bandit = half_trained(BanditParams::new(), 5);
    let ctx = Context::new().cat("segment", "b2c");
    let request = Request::new(&ctx, &CHANNELS, &HOURS);
    let probabilities = bandit.probabilities(&request, 100_000).expect("valid");
    assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(probabilities.iter().all(|&p| p >= 0.05 / 4.0 - 1e-12));
    let n = 20_000;
    for (arm, (count, _, _)) in run(&mut bandit, n).into_iter().enumerate() {
        let (p, f) = (probabilities[arm], count as f64 / n as f64);
        let tolerance = 4.0 * (p * (1.0 - p) / n as f64).sqrt() + 4.0 * 0.5 / 100_000f64.sqrt();
        assert!((p - f).abs() <= tolerance, "arm {arm}: policy {p}, frequency {f}");
    }
}

#[test]
fn epsilon_one_is_the_uniform_policy_with_exact_propensities() {
    let mut bandit = half_trained(BanditParams::new().epsilon(1.0), 6);
    for (_, _, logged) in run(&mut bandit, 200) {
        assert!(logged.iter().all(|&q| (q - 0.25).abs() < 1e-12));
    }
}
