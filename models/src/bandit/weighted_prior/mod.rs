//! Warm start with sample weights: the regression of [`prior`](super::prior) (the bandit's hashed
//! population features of the chosen arm, the L2 penalty `1 / prior_variance`, a reward of at
//! least 0.5 counting as paid) with each decision's log-likelihood multiplied by its weight,
//! fitted by Newton's method over passes of the log.
//!
//! # Why its own solver
//! linfa-logistic 0.8 takes no sample weights, and a warm start fitted without them on a log that
//! another policy wrote carries that policy's bias into the prior, the bias importance weights
//! remove from the updates (`mahnwerk-train fit --importance-weights`). The weighted penalised
//! log-likelihood `sum_i w_i (y_i eta_i - log(1 + e^eta_i)) - |beta|^2 / (2 prior_variance)` is
//! concave, so Newton's method (iteratively reweighted least squares) reaches its maximum; a
//! weight `k` counts as the row duplicated `k` times, and with every weight 1 it is the problem
//! linfa's [`fit_prior`](super::fit_prior) solves.
//!
//! # Why passes
//! A log holds millions of decisions but touches few weights (some hundreds to a few thousand: the
//! arm's parts crossed with the context's values), so a step keeps the gradient and the dense
//! Hessian over those weights and reads the log once to fill them: memory is `8 d^2` bytes for
//! `d` weights, whatever the log's length. The first pass finds the weights, each Newton step is
//! one more (from zero it takes some five to eight); the caller decides how a pass reads the log
//! (a file read again, a slice walked again), and must give the same decisions in the same order.
//!
//! # Why most fits read the log once
//! A decision's row holds only what the features see of it (its context's values crossed with
//! its arm), so a log of millions of decisions holds far fewer distinct rows: the first pass
//! keeps each distinct `(row, label)` once with the sum of its weights, and the Newton steps
//! walk those instead of the log. That is the same objective (a weight is a repetition count),
//! summed in another order. Past [`MAX_DISTINCT_ROWS`] distinct rows (a context with a value per
//! decision) the kept rows are dropped and every step reads the log again, as above, so memory
//! stays bounded whatever the log holds.
//!
//! Each step solves `H step = -g` by Cholesky (`H` is positive definite: the penalty adds
//! `1 / prior_variance` to its diagonal). A step that raises the objective's negative is halved
//! until it does not (one pass each); the fit stops when no weight moves by more than
//! [`NEWTON_TOLERANCE`], and after [`MAX_NEWTON_STEPS`] steps without that it is an error.

use std::collections::HashMap;

use super::features::{self, channel_hash, Encoded};
use super::hashing::slot;
use super::learner::check_reward;
use super::prior::Prior;
use super::{BanditError, LoggedDecision, ValidBanditParams};

/// Most weights a log may touch: the Hessian is dense, `8 d^2` bytes (128 MiB at this bound),
/// and each step's Cholesky costs `d^3 / 6` multiply-adds.
pub const MAX_PRIOR_WEIGHTS: usize = 4096;

/// The fit has converged when a Newton step moves no weight (a log-odds) by more than this.
pub const NEWTON_TOLERANCE: f64 = 1e-6;

/// Newton steps (halvings included) after which a fit that has not converged is an error.
pub const MAX_NEWTON_STEPS: usize = 50;

/// Most distinct rows the first pass keeps for the Newton steps (about 100 bytes each plus 12 per
/// feature: some 60 MiB at this bound); a log with more is read again for every step.
pub const MAX_DISTINCT_ROWS: usize = 250_000;

/// What one pass hands each decision to: the decision and the weight its likelihood counts with
/// (finite, at least 0).
pub type Visit<'a> = dyn FnMut(&LoggedDecision, f64) -> Result<(), BanditError> + 'a;

/// A fitted weighted prior and what fitting it took.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedPrior {
    pub prior: Prior,
    /// Newton steps taken (halvings included).
    pub newton_steps: usize,
    /// Passes over the log: one to find the weights and its distinct rows; one more per step
    /// when it held more than [`MAX_DISTINCT_ROWS`].
    pub passes: usize,
    /// Decisions with a reward and a weight above 0 that the fit learned from.
    pub decisions: usize,
}

