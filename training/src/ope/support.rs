//! When a log cannot support an estimate of a target policy, and why.
//!
//! Inverse-propensity estimates are unbiased only where the logging policy could have taken
//! every arm the target takes. A line's `propensity` gives the probability of the logged arm
//! only, so the logging policy's support is inferred:
//! - a line logged with propensity 1 came from a deterministic policy (the fixed schedule): it
//!   could have taken nothing but its own arm. Where the target would put any mass on another
//!   arm, the log holds no outcome of the target's choice and nothing corrects for it: the
//!   estimate is refused.
//! - a line logged with propensity below 1 came from a randomised policy (uniform, or the
//!   adaptive policy with its `epsilon` floor over every allowed arm): it is taken to support
//!   every allowed arm. Still, an arm that no line of the whole log ever took has no outcome at
//!   all; a target that puts more than the caller's tolerance of its mass there is refused too,
//!   because the estimate would rest on the reward model's guess alone.
//! - if no logged decision took an arm the target takes, there is nothing to reweight.
//! - the effective sample size must reach a minimum (default [`Limits::default`]'s 50): below
//!   it the estimate rests on a handful of decisions with huge weights, and neither the
//!   estimate nor its bootstrap interval can be trusted (on simulated logs of the adaptive
//!   policy with an effective sample size of 4 to 10, the intervals missed the truth by far).
//! - the average importance weight must be 1 up to noise ([`WeightBalance`]): its expectation
//!   is exactly `sum_a pi(a | x) = 1` whatever the target, if the propensities are right. Far
//!   from 1 (by more than [`MAX_IMBALANCE`] bootstrap standard errors) the log took the
//!   target's arms much less (or more) often than its propensities promise: they are wrong, or
//!   the target's arms had such small propensities that the log holds too few of their
//!   outcomes for the weights to average out. Either way IPS and DR would be off with intervals
//!   that look sure, so the estimate is refused.

use std::collections::HashSet;

use super::reward_model::Arm;
use super::Sums;

/// What the caller tolerates before an estimate is refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Share of the target's mass allowed on arms no line of the log took. Default 0.01.
    pub max_unexplored: f64,
    /// Smallest effective sample size an estimate may rest on. Default 50.
    pub min_ess: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_unexplored: 0.01, min_ess: 50.0 }
    }
}

/// Why an effective sample size of `ess` is too small, if it is.
pub fn too_few(ess: f64, limits: &Limits) -> Option<String> {
    (ess < limits.min_ess).then(|| {
        format!(
            "the effective sample size is {ess:.1} (at least {} wanted, --min-ess): the estimate would rest on \
             a handful of decisions with huge importance weights, and neither it nor its interval could be \
             trusted. Use a longer log or one of a more exploring policy (uniform)",
            limits.min_ess
        )
    })
}

/// How well a log supports one target, decision by decision.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Support {
    pub decisions: usize,
    /// Decisions logged with propensity 1 on which the target puts mass elsewhere.
    pub deterministic_conflicts: usize,
    /// The target's mass on arms no line of the log took, averaged over decisions.
    pub unexplored_mass: f64,
    /// Decisions whose logged arm the target could take (positive weight).
    pub matched: usize,
}

/// One decision as the support check sees it.
pub struct Checked<'a> {
    pub logged: Arm,
    pub propensity: f64,
    /// The target's probabilities of its arms (those above zero).
    pub target: &'a [(Arm, f64)],
}

/// The arms some line of the log took.
pub fn explored(logged: impl Iterator<Item = Arm>) -> HashSet<Arm> {
    logged.collect()
}

pub fn check<'a>(decisions: impl Iterator<Item = Checked<'a>>, explored: &HashSet<Arm>) -> Support {
    let mut support = Support::default();
    let mut unexplored = 0.0;
    for d in decisions {
        support.decisions += 1;
        let on_logged: f64 = d.target.iter().filter(|(a, _)| *a == d.logged).map(|(_, p)| p).sum();
        if on_logged > 0.0 {
            support.matched += 1;
        }
        if d.propensity >= 1.0 && on_logged < 1.0 - 1e-12 {
            support.deterministic_conflicts += 1;
        }
        unexplored += d.target.iter().filter(|(a, _)| !explored.contains(a)).map(|(_, p)| p).sum::<f64>();
    }
    if support.decisions > 0 {
        support.unexplored_mass = unexplored / support.decisions as f64;
    }
    support
}

impl Support {
    /// Why no estimate can be given, or `None` if one can. `max_unexplored` is the share of the
    /// target's mass allowed on arms no line took.
    pub fn refusal(&self, max_unexplored: f64) -> Option<String> {
        if self.deterministic_conflicts > 0 {
            return Some(format!(
                "{} of {} decisions were logged with propensity 1 (a deterministic policy such as the fixed \
                 schedule) and the candidate would choose differently on them: the log holds no outcome of \
                 the candidate's choice there, so no estimate is possible. Evaluate on a log of a randomised \
                 policy (uniform, or the adaptive policy with its epsilon floor)",
                self.deterministic_conflicts, self.decisions
            ));
        }
        if self.unexplored_mass > max_unexplored {
            return Some(format!(
                "the candidate puts {:.2} % of its choices on (channel, hour) arms that no decision of the log \
                 ever took (allowed: {:.2} %, --max-unexplored): the log cannot say what they earn",
                100.0 * self.unexplored_mass,
                100.0 * max_unexplored
            ));
        }
        if self.matched == 0 {
            return Some(format!(
                "none of the {} decisions took an arm the candidate would take: there is nothing to reweight",
                self.decisions
            ));
        }
        None
    }
}

