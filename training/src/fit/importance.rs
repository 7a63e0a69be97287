//! Importance weights for `fit --importance-weights`: each decision with an outcome counts by
//! its clipped, self-normalised inverse propensity, so that a log written by an exploring or
//! another policy does not bias the model towards the arms that policy chose often.
//!
//! # The estimator, and why
//! The log's decision `i` was chosen with the logged `propensity` `p_i`. Weighting its likelihood
//! by `1 / p_i` (Horvitz & Thompson 1952) makes the weighted log, in expectation, the log in
//! which every allowed arm was tried on every reminder: each arm is then learned from the
//! reminders it was allowed on, not from those its logging policy favoured it for. That is the
//! weighted likelihood for a shifted design (Shimodaira 2000, "Improving predictive inference
//! under covariate shift by weighting the log-likelihood function"), the target being every
//! allowed arm alike.
//!
//! Two corrections make the weights usable in the bandit's one-pass Laplace update:
//! - **Self-normalised** to mean 1 over the log (Swaminathan & Joachims 2015, "The
//!   self-normalized estimator for counterfactual learning"). The update reads a weight as a
//!   number of observations: raw inverse propensities average about the number of allowed arms
//!   (12 to 60 here), which would make the model as sure as a log that many times longer. With
//!   mean 1 the weighted log holds as much evidence as the log has decisions; only the split
//!   between arms changes.
//! - **Clipped** at `clip` (Ionides 2008, "Truncated importance sampling"; Bottou et al. 2013,
//!   "Counterfactual reasoning and learning systems", section 4.4): no decision counts more than
//!   `clip` average ones, so one decision of an exploring policy's `epsilon` floor (propensity
//!   1e-4 and less) cannot carry the fit. Clipping trades a bias (the rarest choices stay
//!   under-weighted) for a bounded variance; the summary reports how many were clipped and the
//!   effective sample size, `(sum w)^2 / sum w^2` (Kish 1965).
//!
//! Clipping and normalising are done together: the scale `s` is solved exactly so that
//! `w_i = min(clip, s / p_i)` has mean 1, so every weight is at most `clip` and the weights still
//! average 1 (a clip applied after normalising would lower the mean, one applied before would
//! be undone by it).
//!
//! A doubly robust target (Dudík, Langford & Li 2011) was not chosen: it corrects an estimate of
//! a policy's value with a reward model, and here the reward model is what is being fitted;
//! `evaluate` uses it where it belongs.

use std::fmt;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;

use crate::log::BadLine;

/// `--clip`'s default: no decision counts more than ten average ones.
pub const DEFAULT_CLIP: f64 = 10.0;

/// The weight of each decision with an outcome, in log order, and how they came about.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportanceWeights {
    pub weights: Vec<f64>,
    pub clip: f64,
    /// Decisions whose weight the clip lowered.
    pub clipped: usize,
    /// `(sum w)^2 / sum w^2`: how many unweighted decisions the weighted log is worth.
    pub effective_sample_size: f64,
}

impl fmt::Display for ImportanceWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let largest = self.weights.iter().copied().fold(0.0, f64::max);
        write!(
            f,
            "importance weights: clipped at {} ({} of {} decisions clipped), largest {:.2}, effective sample size {:.0}",
            self.clip,
            self.clipped,
            self.weights.len(),
            largest,
            self.effective_sample_size
        )
    }
}

/// The two fields of a log line that the weights need; serde skips the others unread.
#[derive(Deserialize)]
struct Weighed {
    #[serde(default)]
    propensity: Option<Value>,
    #[serde(default)]
    reward: Option<Value>,
}

/// Reads the logged propensity of every decision with an outcome (a `reward` that is not
/// null), in order; `name` (the file) prefixes errors. A missing, null, zero or out-of-range
/// propensity on such a line stops the read with its line number and the field; pending lines
/// teach nothing and need none.
pub fn read_propensities(reader: impl BufRead, name: &str) -> anyhow::Result<Vec<f64>> {
    let mut propensities = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| anyhow::anyhow!("{name}: reading line {number}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |field: &str, reason: String| {
            anyhow::anyhow!("{name}: {}", BadLine { line: number, field: field.to_owned(), reason })
        };
        let weighed: Weighed =
            serde_json::from_str(&line).map_err(|e| bad("json", format!("not a decision-log line: {e}")))?;
        if weighed.reward.is_none() {
            continue;
        }
        let propensity = match weighed.propensity {
            None => {
                return Err(bad(
                    "propensity",
                    "is missing or null: --importance-weights needs the probability with which the logging policy chose each decision".into(),
                ))
            }
            Some(v) => match v.as_f64().filter(|p| *p > 0.0 && *p <= 1.0) {
                Some(p) => p,
                None if v.as_f64() == Some(0.0) => return Err(bad(
                    "propensity",
                    "is 0: the logging policy could not have chosen this arm, so it has no importance weight (1 / propensity)".into(),
                )),
                None => return Err(bad("propensity", format!("must be a number in (0, 1], got {v}"))),
            },
        };
        propensities.push(propensity);
    }
    Ok(propensities)
}

/// `clip` if it is a finite number of at least 1 (a mean of 1 needs room for it), else the
/// error naming `--clip`.
pub fn check_clip(clip: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(clip.is_finite() && clip >= 1.0, "--clip: must be a finite number >= 1, got {clip}");
    Ok(clip)
}