/// Fits the warm start on the decisions with a reward that `pass` hands over, each counting by
/// its weight. `pass` is called once per pass over the log and must call its argument with every
/// decision and its weight, in the same order each time, and return what that returned when it
/// is an error. Needs paid and unpaid decisions of positive weight.
pub fn fit_prior_weighted<E: From<BanditError>>(
    params: &ValidBanditParams,
    pass: impl FnMut(&mut Visit<'_>) -> Result<(), E>,
) -> Result<WeightedPrior, E> {
    fit(params, MAX_NEWTON_STEPS, MAX_DISTINCT_ROWS, pass)
}

/// [`fit_prior_weighted`] with at most `max_steps` Newton steps, keeping at most `max_distinct`
/// distinct rows from the first pass.
fn fit<E: From<BanditError>>(
    params: &ValidBanditParams,
    max_steps: usize,
    max_distinct: usize,
    mut pass: impl FnMut(&mut Visit<'_>) -> Result<(), E>,
) -> Result<WeightedPrior, E> {
    let mut design = Design::new(params);
    let (mut paid, mut unpaid) = (0.0, 0.0);
    let mut distinct = Some(DistinctRows::default());
    pass(&mut |logged, weight| {
        let Some((row, y, w)) = design.row(logged, weight, true)? else { return Ok(()) };
        if y == 1.0 {
            paid += w;
        } else {
            unpaid += w;
        }
        if let Some(kept) = &mut distinct {
            kept.add(row, y, w);
            if kept.len() > max_distinct {
                distinct = None;
            }
        }
        Ok(())
    })?;
    let distinct = distinct.map(DistinctRows::into_rows);
    let decisions = design.rows;
    let d = design.columns.len();
    if decisions == 0 {
        return Err(refused("the log holds no decision with a reward and a weight above 0"));
    }
    if paid == 0.0 || unpaid == 0.0 {
        return Err(refused(
            "the log needs paid and unpaid decisions (a reward of at least 0.5 counts as paid)",
        ));
    }
    if d > MAX_PRIOR_WEIGHTS {
        return Err(refused(format!(
            "the log's decisions touch {d} weights, more than the {MAX_PRIOR_WEIGHTS} the dense Newton solver takes; \
             fit on fewer context keys or values"
        )));
    }

    let penalty = 1.0 / params.prior_variance;
    let mut beta = vec![0.0; d];
    // The point and step of the last step taken, and the objective where it started.
    let mut last: Option<(Vec<f64>, Vec<f64>, f64)> = None;
    let (mut steps, mut passes) = (0, 1);
    loop {
        let mut sums = Sums::new(d);
        if let Some(rows) = &distinct {
            for (row, y, w) in rows {
                sums.add(row, &beta, *y, *w);
            }
        } else {
            design.rows = 0;
            pass(&mut |logged, weight| {
                let Some((row, y, w)) = design.row(logged, weight, false)? else { return Ok(()) };
                sums.add(row, &beta, y, w);
                Ok(())
            })?;
            passes += 1;
        }
        if design.rows != decisions {
            return Err(refused(format!(
                "the log changed between passes ({decisions} decisions with a reward, then {})",
                design.rows
            )));
        }
        let objective = sums.finish(&beta, penalty);
        if let Some((start, step, before)) = &mut last {
            // A step past the minimum: try half of it (the objective is convex, so some share of
            // a descent direction lowers it). The margin is far above the rounding of a sum over
            // millions of rows, which must not pass for a rise near the minimum.
            if objective > *before + RISE_MARGIN * before.abs() {
                if largest(step) <= NEWTON_TOLERANCE {
                    beta.clone_from(start);
                    break;
                }
                if steps >= max_steps {
                    return Err(not_converged(step, max_steps).into());
                }
                step.iter_mut().for_each(|s| *s *= 0.5);
                beta.iter_mut().zip(start.iter().zip(step.iter())).for_each(|(b, (a, s))| *b = a + s);
                steps += 1;
                continue;
            }
        }
        let step = sums.newton_step()?;
        if largest(&step) <= NEWTON_TOLERANCE {
            beta.iter_mut().zip(&step).for_each(|(b, s)| *b += s);
            break;
        }
        if steps >= max_steps {
            return Err(not_converged(&step, max_steps).into());
        }
        let start = beta.clone();
        beta.iter_mut().zip(&step).for_each(|(b, s)| *b += s);
        last = Some((start, step, objective));
        steps += 1;
    }
    if beta.iter().any(|b| !b.is_finite()) {
        return Err(refused("the Newton fit gave a weight that is not a finite number"));
    }
    let mut slots = vec![0u32; d];
    for (&s, &j) in &design.columns {
        slots[j] = s;
    }
    let means = beta.iter().map(|&b| b as f32).collect();
    Ok(WeightedPrior { prior: Prior::new(params, slots, means), newton_steps: steps, passes, decisions })
}

/// The warm start's refusal, as the caller's error.
fn refused<E: From<BanditError>>(reason: impl Into<String>) -> E {
    BanditError::Prior(reason.into()).into()
}

/// A rise of the objective by less than this share of it is taken as rounding, not as a step
/// past the minimum.
const RISE_MARGIN: f64 = 1e-9;

/// The largest move of one weight in `step`.
fn largest(step: &[f64]) -> f64 {
    step.iter().fold(0.0f64, |m, s| m.max(s.abs()))
}

fn not_converged(step: &[f64], max_steps: usize) -> BanditError {
    let largest = largest(step);
    BanditError::Prior(format!(
        "the weighted logistic regression did not converge in {max_steps} Newton steps (the last moved a weight by {largest:.2e}, \
         the tolerance is {NEWTON_TOLERANCE:e}); a few decisions with very large weights can cause this: clip the weights lower"
    ))
}

/// One row of the design: its `(column, value)` pairs, its label (1 paid, 0 not) and its weight.
type Row<'a> = (&'a [(usize, f64)], f64, f64);

/// A row's columns and the bits of their values, and its label (paid or not): a distinct row.
type RowKey = (Box<[(u32, u64)]>, bool);

/// A distinct row as the steps read it: its `(column, value)` pairs, its label and its summed weight.
type WeightedRow = (Vec<(usize, f64)>, f64, f64);

/// The first pass's distinct rows: each `(row, label)` once, with the sum of its weights.
#[derive(Default)]
struct DistinctRows {
    /// A row's columns and values' bits, and its label, to the index of its sum in `weights`.
    index: HashMap<RowKey, usize>,
    weights: Vec<f64>,
}

impl DistinctRows {
    fn add(&mut self, row: &[(usize, f64)], y: f64, w: f64) {
        let key: Box<[(u32, u64)]> = row.iter().map(|&(j, x)| (j as u32, x.to_bits())).collect();
        let next = self.weights.len();
        let at = *self.index.entry((key, y == 1.0)).or_insert(next);
        if at == next {
            self.weights.push(0.0);
        }
        self.weights[at] += w;
    }

    fn len(&self) -> usize {
        self.weights.len()
    }

    /// The rows as the steps add them, in the order they were first seen.
    fn into_rows(self) -> Vec<WeightedRow> {
        let mut rows = vec![(Vec::new(), 0.0, 0.0); self.weights.len()];
        for ((key, paid), at) in self.index {
            let row = key.iter().map(|&(j, bits)| (j as usize, f64::from_bits(bits))).collect();
            rows[at] = (row, if paid { 1.0 } else { 0.0 }, self.weights[at]);
        }
        rows
    }
}

/// The design matrix, one row at a time: the columns the log touches (by hashed slot) and the
/// current row's `(column, value)` pairs.
struct Design {
    hash_bits: u8,
    hour_bucket: u8,
    columns: HashMap<u32, usize>,
    enc: Encoded,
    row: Vec<(usize, f64)>,
    /// Rows with a reward and a weight above 0 seen in this pass.
    rows: usize,
}

impl Design {
    fn new(params: &ValidBanditParams) -> Self {
        Design {
            hash_bits: params.hash_bits,
            hour_bucket: params.hour_bucket,
            columns: HashMap::new(),
            enc: Encoded::default(),
            row: Vec::new(),
            rows: 0,
        }
    }

    /// The row of `logged` with its label and weight, or `None` when it teaches nothing (pending,
    /// or weight 0). `grow`: new slots get new columns (the first pass); otherwise a slot the
    /// first pass did not see means the log changed.
    fn row(
        &mut self,
        logged: &LoggedDecision,
        weight: f64,
        grow: bool,
    ) -> Result<Option<Row<'_>>, BanditError> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(BanditError::request("weight", format!("must be finite and >= 0, got {weight}")));
        }
        let Some(reward) = logged.reward else { return Ok(None) };
        check_reward(reward)?;
        logged.validate()?;
        if weight == 0.0 {
            return Ok(None);
        }
        self.rows += 1;
        self.enc.encode(&logged.context, None);
        self.row.clear();
        let (columns, row, bits) = (&mut self.columns, &mut self.row, self.hash_bits);
        let mut unseen = false;
        features::chosen(&self.enc, channel_hash(&logged.channel), logged.hour, self.hour_bucket, |h, x| {
            if x == 0.0 {
                return;
            }
            let s = slot(h, bits) as u32;
            let next = columns.len();
            match columns.get(&s) {
                Some(&j) => row.push((j, f64::from(x))),
                None if grow => {
                    columns.insert(s, next);
                    row.push((next, f64::from(x)));
                }
                None => unseen = true,
            }
        });
        if unseen {
            return Err(BanditError::Prior(
                "the log changed between passes (a decision touches a weight the first pass did not see)"
                    .into(),
            ));
        }
        // In column order, two features hashed to one slot added up (as the dense row holds
        // them), so the Hessian's upper triangle is each pair once.
        row.sort_unstable_by_key(|&(j, _)| j);
        row.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        Ok(Some((&self.row, if reward >= 0.5 { 1.0 } else { 0.0 }, weight)))
    }
}

