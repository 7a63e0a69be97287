//! Off-policy estimators: what a candidate policy would have earned on the decisions a logging
//! policy made, from the logging policy's propensities. Pure functions over plain numbers; the
//! CLI around them is in `evaluate` and `compare`.
//!
//! Every estimator works on one [`Term`] per logged decision, for one target policy `pi`:
//! the importance weight `w = pi(logged arm | x) / propensity`, the observed value (the reward,
//! or the amount collected minus the channel cost), and a reward model's predictions. They are
//! folded into [`Sums`], from which [`ips`], [`snips`], [`dr`] and [`ess`] are read, so that a
//! bootstrap replicate is one pass adding terms with a weight.
//!
//! # Layout
//! `ips` (IPS, self-normalised IPS, effective sample size) · `dr` (doubly robust) ·
//! `reward_model` (the DR's model, cross-fitted) · `bootstrap` (intervals) · `support` (when
//! the log cannot support an estimate).

pub mod bootstrap;
pub mod dr;
pub mod ips;
pub mod reward_model;
pub mod support;

pub use bootstrap::{interval, poisson_replicates, Interval};
pub use dr::dr;
pub use ips::{ess, ips, snips};

/// One logged decision as the estimators see it, for one target policy.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Term {
    /// `pi(logged arm | x) / propensity`.
    pub weight: f64,
    /// What the logged decision earned: the reward, or amount x reward - cost.
    pub value: f64,
    /// The reward model's prediction of the value of the logged arm.
    pub predicted_logged: f64,
    /// The reward model's prediction of the target's value on this context: `sum_a pi(a | x)
    /// q(x, a)`.
    pub predicted_target: f64,
}

impl Term {
    /// This decision's doubly robust contribution: the model's value of the target, corrected by
    /// the weighted error of the model on the logged arm.
    pub fn doubly_robust(&self) -> f64 {
        self.predicted_target + self.weight * (self.value - self.predicted_logged)
    }
}

/// Weighted sums of terms: everything the estimators read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    /// Number of decisions (or, in a bootstrap replicate, the sum of their weights).
    pub n: f64,
    pub weight: f64,
    pub weight_squared: f64,
    pub weighted_value: f64,
    pub doubly_robust: f64,
}

impl Sums {
    /// Adds `term` counted `times` times (1 for the data, a bootstrap weight in a replicate).
    #[inline]
    pub fn add(&mut self, term: &Term, times: f64) {
        self.n += times;
        self.weight += times * term.weight;
        self.weight_squared += times * term.weight * term.weight;
        self.weighted_value += times * term.weight * term.value;
        self.doubly_robust += times * term.doubly_robust();
    }

    pub fn of(terms: &[Term]) -> Sums {
        let mut sums = Sums::default();
        for term in terms {
            sums.add(term, 1.0);
        }
        sums
    }
}

/// The three estimates from one set of sums; `snips` is `None` where no logged decision took an
/// arm the target would take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimates {
    pub ips: f64,
    pub snips: Option<f64>,
    pub dr: f64,
}

impl Estimates {
    pub fn of(sums: &Sums) -> Estimates {
        Estimates { ips: ips(sums), snips: snips(sums), dr: dr(sums) }
    }
}
