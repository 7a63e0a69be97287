//! The diagonal Gaussian posterior over the hashed weights, and its one-observation Laplace update.
//!
//! Each slot holds a mean `m` and the precision `q_data` that data has added; the prior precision
//! `1 / prior_variance` is added when a slot is read, so the prior strength stays a parameter and
//! an untouched slot costs nothing in a snapshot.
//!
//! # The update (Chapelle & Li 2011, Algorithm 3, one observation at a time)
//! With features `x` of the chosen arm, prior `N(m_i, 1/q_i)` per weight and reward `y` in
//! `[0, 1]`, the posterior mode of `prod_i N(w_i; m_i, 1/q_i) * sigmoid(x.w)^y (1 -
//! sigmoid(x.w))^(1-y)` lies on the line `w = m + a * x / q` where the scalar `a` solves
//! `a = y - sigmoid(mu + a * v)`, with `mu = x.m` and `v = sum x_i^2 / q_i`. We solve it by
//! safeguarded Newton (the root lies in `(y - 1, y)`), move the means there, and add the diagonal
//! of the Hessian at the mode, `x_i^2 p (1 - p)`, to each precision. That is the Laplace
//! approximation of the exact one-observation posterior, restricted to a diagonal.
//!
//! Each slot's data precision is capped at `max_data_precision` (see
//! [`BanditParams::max_data_precision`](super::BanditParams::max_data_precision)): past the cap a
//! weight moves by a fixed share of each residual, an exponential forgetting of old outcomes, so
//! that it follows a world that changes.
//!
//! The debtor's own effects ([`debtors`](super::debtors)) join the same step: their mean and
//! variance are added to `mu` and `v`, the one scalar `a` moves both parts, and each part adds
//! its own share of the curvature (see [`laplace_step`]).
//!
//! # Weighted observations
//! An observation with weight `k >= 0` counts as its likelihood raised to the power `k`:
//! `prod_i N(w_i; m_i, 1/q_i) * (sigmoid(x.w)^y (1 - sigmoid(x.w))^(1-y))^k`. Its log is the
//! prior plus `k` times the log-likelihood, so the gradient and the Hessian of the likelihood
//! part are scaled by `k`: the mode lies on the same line with `a = k (y - sigmoid(mu + a v))`
//! (root in `(k (y - 1), k y)`) and the curvature added is `k p (1 - p)`. `k = 1` is the plain
//! update, bit for bit (every product with `k` is a product with 1.0, which IEEE 754 leaves
//! exact); `k = 0` leaves the posterior as it was. This is how importance weights enter a fit on
//! a log that another policy wrote (weighted likelihood, Shimodaira 2000; see `mahnwerk-train
//! fit --importance-weights`).

use super::hashing::slot;
use super::ValidBanditParams;

/// Mean and variance of a sum of independent Gaussian terms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Gauss {
    pub(crate) mean: f64,
    pub(crate) var: f64,
}

#[derive(Clone, PartialEq)]
pub(crate) struct Weights {
    bits: u8,
    /// `[mean, data precision]` per slot, side by side so one read is one cache line.
    slots: Vec<[f32; 2]>,
    prior_precision: f64,
    /// Most precision data may add to one slot (see `max_data_precision`).
    max_data: f64,
}

impl std::fmt::Debug for Weights {
    /// A summary: the table has a million slots.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Weights")
            .field("bits", &self.bits)
            .field("touched", &self.touched().count())
            .field("prior_precision", &self.prior_precision)
            .finish()
    }
}

impl Weights {
    pub(crate) fn new(params: &ValidBanditParams) -> Self {
        Weights {
            bits: params.hash_bits,
            slots: vec![[0.0; 2]; 1 << params.hash_bits],
            prior_precision: 1.0 / params.prior_variance,
            max_data: params.max_data_precision,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    pub(crate) fn slot_of(&self, hash: u64) -> usize {
        slot(hash, self.bits)
    }

    /// Adds feature `hash` with value `x` to the Gaussian `g` of a block's sum.
    #[inline]
    pub(crate) fn add(&self, g: &mut Gauss, hash: u64, x: f32) {
        let [mean, data] = self.slots[self.slot_of(hash)];
        let x = f64::from(x);
        g.mean += x * f64::from(mean);
        g.var += x * x / (self.prior_precision + f64::from(data));
    }

    /// The slots that differ from the prior, as `(slot, mean, data precision)`.
    pub(crate) fn touched(&self) -> impl Iterator<Item = (u32, f32, f32)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s[0] != 0.0 || s[1] != 0.0)
            .map(|(i, s)| (i as u32, s[0], s[1]))
    }