/// How many bootstrap standard errors the average importance weight may lie from 1. Under right
/// propensities a deviation of 4 has a chance of about 6 in 100,000.
pub const MAX_IMBALANCE: f64 = 4.0;

/// The average importance weight and its bootstrap standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightBalance {
    pub mean: f64,
    pub standard_error: f64,
}

impl WeightBalance {
    /// From the sums of the data and of the bootstrap replicates.
    pub fn of(data: &Sums, replicates: &[Sums]) -> WeightBalance {
        let means: Vec<f64> = replicates.iter().filter(|s| s.n > 0.0).map(|s| s.weight / s.n).collect();
        let m = means.iter().sum::<f64>() / means.len().max(1) as f64;
        let var = means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (means.len().max(2) - 1) as f64;
        WeightBalance { mean: data.weight / data.n, standard_error: var.sqrt() }
    }

    /// Standard errors between the average weight and 1.
    pub fn imbalance(&self) -> f64 {
        let off = (self.mean - 1.0).abs();
        if off < 1e-9 {
            0.0
        } else if self.standard_error > 0.0 {
            off / self.standard_error
        } else {
            f64::INFINITY
        }
    }

    pub fn refusal(&self) -> Option<String> {
        (self.imbalance() > MAX_IMBALANCE).then(|| {
            format!(
                "the average importance weight is {:.3} (bootstrap standard error {:.3}); with right propensities \
                 it is 1 up to noise, here it is {:.1} standard errors away: the log took the candidate's arms \
                 far {} often than its propensities promise. Either the propensities are wrong, or the \
                 candidate's arms were explored with such small propensities that this log holds too few of \
                 their outcomes; IPS and DR would be off with intervals that look sure. Use a longer log or one \
                 of a more exploring policy (uniform)",
                self.mean,
                self.standard_error,
                self.imbalance(),
                if self.mean < 1.0 { "less" } else { "more" }
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Arm = Arm { channel: 0, hour: 10 };
    const B: Arm = Arm { channel: 1, hour: 10 };

    /// (logged arm, propensity, the target's arms and probabilities)
    type Line<'a> = (Arm, f64, &'a [(Arm, f64)]);

    fn support(lines: &[Line<'_>]) -> Support {
        let explored = explored(lines.iter().map(|(a, _, _)| *a));
        let checked = lines.iter().map(|(logged, propensity, target)| Checked {
            logged: *logged,
            propensity: *propensity,
            target,
        });
        check(checked, &explored)
    }

    #[test]
    fn a_fixed_log_supports_only_a_target_that_agrees() {
        let agrees = support(&[(A, 1.0, &[(A, 1.0)]), (A, 1.0, &[(A, 1.0)])]);
        assert_eq!(agrees.refusal(0.0), None);
        let differs = support(&[(A, 1.0, &[(B, 1.0)]), (A, 1.0, &[(A, 1.0)])]);
        assert_eq!(differs.deterministic_conflicts, 1);
        assert!(differs.refusal(1.0).unwrap().contains("propensity 1"));
        let mixes = support(&[(A, 1.0, &[(A, 0.9), (B, 0.1)])]);
        assert!(mixes.refusal(1.0).unwrap().contains("propensity 1"));
    }

    #[test]
    fn a_randomised_log_supports_the_arms_it_took() {
        let ok = support(&[(A, 0.5, &[(B, 1.0)]), (B, 0.5, &[(B, 1.0)])]);
        assert_eq!((ok.matched, ok.refusal(0.0)), (1, None));
        let never_b = support(&[(A, 0.5, &[(B, 1.0)]), (A, 0.5, &[(A, 1.0)])]);
        assert_eq!(never_b.unexplored_mass, 0.5);
        assert!(never_b.refusal(0.01).unwrap().contains("50.00 %"));
        let unmatched = support(&[(A, 0.5, &[(B, 1.0)]), (B, 0.5, &[(A, 1.0)])]);
        assert!(unmatched.refusal(0.0).unwrap().contains("nothing to reweight"));
    }

    #[test]
    fn an_average_weight_far_from_one_is_refused() {
        let balanced = WeightBalance { mean: 0.97, standard_error: 0.02 };
        assert_eq!(balanced.refusal(), None);
        let starved = WeightBalance { mean: 0.2, standard_error: 0.02 };
        assert!(starved.refusal().unwrap().contains("less often"));
        assert!(too_few(12.0, &Limits::default()).unwrap().contains("effective sample size is 12.0"));
        assert_eq!(too_few(50.0, &Limits::default()), None);
        let exact = WeightBalance { mean: 1.0, standard_error: 0.0 };
        assert_eq!(exact.imbalance(), 0.0);
        let data = Sums { n: 4.0, weight: 4.0, ..Sums::default() };
        let replicates = [
            Sums { n: 2.0, weight: 1.0, ..Sums::default() },
            Sums { n: 2.0, weight: 3.0, ..Sums::default() },
        ];
        let b = WeightBalance::of(&data, &replicates);
        assert_eq!((b.mean, b.standard_error), (1.0, 0.5f64.sqrt()));
    }
}
