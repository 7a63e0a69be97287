//! Inverse propensity scoring: each logged value reweighted by how much more (or less) often
//! the target would have taken the logged arm.
//!
//! - IPS `= sum(w v) / n`: unbiased whenever the target only takes arms the logging policy could
//!   take (see [`support`](super::support)); its variance grows with the weights.
//! - Self-normalised IPS `= sum(w v) / sum(w)`: divides by the realised total weight instead of
//!   its expectation `n`; slightly biased (of order `1/n`), usually far less variable, and
//!   invariant to adding a constant to every value.
//! - Effective sample size `= (sum w)^2 / sum(w^2)` (Kish): how many decisions' worth of
//!   information the reweighted log holds about the target.

use super::Sums;

pub fn ips(s: &Sums) -> f64 {
    if s.n > 0.0 {
        s.weighted_value / s.n
    } else {
        f64::NAN
    }
}

/// `None` when the total weight is zero: no logged decision took an arm the target would take.
pub fn snips(s: &Sums) -> Option<f64> {
    (s.weight > 0.0).then(|| s.weighted_value / s.weight)
}

pub fn ess(s: &Sums) -> f64 {
    if s.weight_squared > 0.0 {
        s.weight * s.weight / s.weight_squared
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ope::Term;

    fn term(weight: f64, value: f64) -> Term {
        Term { weight, value, ..Term::default() }
    }

    #[test]
    fn reweights_by_the_target_over_the_logging_probability() {
        // Logged uniformly over two arms (propensity 0.5); the target always takes arm A, which
        // paid once in two tries; arm B's outcomes get weight 0.
        let terms = [term(2.0, 1.0), term(2.0, 0.0), term(0.0, 1.0), term(0.0, 1.0)];
        let sums = Sums::of(&terms);
        assert_eq!(ips(&sums), 0.5);
        assert_eq!(snips(&sums), Some(0.5));
        assert_eq!(ess(&sums), 2.0);
    }

    #[test]
    fn snips_differs_from_ips_when_the_weights_do_not_average_one() {
        let sums = Sums::of(&[term(3.0, 1.0), term(0.0, 0.0), term(0.0, 0.0), term(0.0, 0.0)]);
        assert_eq!(ips(&sums), 0.75);
        assert_eq!(snips(&sums), Some(1.0));
        assert_eq!(ess(&sums), 1.0);
    }

    #[test]
    fn nothing_matched_means_no_snips() {
        let sums = Sums::of(&[term(0.0, 1.0)]);
        assert_eq!(snips(&sums), None);
        assert_eq!(ess(&sums), 0.0);
    }
}