    /// Sets one slot; `slot` must be below [`len`](Self::len).
    pub(crate) fn set(&mut self, slot: usize, mean: f32, data_precision: f32) {
        self.slots[slot] = [mean, data_precision];
    }

    /// The first half of an update: the Gaussian of the chosen arm's population score, and in
    /// `scratch` what [`apply`](Self::apply) needs. `features` are `(hash, value)`.
    pub(crate) fn prepare(&self, features: &[(u64, f32)], scratch: &mut Vec<(usize, f64, f64)>) -> Gauss {
        scratch.clear();
        let mut g = Gauss::default();
        for &(hash, x) in features {
            if x == 0.0 {
                continue;
            }
            let s = self.slot_of(hash);
            let [mean, data] = self.slots[s];
            let q = self.prior_precision + f64::from(data);
            let x = f64::from(x);
            g.mean += x * f64::from(mean);
            g.var += x * x / q;
            scratch.push((s, x, q));
        }
        g
    }

    /// The second half: moves the means by the mode step `a` and adds `curvature * x^2` to each
    /// precision.
    pub(crate) fn apply(&mut self, step: Step, scratch: &[(usize, f64, f64)]) {
        for &(s, x, q) in scratch {
            let [mean, data] = &mut self.slots[s];
            *mean = (f64::from(*mean) + step.a * x / q) as f32;
            // Capped, so that a weight keeps learning at a bounded pace however long it has run:
            // what it was told a year ago must not outvote a channel that stopped working today.
            *data = (f64::from(*data) + x * x * step.curvature).min(self.max_data) as f32;
        }
    }

    /// One observation on the population weights alone.
    #[cfg(test)]
    fn update(&mut self, features: &[(u64, f32)], reward: f64, scratch: &mut Vec<(usize, f64, f64)>) {
        let g = self.prepare(features, scratch);
        let step = laplace_step(g, reward, 1.0);
        self.apply(step, scratch);
    }
}

/// The Laplace step of one observation: the scalar `a` of the mode (`w = m + a * Cov x`) and the
/// curvature `p (1 - p)` at the mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Step {
    pub(crate) a: f64,
    pub(crate) curvature: f64,
}