/// The clipped, self-normalised inverse-propensity weights of `propensities` (each in `(0, 1]`):
/// `w_i = min(clip, s / p_i)` with the scale `s` for which the weights average exactly 1.
/// `clip` must pass [`check_clip`].
pub fn weights(propensities: &[f64], clip: f64) -> anyhow::Result<ImportanceWeights> {
    check_clip(clip)?;
    anyhow::ensure!(!propensities.is_empty(), "no decision with an outcome to weight");
    let n = propensities.len() as f64;
    let mut inverse: Vec<f64> = propensities.iter().map(|p| 1.0 / p).collect();
    inverse.sort_by(|a, b| b.total_cmp(a));
    // With the k largest clipped, the rest scale to fill the mean: s = (n - k clip) / (sum of
    // the rest). The smallest k at which the largest unclipped weight fits under the clip is
    // the solution (each k that fails makes the next s larger, so the ones above stay clipped).
    let mut rest: f64 = inverse.iter().sum();
    let mut scale = n / rest;
    for (k, &r) in inverse.iter().enumerate() {
        scale = (n - k as f64 * clip) / rest;
        // The tolerance keeps a weight that rounding puts a hair above the clip from clipping
        // its equals one by one.
        if scale * r <= clip * (1.0 + 1e-12) {
            break;
        }
        rest -= r;
    }
    let weights: Vec<f64> = propensities.iter().map(|p| (scale / p).min(clip)).collect();
    let clipped = propensities.iter().filter(|p| scale / **p > clip * (1.0 + 1e-12)).count();
    let (sum, squares) = weights.iter().fold((0.0, 0.0), |(s, q), w| (s + w, q + w * w));
    Ok(ImportanceWeights { weights, clip, clipped, effective_sample_size: sum * sum / squares })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean(w: &[f64]) -> f64 {
        w.iter().sum::<f64>() / w.len() as f64
    }

    #[test]
    fn without_clipping_the_weights_are_inverse_propensities_with_mean_one() {
        let w = weights(&[0.5, 0.25, 0.125, 0.5], 10.0).unwrap();
        // 1/p = 2, 4, 8, 2; mean 4.
        assert_eq!(w.weights, [0.5, 1.0, 2.0, 0.5]);
        assert_eq!(w.clipped, 0);
        assert!((w.effective_sample_size - 16.0 / 5.5).abs() < 1e-12);
    }

    #[test]
    fn the_clip_bounds_every_weight_and_the_mean_stays_one() {
        // One rare choice among many common ones: unclipped it would weigh 1000 / 1.999 ~ 500.
        let mut propensities = vec![0.9; 999];
        propensities.push(0.0009);
        for clip in [1.0, 2.0, 10.0, 50.0] {
            let w = weights(&propensities, clip).unwrap();
            assert!(w.weights.iter().all(|x| *x <= clip + 1e-12), "clip {clip}: {:?}", w.weights.last());
            assert!((mean(&w.weights) - 1.0).abs() < 1e-9, "clip {clip}: mean {}", mean(&w.weights));
            assert_eq!(w.clipped, 1, "clip {clip}: only the rare choice is clipped");
        }
        // At clip 1 every decision counts once: the unweighted fit.
        assert!(weights(&propensities, 1.0).unwrap().weights.iter().all(|x| (x - 1.0).abs() < 1e-9));
        let ten = weights(&propensities, 10.0).unwrap();
        assert_eq!(*ten.weights.last().unwrap(), 10.0);
        // The others share the rest equally, as their propensities are equal.
        assert!((ten.weights[0] - 990.0 / 999.0).abs() < 1e-9);
    }

    #[test]
    fn a_clip_below_one_is_refused() {
        for clip in [0.5, f64::NAN, f64::INFINITY] {
            let error = weights(&[0.5], clip).unwrap_err().to_string();
            assert!(error.starts_with("--clip:"), "{error}");
        }
    }

    #[test]
    fn reads_the_propensity_of_each_decision_with_an_outcome() {
        let text = "{\"propensity\":0.5,\"reward\":1}\n\n{\"reward\":null}\n{\"propensity\":0.25,\"reward\":0,\"channel\":\"sms\"}\n";
        assert_eq!(read_propensities(text.as_bytes(), "log").unwrap(), [0.5, 0.25]);
    }

    #[test]
    fn a_missing_or_zero_propensity_is_named_with_its_line() {
        let cases = [
            ("{\"reward\":1}", "is missing or null"),
            ("{\"propensity\":null,\"reward\":1}", "is missing or null"),
            ("{\"propensity\":0,\"reward\":1}", "is 0"),
            ("{\"propensity\":1.5,\"reward\":1}", "must be a number in (0, 1]"),
            ("{\"propensity\":\"high\",\"reward\":1}", "must be a number in (0, 1]"),
        ];
        for (line, reason) in cases {
            let text = format!("{{\"propensity\":0.5,\"reward\":1}}\n{line}\n");
            let error = read_propensities(text.as_bytes(), "log.jsonl").unwrap_err().to_string();
            assert!(error.starts_with("log.jsonl: line 2: field `propensity`: "), "{error}");
            assert!(error.contains(reason), "{error}");
        }
        let error = read_propensities("{\"propensity\":".as_bytes(), "log.jsonl").unwrap_err().to_string();
        assert!(error.starts_with("log.jsonl: line 1: field `json`"), "{error}");
    }
}
