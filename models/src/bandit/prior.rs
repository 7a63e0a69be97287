//! Warm start: a payment-propensity logistic regression (linfa-logistic) fitted in batch on logged
//! decisions, loaded as the bandit's prior mean.
//!
//! The regression uses the bandit's own hashed features of the chosen arm, population blocks only
//! (the debtor is left out: a new debtor starts from the population and a known one learns its
//! deviation online), with the L2 penalty `alpha = 1 / prior_variance`, i.e. the same Gaussian
//! prior, so its coefficients are the MAP weights the bandit would have reached in batch. The
//! prior precision is left as it is: the warm start moves where exploration starts, not how
//! sure the bandit is, so a prior fitted on another tenant is corrected quickly.
//!
//! The design matrix is dense over the slots the log touches (rows x distinct slots x 8 bytes):
//! pass a sample of at most some ten thousand decisions; [`MAX_CELLS`] is enforced.

use std::collections::HashMap;

use linfa::traits::Fit;
use linfa::Dataset;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::features::{self, channel_hash, Encoded};
use super::hashing::slot;
use super::learner::BanditStats;
use super::pending::Pending;
use super::weights::Weights;
use super::{Bandit, BanditError, LoggedDecision, ValidBanditParams};

/// Largest design matrix [`fit_prior`] builds: 2^25 cells, 256 MiB.
pub const MAX_CELLS: usize = 1 << 25;

/// Prior means for the population slots, for the hashing of the parameters it was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    hash_bits: u8,
    hour_bucket: u8,
    slots: Vec<u32>,
    means: Vec<f32>,
}

impl Prior {
    /// A prior for `params`' hashing: `means[i]` for slot `slots[i]`.
    pub(crate) fn new(params: &ValidBanditParams, slots: Vec<u32>, means: Vec<f32>) -> Prior {
        Prior { hash_bits: params.hash_bits, hour_bucket: params.hour_bucket, slots, means }
    }

    /// The `(slot, mean)` pairs the prior sets, in no particular order.
    pub fn means(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.slots.iter().copied().zip(self.means.iter().copied())
    }

    /// Number of weights the prior sets.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// Fits the prior on the decisions of `log` that have a reward (a reward of at least 0.5 counts
/// as paid). Needs both paid and unpaid decisions.
pub fn fit_prior(log: &[LoggedDecision], params: &ValidBanditParams) -> Result<Prior, BanditError> {
    let mut columns: HashMap<u32, usize> = HashMap::new();
    let mut rows: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut paid = Vec::new();
    let mut enc = Encoded::default();
    for logged in log {
        let Some(reward) = logged.reward else { continue };
        logged.validate()?;
        enc.encode(&logged.context, None);
        let mut row = Vec::new();
        let ch = channel_hash(&logged.channel);
        features::chosen(&enc, ch, logged.hour, params.hour_bucket, |h, x| {
            if x != 0.0 {
                let s = slot(h, params.hash_bits) as u32;
                let next = columns.len();
                row.push((*columns.entry(s).or_insert(next), f64::from(x)));
            }
        });
        rows.push(row);
        paid.push(reward >= 0.5);
    }
    let (n, d) = (rows.len(), columns.len());
    if n == 0 {
        return Err(BanditError::Prior("the log holds no decision with a reward".into()));
    }
    if n.saturating_mul(d) > MAX_CELLS {
        return Err(BanditError::Prior(format!("{n} decisions x {d} features is too large; pass a sample")));
    }
    let mut x = Array2::<f64>::zeros((n, d));
    for (i, row) in rows.iter().enumerate() {
        for &(j, v) in row {
            x[[i, j]] += v;
        }
    }
    let fitted = LogisticRegression::default()
        .alpha(1.0 / params.prior_variance)
        .with_intercept(false)
        .max_iterations(200)
        .fit(&Dataset::new(x, Array1::from(paid)))
        .map_err(|e| BanditError::Prior(e.to_string()))?;
    // linfa-logistic labels the more frequent class positive; we want the log-odds of payment.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut by_column = vec![0u32; d];
    for (&s, &j) in &columns {
        by_column[j] = s;
    }
    Ok(Prior {
        hash_bits: params.hash_bits,
        hour_bucket: params.hour_bucket,
        means: fitted.params().iter().map(|&w| (sign * w) as f32).collect(),
        slots: by_column,
    })
}

impl Bandit {
    /// A bandit with no data whose population weights start at `prior` instead of zero. The
    /// prior must have been fitted with the same `hash_bits` and `hour_bucket`.
    pub fn with_prior(params: ValidBanditParams, prior: &Prior, seed: u64) -> Result<Bandit, BanditError> {
        if (prior.hash_bits, prior.hour_bucket) != (params.hash_bits, params.hour_bucket) {
            return Err(BanditError::Prior(format!(
                "fitted for hash_bits {} and hour_bucket {}, the bandit has {} and {}",
                prior.hash_bits, prior.hour_bucket, params.hash_bits, params.hour_bucket
            )));
        }
        let mut weights = Weights::new(&params);
        for (&s, &mean) in prior.slots.iter().zip(&prior.means) {
            if s as usize >= weights.len() || !mean.is_finite() {
                return Err(BanditError::Prior(format!("slot {s} holds {mean}")));
            }
            weights.set(s as usize, mean, 0.0);
        }
        Ok(Bandit::from_parts(params, weights, Pending::default(), 1, BanditStats::default(), seed))
    }
}
