//! The weighted warm start held against known answers: linfa's fit with every weight 1, and
//! rows repeated as often as their integer weight.

use super::*;
use crate::bandit::{fit_prior, BanditParams, Context};
use crate::sim::rng;
use linfa::ParamGuard;
use rand::Rng;

fn params() -> ValidBanditParams {
    BanditParams::new().hash_bits(14).check().unwrap()
}

/// `n` decisions of a uniform logging policy over 3 channels x 4 hours, paid with a
/// probability that depends on the arm and the segment; with a weight 0 to 3 each.
fn log(n: usize, seed: u64) -> Vec<(LoggedDecision, f64)> {
    let mut r = rng(seed);
    (0..n)
        .map(|_| {
            let segment = if r.gen_bool(0.3) { "b2b" } else { "b2c" };
            let channel = ["email", "sms", "letter"][r.gen_range(0..3)];
            let hour = [9u8, 11, 18, 20][r.gen_range(0..4)];
            let p = match (segment, channel, hour >= 17) {
                ("b2c", "sms", true) => 0.5,
                ("b2b", "email", false) => 0.45,
                (_, "letter", _) => 0.2,
                _ => 0.1,
            };
            let context = Context::new().cat("segment", segment).num("stage", f64::from(r.gen_range(1..4)));
            let reward = Some(f64::from(u8::from(r.gen_bool(p))));
            let logged = LoggedDecision { debtor: None, context, channel: channel.into(), hour, reward };
            (logged, f64::from(r.gen_range(0..4u8)))
        })
        .collect()
}

/// Fits on `log`, every pass walking the slice.
fn fitted(log: &[(LoggedDecision, f64)]) -> Result<WeightedPrior, BanditError> {
    fit_prior_weighted(&params(), |visit: &mut Visit<'_>| log.iter().try_for_each(|(d, w)| visit(d, *w)))
}

/// [`fitted`] keeping no distinct rows: every Newton step reads the log again.
fn fitted_by_passes(log: &[(LoggedDecision, f64)]) -> Result<WeightedPrior, BanditError> {
    fit(&params(), MAX_NEWTON_STEPS, 0, |visit: &mut Visit<'_>| {
        log.iter().try_for_each(|(d, w)| visit(d, *w))
    })
}

fn means(prior: &Prior) -> HashMap<u32, f64> {
    prior.means().map(|(s, m)| (s, f64::from(m))).collect()
}

/// The objective both solvers minimise, at `prior`'s weights, every weight 1.
fn objective(log: &[(LoggedDecision, f64)], prior: &Prior) -> f64 {
    let means = means(prior);
    let mut design = Design::new(&params());
    for (logged, _) in log {
        design.row(logged, 1.0, true).unwrap();
    }
    let mut beta = vec![0.0; design.columns.len()];
    for (slot, &j) in &design.columns {
        beta[j] = means[slot];
    }
    let mut sums = Sums::new(beta.len());
    for (logged, _) in log {
        let (row, y, w) = design.row(logged, 1.0, false).unwrap().unwrap();
        sums.add(row, &beta, y, w);
    }
    sums.finish(&beta, 1.0 / params().prior_variance)
}

#[test]
fn with_every_weight_one_it_finds_linfas_coefficients() {
    let log: Vec<(LoggedDecision, f64)> = log(3000, 9).into_iter().map(|(d, _)| (d, 1.0)).collect();
    let newton = fitted(&log).unwrap();
    let plain: Vec<LoggedDecision> = log.iter().map(|(d, _)| d.clone()).collect();
    let linfa = fit_prior(&plain, &params()).unwrap();
    let (ours, theirs) = (means(&newton.prior), means(&linfa));
    assert_eq!(ours.len(), theirs.len());
    let largest = ours.iter().map(|(s, m)| (m - theirs[s]).abs()).fold(0.0, f64::max);
    assert!(largest < 1e-3, "largest difference from linfa's coefficients {largest}");
    // Newton reaches the optimum linfa's L-BFGS stops near.
    let (at_ours, at_theirs) = (objective(&log, &newton.prior), objective(&log, &linfa));
    assert!(at_ours <= at_theirs + 1e-6 * at_theirs, "{at_ours} vs linfa's {at_theirs}");
    assert!(newton.newton_steps <= 10 && newton.passes == 1, "{newton:?}");
    // Read again for every step (as a log of more distinct rows than kept is), the same fit.
    let by_passes = fitted_by_passes(&log).unwrap();
    assert_eq!(by_passes.passes, by_passes.newton_steps + 2, "{by_passes:?}");
    assert_eq!((by_passes.newton_steps, by_passes.decisions), (newton.newton_steps, newton.decisions));
    let (once, again) = (means(&newton.prior), means(&by_passes.prior));
    let largest = once.iter().map(|(s, m)| (m - again[s]).abs()).fold(0.0, f64::max);
    assert!(largest < 1e-6, "kept rows and passes differ by {largest}");
}