/// One pass's sums at the current weights: the negative weighted log-likelihood, its gradient
/// and its Hessian (upper triangle while summing), row-major `d x d`.
struct Sums {
    d: usize,
    loss: f64,
    gradient: Vec<f64>,
    hessian: Vec<f64>,
}

impl Sums {
    fn new(d: usize) -> Self {
        Sums { d, loss: 0.0, gradient: vec![0.0; d], hessian: vec![0.0; d * d] }
    }

    /// Adds one row, its columns ascending and distinct.
    fn add(&mut self, row: &[(usize, f64)], beta: &[f64], y: f64, w: f64) {
        let eta: f64 = row.iter().map(|&(j, x)| x * beta[j]).sum();
        let p = sigmoid(eta);
        // log(1 + e^eta) - y eta, computed without overflow.
        self.loss += w * (eta.max(0.0) + (-eta.abs()).exp().ln_1p() - y * eta);
        let (residual, curvature) = (w * (p - y), w * p * (1.0 - p));
        for (a, &(j, x)) in row.iter().enumerate() {
            self.gradient[j] += residual * x;
            let scaled = curvature * x;
            let line = &mut self.hessian[j * self.d..(j + 1) * self.d];
            for &(k, z) in &row[a..] {
                line[k] += scaled * z;
            }
        }
    }

