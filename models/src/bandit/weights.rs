//! The diagonal Gaussian posterior over the hashed weights, and its one-observation Laplace update.
//!
//! Each slot holds a mean `m` and the precision `q_data` that data has added; the prior precision
//! (`1 / prior_variance`, or `1 / debtor_prior_variance` for debtor features) is added when a
//! slot is read, so the prior strength stays a parameter and an untouched slot costs nothing in a
//! snapshot.
//!
//! # The update (Chapelle & Li 2011, Algorithm 3, one observation at a time)
//! With features `x` of the chosen arm, prior `N(m_i, 1/q_i)` per weight and reward `y` in
//! `[0, 1]`, the posterior mode of `prod_i N(w_i; m_i, 1/q_i) * sigmoid(x.w)^y (1 -
//! sigmoid(x.w))^(1-y)` lies on the line `w = m + a * x / q` where the scalar `a` solves
//! `a = y - sigmoid(mu + a * v)`, with `mu = x.m` and `v = sum x_i^2 / q_i`. We solve it by
//! safeguarded Newton (the root lies in `(y - 1, y)`), move the means there, and add the diagonal
//! of the Hessian at the mode, `x_i^2 p (1 - p)`, to each precision. That is the Laplace
//! approximation of the exact one-observation posterior, restricted to a diagonal.

use super::features::Class;
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
    prior_precision: [f64; 2],
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
            prior_precision: [1.0 / params.prior_variance, 1.0 / params.debtor_prior_variance],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    pub(crate) fn slot_of(&self, hash: u64) -> usize {
        slot(hash, self.bits)
    }

    #[inline]
    fn prior(&self, class: Class) -> f64 {
        self.prior_precision[class as usize]
    }

    /// Adds feature `hash` with value `x` to the Gaussian `g` of a block's sum.
    #[inline]
    pub(crate) fn add(&self, g: &mut Gauss, hash: u64, x: f32, class: Class) {
        let [mean, data] = self.slots[self.slot_of(hash)];
        let x = f64::from(x);
        g.mean += x * f64::from(mean);
        g.var += x * x / (self.prior(class) + f64::from(data));
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

    /// One observation: `features` are `(hash, value, class)` of the chosen arm, `reward` in
    /// `[0, 1]`. `scratch` is reused between calls.
    pub(crate) fn update(
        &mut self,
        features: &[(u64, f32, Class)],
        reward: f64,
        scratch: &mut Vec<(usize, f64, f64)>,
    ) {
        scratch.clear();
        let mut g = Gauss::default();
        for &(hash, x, class) in features {
            if x == 0.0 {
                continue;
            }
            let s = self.slot_of(hash);
            let [mean, data] = self.slots[s];
            let q = self.prior(class) + f64::from(data);
            let x = f64::from(x);
            g.mean += x * f64::from(mean);
            g.var += x * x / q;
            scratch.push((s, x, q));
        }
        let a = mode_step(g.mean, g.var, reward);
        let p = sigmoid(g.mean + a * g.var);
        let curvature = p * (1.0 - p);
        for &(s, x, q) in scratch.iter() {
            let [mean, data] = &mut self.slots[s];
            *mean = (f64::from(*mean) + a * x / q) as f32;
            *data = (f64::from(*data) + x * x * curvature) as f32;
        }
    }
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The root `a` of `a = y - sigmoid(mu + a v)`, in `(y - 1, y)`: Newton steps on the strictly
/// increasing `g(a) = a - y + sigmoid(mu + a v)`, kept inside the bracket.
fn mode_step(mu: f64, v: f64, y: f64) -> f64 {
    let (mut lo, mut hi) = (y - 1.0, y);
    let mut a = y - sigmoid(mu);
    for _ in 0..100 {
        let p = sigmoid(mu + a * v);
        let g = a - y + p;
        if g.abs() < 1e-12 || hi - lo < 1e-15 {
            break;
        }
        if g > 0.0 {
            hi = a;
        } else {
            lo = a;
        }
        let next = a - g / (1.0 + v * p * (1.0 - p));
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
            let a = mode_step(mu, v, y);
            assert!((a - (y - sigmoid(mu + a * v))).abs() < 1e-9, "{mu} {v} {y}: {a}");
        }
    }

    #[test]
    fn rewards_pull_the_mean_their_way_and_precision_only_grows() {
        let params = BanditParams::new().hash_bits(12).check().unwrap();
        let mut w = Weights::new(&params);
        let (population, debtor) = (finalize(7), finalize(9));
        let features = [(population, 1.0f32, Class::Population), (debtor, 1.0, Class::Debtor)];
        let mut scratch = Vec::new();
        let mean = |w: &Weights| {
            let mut g = Gauss::default();
            for &(h, x, c) in &features {
                w.add(&mut g, h, x, c);
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
        // The debtor weight has the stronger prior, so it moved less than the population weight.
        let m = |h: u64| w.slots[w.slot_of(h)][0];
        assert!(m(debtor).abs() < m(population).abs());
    }
}