#[test]
fn an_integer_weight_counts_as_the_row_repeated_that_often() {
    let weighted = log(2000, 4);
    let repeated: Vec<(LoggedDecision, f64)> =
        weighted.iter().flat_map(|(d, w)| std::iter::repeat_n((d.clone(), 1.0), *w as usize)).collect();
    assert!(weighted.iter().any(|(_, w)| *w == 0.0) && weighted.iter().any(|(_, w)| *w == 3.0));
    let (a, b) = (fitted(&weighted).unwrap(), fitted(&repeated).unwrap());
    assert_eq!(a.decisions, weighted.iter().filter(|(_, w)| *w > 0.0).count());
    let (a, b) = (means(&a.prior), means(&b.prior));
    assert_eq!(a.len(), b.len());
    for (slot, mean) in &a {
        assert!((mean - b[slot]).abs() < 1e-5, "slot {slot}: {mean} weighted, {} repeated", b[slot]);
    }
}

#[test]
fn a_fit_that_does_not_converge_in_its_steps_says_so() {
    let log = log(500, 2);
    let error = fit(&params(), 1, MAX_DISTINCT_ROWS, |visit: &mut Visit<'_>| {
        log.iter().try_for_each(|(d, w)| visit(d, *w))
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("did not converge in 1 Newton steps"), "{error}");
}

#[test]
fn bad_logs_and_weights_are_named() {
    let mut log = log(300, 3);
    let unpaid: Vec<(LoggedDecision, f64)> =
        log.iter().map(|(d, w)| (LoggedDecision { reward: Some(0.0), ..d.clone() }, *w)).collect();
    assert!(fitted(&unpaid).unwrap_err().to_string().contains("needs paid and unpaid decisions"));
    assert!(fitted(&[]).unwrap_err().to_string().contains("no decision with a reward"));
    log[7].1 = -1.0;
    let error = fitted(&log).unwrap_err();
    assert!(matches!(error, BanditError::InvalidRequest { field: "weight", .. }), "{error}");
    log[7].1 = 1.0;
    log[8].0.reward = Some(1.5);
    assert_eq!(fitted(&log).unwrap_err(), BanditError::InvalidReward(1.5));
}

#[test]
fn a_log_that_changes_between_passes_is_refused() {
    let log = log(300, 5);
    let mut passes = 0;
    // Only a log read again is read twice: keep no distinct rows.
    let error = fit(&params(), MAX_NEWTON_STEPS, 0, |visit: &mut Visit<'_>| {
        passes += 1;
        let rows = if passes == 1 { &log[..] } else { &log[..200] };
        rows.iter().try_for_each(|(d, w)| visit(d, *w))
    })
    .unwrap_err();
    assert!(error.to_string().contains("the log changed between passes"), "{error}");
}

#[test]
fn a_log_that_touches_more_weights_than_the_solver_takes_is_refused() {
    // Every decision its own plan: three new weights each (shared, channel and bucket blocks),
    // some 7,000 of the 16,384 slots after collisions.
    let log: Vec<(LoggedDecision, f64)> = (0..3000)
        .map(|i| {
            let context = Context::new().cat("plan", format!("p{i}"));
            let reward = Some(f64::from(i % 2));
            (LoggedDecision { debtor: None, context, channel: "sms".into(), hour: 9, reward }, 1.0)
        })
        .collect();
    match fitted(&log) {
        Ok(fitted) => panic!("fitted {} weights", fitted.prior.len()),
        Err(error) => {
            let error = error.to_string();
            assert!(error.contains("more than the 4096 the dense Newton solver takes"), "{error}");
        }
    }
}