    /// Adds the penalty at `beta` and mirrors the Hessian; returns the objective (to minimise).
    fn finish(&mut self, beta: &[f64], penalty: f64) -> f64 {
        let d = self.d;
        for (j, b) in beta.iter().enumerate() {
            self.gradient[j] += penalty * b;
            self.hessian[j * d + j] += penalty;
            for k in 0..j {
                self.hessian[j * d + k] = self.hessian[k * d + j];
            }
        }
        self.loss + 0.5 * penalty * beta.iter().map(|b| b * b).sum::<f64>()
    }

    /// The Newton step `-H^-1 g`, by Cholesky (`H = L L^T`, `L` written over `H`'s lower triangle).
    fn newton_step(mut self) -> Result<Vec<f64>, BanditError> {
        let (d, h) = (self.d, &mut self.hessian);
        for j in 0..d {
            let mut diagonal = h[j * d + j];
            for k in 0..j {
                diagonal -= h[j * d + k] * h[j * d + k];
            }
            if !(diagonal > 0.0 && diagonal.is_finite()) {
                return Err(BanditError::Prior(format!(
                    "the Hessian is not positive definite at weight {j} ({diagonal})"
                )));
            }
            let diagonal = diagonal.sqrt();
            h[j * d + j] = diagonal;
            for i in j + 1..d {
                let (above, row) = h.split_at_mut(i * d);
                let row_j = &above[j * d..j * d + j];
                let dot: f64 = row[..j].iter().zip(row_j).map(|(a, b)| a * b).sum();
                row[j] = (row[j] - dot) / diagonal;
            }
        }
        // L z = -g, then L^T step = z.
        let mut x: Vec<f64> = self.gradient.iter().map(|g| -g).collect();
        for i in 0..d {
            let dot: f64 = (0..i).map(|k| h[i * d + k] * x[k]).sum();
            x[i] = (x[i] - dot) / h[i * d + i];
        }
        for i in (0..d).rev() {
            let dot: f64 = (i + 1..d).map(|k| h[k * d + i] * x[k]).sum();
            x[i] = (x[i] - dot) / h[i * d + i];
        }
        Ok(x)
    }
}

fn sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

#[cfg(test)]
mod tests;
