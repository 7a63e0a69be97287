//! The doubly robust estimator (Dudík, Langford & Li 2011): a reward model's prediction of the
//! target's value, corrected by the importance-weighted error of that model on the arms the log
//! took. Unbiased if either the propensities or the reward model are right; with a useful model
//! it has far less variance than IPS, because the weights only multiply the model's residual.
//! The model is fitted on the same log with cross-fitting (see
//! [`reward_model`](super::reward_model)), so that no decision's own reward enters its
//! prediction.

use super::Sums;

/// `sum_i (q_i(pi) + w_i (v_i - q_i(logged))) / n`.
pub fn dr(s: &Sums) -> f64 {
    if s.n > 0.0 {
        s.doubly_robust / s.n
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ope::{ips, Term};

    #[test]
    fn a_perfect_model_leaves_nothing_to_correct_and_no_model_is_ips() {
        // Target value 0.6 everywhere, logged arm value 0.2, the model knows both.
        let terms: Vec<Term> = (0..10)
            .map(|i| Term {
                weight: if i % 2 == 0 { 0.0 } else { 2.0 },
                value: if i % 3 == 0 { 1.0 } else { 0.0 },
                predicted_logged: 0.2,
                predicted_target: 0.6,
            })
            .collect();
        let sums = Sums::of(&terms);
        let correction: f64 = terms.iter().map(|t| t.weight * (t.value - 0.2)).sum::<f64>() / 10.0;
        assert!((dr(&sums) - (0.6 + correction)).abs() < 1e-12);

        let no_model: Vec<Term> =
            terms.iter().map(|t| Term { predicted_logged: 0.0, predicted_target: 0.0, ..*t }).collect();
        let sums = Sums::of(&no_model);
        assert!((dr(&sums) - ips(&sums)).abs() < 1e-12);
    }
}