/// The step for a score with prior `g` (mean `x.m`, variance `x' Cov x`), reward `y` and the
/// observation's `weight` (finite, `>= 0`; 1 for a plain observation): the likelihood's gradient
/// and curvature are scaled by `weight` (see the module docs).
pub(crate) fn laplace_step(g: Gauss, y: f64, weight: f64) -> Step {
    let a = mode_step(g.mean, g.var, y, weight);
    let p = sigmoid(g.mean + a * g.var);
    Step { a, curvature: weight * (p * (1.0 - p)) }
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The root `a` of `a = k (y - sigmoid(mu + a v))`, in `(k (y - 1), k y)`: Newton steps on the
/// strictly increasing `g(a) = a - k y + k sigmoid(mu + a v)`, kept inside the bracket. With
/// `k = 1` every operation is the unweighted one's (multiplying by 1.0 is exact).
fn mode_step(mu: f64, v: f64, y: f64, k: f64) -> f64 {
    let (mut lo, mut hi) = (k * (y - 1.0), k * y);
    let mut a = k * (y - sigmoid(mu));
    for _ in 0..100 {
        let p = sigmoid(mu + a * v);
        let g = a - k * y + k * p;
        if g.abs() < 1e-12 || hi - lo < 1e-15 {
            break;
        }
        if g > 0.0 {
            hi = a;
        } else {
            lo = a;
        }
        let next = a - g / (1.0 + k * v * p * (1.0 - p));
        a = if next > lo && next < hi { next } else { 0.5 * (lo + hi) };
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bandit::hashing::finalize;
    use crate::bandit::BanditParams;
    use linfa::ParamGuard;

    #[test]
    fn the_mode_step_solves_its_equation() {
        for &(mu, v, y) in &[(0.0, 1.0, 1.0), (3.0, 50.0, 0.0), (-8.0, 0.01, 1.0), (0.5, 1e4, 0.3)] {
            let a = mode_step(mu, v, y, 1.0);
            assert!((a - (y - sigmoid(mu + a * v))).abs() < 1e-9, "{mu} {v} {y}: {a}");
        }
    }

    #[test]
    fn the_weighted_mode_step_solves_its_equation() {
        for &(mu, v, y, w) in
            &[(0.0, 1.0, 1.0, 3.0), (3.0, 50.0, 0.0, 0.2), (-8.0, 0.01, 1.0, 10.0), (0.5, 1e4, 0.3, 7.5)]
        {
            let a = mode_step(mu, v, y, w);
            assert!((a - w * (y - sigmoid(mu + a * v))).abs() < 1e-9, "{mu} {v} {y} {w}: {a}");
            assert!(a > w * (y - 1.0) && a < w * y, "{mu} {v} {y} {w}: {a} outside the bracket");
        }
    }

    #[test]
    fn a_weight_of_one_is_the_plain_step_and_zero_changes_nothing() {
        for &(mu, v, y) in &[(0.0, 1.0, 1.0), (3.0, 50.0, 0.0), (-8.0, 0.01, 1.0), (0.5, 1e4, 0.3)] {
            let g = Gauss { mean: mu, var: v };
            let plain = {
                let a = mode_step(mu, v, y, 1.0);
                let p = sigmoid(mu + a * v);
                Step { a, curvature: p * (1.0 - p) }
            };
            assert_eq!(laplace_step(g, y, 1.0), plain);
            assert_eq!(laplace_step(g, y, 0.0), Step { a: 0.0, curvature: 0.0 });
        }
    }

    /// Weight `k` is the limit of `k` identical observations taken at once: for a weak prior
    /// (many observations' worth of variance) one step of weight 4 lands where four steps of
    /// weight 1 land, up to the error of re-linearising between them; and it moves further
    /// and adds more precision than one step of weight 1.
    #[test]
    fn a_weight_counts_like_that_many_observations() {
        let params = BanditParams::new().hash_bits(12).check().unwrap();
        let features = [(finalize(7), 1.0f32), (finalize(9), 0.5)];
        let mut scratch = Vec::new();
        let read = |w: &Weights| {
            let mut g = Gauss::default();
            for &(h, x) in &features {
                w.add(&mut g, h, x);
            }
            g
        };
        let step = |w: &mut Weights, weight: f64, scratch: &mut Vec<(usize, f64, f64)>| {
            let g = w.prepare(&features, scratch);
            w.apply(laplace_step(g, 1.0, weight), scratch);
        };
        let (mut once, mut four, mut repeated) =
            (Weights::new(&params), Weights::new(&params), Weights::new(&params));
        step(&mut once, 1.0, &mut scratch);
        step(&mut four, 4.0, &mut scratch);
        for _ in 0..4 {
            step(&mut repeated, 1.0, &mut scratch);
        }
        let (once, four, repeated) = (read(&once), read(&four), read(&repeated));
        assert!(four.mean > once.mean && four.var < once.var, "{four:?} vs {once:?}");
        assert!((four.mean - repeated.mean).abs() < 0.1 * repeated.mean, "{four:?} vs {repeated:?}");
        assert!((four.var - repeated.var).abs() < 0.1 * repeated.var, "{four:?} vs {repeated:?}");
    }

    #[test]
    fn rewards_pull_the_mean_their_way_and_precision_only_grows() {
        let params = BanditParams::new().hash_bits(12).check().unwrap();
        let mut w = Weights::new(&params);
        let (a, b) = (finalize(7), finalize(9));
        let features = [(a, 1.0f32), (b, 0.5)];
        let mut scratch = Vec::new();
        let mean = |w: &Weights| {
            let mut g = Gauss::default();
            for &(h, x) in &features {
                w.add(&mut g, h, x);
            }
            g
        };
        let before = mean(&w);
        w.update(&features, 1.0, &mut scratch);
        let after_pay = mean(&w);
        assert!(after_pay.mean > before.mean && after_pay.var < before.var);
        for _ in 0..20 {
            w.update(&features, 0.0, &mut scratch);
        }
        let after_misses = mean(&w);
        assert!(after_misses.mean < after_pay.mean && after_misses.var < after_pay.var);
        // The feature with the smaller value moved less.
        let m = |h: u64| w.slots[w.slot_of(h)][0];
        assert!(m(b).abs() < m(a).abs());
    }
}
