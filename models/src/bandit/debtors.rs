//! Each debtor's own effects, with a full covariance: an intercept, a smooth daily curve and one
//! effect per channel, added to the population's score (the argument is in the
//! [module docs](super)).
//!
//! # Coordinates
//! Effect vector `delta = [intercept, hour curve (2K coefficients), channels...]`. The score of arm
//! `(c, h)` gains `z(c, h) . delta` with `z = [1, phi(h), e_c]`, where `phi(h)` are the first `K`
//! harmonics of the day, `cos(2 pi k h / 24)` and `sin(2 pi k h / 24)` for `k = 1..=K`, divided by
//! `sqrt(K)` so that the prior variance of the curve at any hour equals that of one coefficient.
//! Channels get a coordinate on first use (at most [`MAX_CHANNELS`]; further ones are scored by
//! the population alone).
//!
//! # Update
//! The joint Laplace step of [`weights`](super::weights): with `Sigma` the debtor's covariance,
//! the step `a` moves the mean by `a * Sigma z`, and the rank-one curvature `p (1 - p) z z'` is
//! added to the precision, which in covariance form is the Sherman-Morrison downdate
//! `Sigma -= k (Sigma z)(Sigma z)'`, `k = c / (1 + c z' Sigma z)`. Exact for this block (no
//! diagonal approximation), O(n^2) for n coordinates (n = 12 for 5 channels and K = 3).
//!
//! # Memory
//! A debtor with `n` coordinates costs `2 n (n + 3)` bytes of numbers plus some 150 of
//! bookkeeping (about 500 bytes at n = 12). At most [`max_debtors`](super::BanditParams::max_debtors) are held; beyond that the
//! one updated longest ago is dropped and is scored as a newcomer again.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::weights::{Gauss, Step};
use super::ValidBanditParams;

/// Most channels with an own effect per debtor.
pub(crate) const MAX_CHANNELS: usize = 8;

/// One debtor's posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DebtorState {
    /// Channel hashes, in coordinate order after the intercept and the hour curve.
    pub(crate) channels: Vec<u64>,
    pub(crate) mean: Vec<f32>,
    /// Covariance, packed lower triangle row by row: `(i, j)`, `j <= i`, at `i (i + 1) / 2 + j`.
    pub(crate) cov: Vec<f32>,
    /// When it was last updated (the book's clock), for dropping the stalest when full.
    pub(crate) touched: u64,
}

#[inline]
fn packed(i: usize, j: usize) -> usize {
    let (i, j) = if j > i { (j, i) } else { (i, j) };
    i * (i + 1) / 2 + j
}

impl DebtorState {
    fn len(&self) -> usize {
        self.mean.len()
    }

    fn cov(&self, i: usize, j: usize) -> f64 {
        f64::from(self.cov[packed(i, j)])
    }

    /// Checks the shapes and values a snapshot may carry.
    pub(crate) fn is_consistent(&self, base: usize) -> bool {
        let n = self.mean.len();
        n == base + self.channels.len()
            && self.channels.len() <= MAX_CHANNELS
            && self.cov.len() == n * (n + 1) / 2
            && self.mean.iter().chain(&self.cov).all(|x| x.is_finite())
            && (0..n).all(|i| self.cov[packed(i, i)] > 0.0)
    }
}

/// Every debtor's effects, and the prior they start from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Debtors {
    harmonics: usize,
    variance: f64,
    /// Prior variance of each coefficient of the hour curve (so of the curve at any hour).
    hour_variance: f64,
    max: usize,
    /// `basis[h]` is `phi(h)`, for h in 0..24.
    basis: Vec<Vec<f64>>,
    states: HashMap<u64, DebtorState>,
    /// touched -> debtor, oldest first.
    recency: BTreeMap<u64, u64>,
    clock: u64,
}

/// What an update needs between [`Debtors::prepare`] and [`Debtors::apply`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Pending {
    debtor: Option<u64>,
    z: Vec<f64>,
    sigma_z: Vec<f64>,
    z_sigma_z: f64,
}

impl Debtors {
    pub(crate) fn new(params: &ValidBanditParams) -> Self {
        let k = usize::from(params.debtor_harmonics);
        let norm = (k.max(1) as f64).sqrt();
        let basis = (0..24)
            .map(|h| {
                (1..=k)
                    .flat_map(|j| {
                        let angle = std::f64::consts::TAU * (j * h) as f64 / 24.0;
                        [angle.cos() / norm, angle.sin() / norm]
                    })
                    .collect()
            })
            .collect();
        Debtors {
            harmonics: k,
            variance: params.debtor_prior_variance,
            hour_variance: params.debtor_hour_variance,
            max: params.max_debtors,
            basis,
            states: HashMap::new(),
            recency: BTreeMap::new(),
            clock: 0,
        }
    }

    /// Coordinates before the channels: the intercept and the hour curve.
    pub(crate) fn base(&self) -> usize {
        1 + 2 * self.harmonics
    }

    pub(crate) fn basis(&self, hour: u8) -> &[f64] {
        &self.basis[usize::from(hour % 24)]
    }

    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    pub(crate) fn states(&self) -> impl Iterator<Item = (&u64, &DebtorState)> {
        self.states.iter()
    }

    /// Puts back a state read from a snapshot (checked by the caller).
    pub(crate) fn restore(&mut self, debtor: u64, state: DebtorState) {
        self.clock = self.clock.max(state.touched);
        self.recency.insert(state.touched, debtor);
        if let Some(old) = self.states.insert(debtor, state) {
            self.recency.remove(&old.touched);
        }
    }

    /// The prior variance of coordinate `i`: the hour curve's for its coefficients, the
    /// intercept's and the channels' otherwise.
    fn prior(&self, i: usize) -> f64 {
        if (1..self.base()).contains(&i) {
            self.hour_variance
        } else {
            self.variance
        }
    }

    fn fresh(&self) -> DebtorState {
        let n = self.base();
        let mut cov = vec![0.0; n * (n + 1) / 2];
        for i in 0..n {
            cov[packed(i, i)] = self.prior(i) as f32;
        }
        DebtorState { channels: Vec::new(), mean: vec![0.0; n], cov, touched: 0 }
    }

    /// The first half of an update on arm `(channel, hour)` of `debtor`: the Gaussian of the
    /// debtor's part of the score (zero without a debtor), and what [`apply`](Self::apply) needs.
    pub(crate) fn prepare(
        &mut self,
        debtor: Option<u64>,
        channel: u64,
        hour: u8,
        out: &mut Pending,
    ) -> Gauss {
        out.debtor = None;
        let Some(debtor) = debtor else { return Gauss::default() };
        if !self.states.contains_key(&debtor) {
            let state = self.fresh();
            self.states.insert(debtor, state);
        }
        let (variance, base) = (self.variance, self.base());
        let basis = &self.basis[usize::from(hour % 24)];
        let state = self.states.get_mut(&debtor).expect("inserted above");
        let mut c = state.channels.iter().position(|&h| h == channel);
        if c.is_none() && state.channels.len() < MAX_CHANNELS {
            state.channels.push(channel);
            let n = state.mean.len();
            state.mean.push(0.0);
            state.cov.extend(std::iter::repeat_n(0.0, n));
            state.cov.push(variance as f32);
            c = Some(state.channels.len() - 1);
        }
        // z = [1, phi(h), e_c], dense; then Sigma z by rows.
        let n = state.len();
        out.z.clear();
        out.z.push(1.0);
        out.z.extend_from_slice(basis);
        out.z.resize(n, 0.0);
        if let Some(c) = c {
            out.z[base + c] = 1.0;
        }
        out.sigma_z.clear();
        let mut g = Gauss::default();
        for i in 0..n {
            let s: f64 = out.z.iter().enumerate().map(|(j, z)| state.cov(i, j) * z).sum();
            out.sigma_z.push(s);
            g.mean += f64::from(state.mean[i]) * out.z[i];
            g.var += s * out.z[i];
        }
        g.var = g.var.max(0.0);
        out.z_sigma_z = g.var;
        out.debtor = Some(debtor);
        g
    }

    /// The second half: the mean moves by `a Sigma z`, the covariance is downdated.
    pub(crate) fn apply(&mut self, step: Step, pending: &Pending) {
        let Some(debtor) = pending.debtor else { return };
        let Some(state) = self.states.get_mut(&debtor) else { return };
        let sz = &pending.sigma_z;
        let k = step.curvature / (1.0 + step.curvature * pending.z_sigma_z);
        for (i, m) in state.mean.iter_mut().enumerate() {
            *m = (f64::from(*m) + step.a * sz[i]) as f32;
        }
        for i in 0..sz.len() {
            for j in 0..=i {
                let p = packed(i, j);
                state.cov[p] = (f64::from(state.cov[p]) - k * sz[i] * sz[j]) as f32;
            }
            // Rounding must not make a variance vanish.
            let d = packed(i, i);
            state.cov[d] = state.cov[d].max(1e-6);
        }
        self.clock += 1;
        self.recency.remove(&state.touched);
        state.touched = self.clock;
        self.recency.insert(self.clock, debtor);
        while self.states.len() > self.max {
            let Some((_, oldest)) = self.recency.pop_first() else { break };
            self.states.remove(&oldest);
        }
    }
}

/// One debtor's effects as one decision sees them: the intercept, the hour curve and the
/// request's channels (in request order), their joint Gaussian and its Cholesky factor.
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    /// Whether the request names a debtor; without one the debtor part is zero.
    pub(crate) active: bool,
    base: usize,
    n: usize,
    hours: usize,
    mean: Vec<f64>,
    cov: Vec<f64>,
    chol: Vec<f64>,
    /// Per view coordinate, its coordinate in the debtor's state (if it has one there).
    index: Vec<Option<usize>>,
    /// `phi(h)` for each request hour, flattened.
    basis: Vec<f64>,
    /// The Gaussian of the debtor part of each arm, channel-major.
    arms: Vec<Gauss>,
    /// The Gaussian of the hour curve at each request hour.
    hour_curve: Vec<Gauss>,
    /// Scratch: `Sigma z` for the intercept and hour coordinates of one hour.
    sigma_zb: Vec<f64>,
    /// What one sample is made of (set by [`prepare_draws`](Self::prepare_draws)): the drawn
    /// values are `draw_mean + scale * draw_matrix * eps`, in the order intercept, the hour
    /// curve at each request hour, each request channel. The matrix is the Cholesky factor with
    /// its hour rows already multiplied by the basis, stored column by column, so that a sample
    /// is one column update per coordinate (loops without a running sum, which vectorise).
    draw_mean: Vec<f64>,
    draw_matrix: Vec<f64>,
    /// The values of the current sample, in the order of `draw_mean`.
    drawn: Vec<f64>,
}

impl View {
    /// Fills the view for `debtor` and the request's channels (hashes) and hours.
    pub(crate) fn fill(&mut self, book: &Debtors, debtor: Option<u64>, channels: &[u64], hours: &[u8]) {
        self.active = debtor.is_some();
        if !self.active {
            return;
        }
        let base = book.base();
        let n = base + channels.len();
        (self.base, self.n, self.hours) = (base, n, hours.len());
        self.basis.clear();
        for &h in hours {
            self.basis.extend_from_slice(book.basis(h));
        }
        let state = debtor.and_then(|d| book.states.get(&d));
        self.index.clear();
        self.index.extend((0..n).map(|i| {
            let state = state?;
            if i < base {
                Some(i)
            } else {
                state.channels.iter().position(|&c| c == channels[i - base]).map(|p| base + p)
            }
        }));
        // A debtor whose channel coordinates are all taken has no own effect on further channels.
        let full = state.is_some_and(|s| s.channels.len() >= MAX_CHANNELS);
        self.mean.clear();
        self.mean.resize(n, 0.0);
        self.cov.clear();
        self.cov.resize(n * n, 0.0);
        for i in 0..n {
            match (state, self.index[i]) {
                (Some(s), Some(si)) => {
                    self.mean[i] = f64::from(s.mean[si]);
                    for j in 0..=i {
                        if let Some(sj) = self.index[j] {
                            let v = s.cov(si, sj);
                            self.cov[i * n + j] = v;
                            self.cov[j * n + i] = v;
                        }
                    }
                }
                (Some(_), None) if full => {}
                _ => self.cov[i * n + i] = book.prior(i),
            }
        }
        self.chol.clear();
        self.fill_arms(channels.len());
    }

    /// Factors the covariance for [`draw`](Self::draw); only needed when there is something to
    /// sample, so a sure posterior skips it.
    pub(crate) fn prepare_draws(&mut self) {
        if !self.active {
            return;
        }
        let (n, base, hours) = (self.n, self.base, self.hours);
        let k = base - 1;
        cholesky(&self.cov, n, &mut self.chol);
        let rows = self.outputs();
        self.draw_mean.clear();
        self.draw_mean.push(self.mean[0]);
        for h in 0..hours {
            let phi = &self.basis[h * k..(h + 1) * k];
            self.draw_mean.push(phi.iter().zip(&self.mean[1..base]).map(|(p, m)| p * m).sum());
        }
        self.draw_mean.extend_from_slice(&self.mean[base..n]);
        self.draw_matrix.clear();
        self.draw_matrix.resize(n * rows, 0.0);
        for j in 0..n {
            let column = &mut self.draw_matrix[j * rows..(j + 1) * rows];
            column[0] = self.chol[j];
            // Only the intercept and hour coordinates reach the hour rows (lower triangular).
            let hour_rows = if j < base { hours } else { 0 };
            for h in 0..hour_rows {
                let phi = &self.basis[h * k..(h + 1) * k];
                column[1 + h] = phi.iter().enumerate().map(|(a, p)| p * self.chol[(1 + a) * n + j]).sum();
            }
            for c in 0..n - base {
                column[1 + hours + c] = self.chol[(base + c) * n + j];
            }
        }
        self.drawn.clear();
        self.drawn.resize(rows, 0.0);
    }

    /// How many values a sample has: the intercept, one per request hour, one per channel.
    fn outputs(&self) -> usize {
        1 + self.hours + (self.n - self.base)
    }

    /// Every arm's mean `z . m` and variance `z' Sigma z` with `z = [1, phi(h), e_c]`, and the hour
    /// curve's: the intercept-and-hour part once per hour, then one cross term per channel.
    fn fill_arms(&mut self, channels: usize) {
        let (n, base, hours) = (self.n, self.base, self.hours);
        let k = base - 1;
        self.arms.clear();
        self.arms.resize(channels * hours, Gauss::default());
        self.hour_curve.clear();
        for h in 0..hours {
            let phi = &self.basis[h * k..(h + 1) * k];
            // Sigma [1, phi] for every row, and phi' Sigma_hh phi for the curve alone.
            self.sigma_zb.clear();
            for i in 0..n {
                let row = &self.cov[i * n..i * n + base];
                self.sigma_zb.push(row[0] + row[1..].iter().zip(phi).map(|(c, p)| c * p).sum::<f64>());
            }
            let mut curve = Gauss::default();
            for (a, p) in phi.iter().enumerate() {
                curve.mean += self.mean[1 + a] * p;
                let row = &self.cov[(1 + a) * n + 1..(1 + a) * n + base];
                curve.var += p * row.iter().zip(phi).map(|(c, q)| c * q).sum::<f64>();
            }
            self.hour_curve.push(curve);
            let mean = self.mean[0] + curve.mean;
            let var =
                self.sigma_zb[0] + phi.iter().zip(&self.sigma_zb[1..base]).map(|(p, s)| p * s).sum::<f64>();
            for c in 0..channels {
                let j = base + c;
                self.arms[c * hours + h] = Gauss {
                    mean: mean + self.mean[j],
                    var: (var + 2.0 * self.sigma_zb[j] + self.cov[j * n + j]).max(0.0),
                };
            }
        }
    }

    /// The Gaussian of the debtor part of arm `(channel c, hour index h)` of the request.
    #[inline]
    pub(crate) fn arm(&self, c: usize, h: usize) -> Gauss {
        if self.active {
            self.arms[c * self.hours + h]
        } else {
            Gauss::default()
        }
    }

    /// The Gaussian of the debtor's hour curve at request hour `h` (zero without a debtor).
    #[inline]
    pub(crate) fn hour_curve(&self, h: usize) -> Gauss {
        if self.active {
            self.hour_curve[h]
        } else {
            Gauss::default()
        }
    }

    /// Number of coordinates: how many standard normals [`draw`](Self::draw) takes (zero without
    /// a debtor).
    pub(crate) fn len(&self) -> usize {
        if self.active {
            self.n
        } else {
            0
        }
    }

    /// Draws the effect vector: mean plus `scale` times the Cholesky factor applied to the
    /// standard normals `eps` (one per coordinate), and the drawn hour curve at every request hour.
    pub(crate) fn draw(&mut self, scale: f64, eps: &[f64]) {
        let (n, base, hours, rows) = (self.n, self.base, self.hours, self.outputs());
        self.drawn.copy_from_slice(&self.draw_mean);
        for (j, e) in eps[..n].iter().enumerate() {
            // The factor is lower triangular: coordinate j reaches the intercept only if it is
            // the intercept, the hours only if it is an intercept or hour coordinate, and only
            // the channels from its own on.
            let first = match j {
                0 => 0,
                j if j < base => 1,
                j => 1 + hours + (j - base),
            };
            let e = scale * e;
            let column = &self.draw_matrix[j * rows + first..(j + 1) * rows];
            for (value, l) in self.drawn[first..].iter_mut().zip(column) {
                *value += l * e;
            }
        }
    }

    /// The drawn intercept.
    #[inline]
    pub(crate) fn intercept(&self) -> f64 {
        self.drawn[0]
    }

    /// The drawn hour curve at request hour `h`.
    #[inline]
    pub(crate) fn hour(&self, h: usize) -> f64 {
        self.drawn[1 + h]
    }

    /// The drawn effect of request channel `c`.
    #[inline]
    pub(crate) fn channel(&self, c: usize) -> f64 {
        self.drawn[1 + self.hours + c]
    }
}

/// Lower Cholesky factor of the `n x n` matrix `a` (row-major) into `l`. A pivot that rounding
/// has made non-positive is replaced by a tiny one, so a nearly singular covariance still gives
/// finite draws.
fn cholesky(a: &[f64], n: usize, l: &mut Vec<f64>) {
    l.clear();
    l.resize(n * n, 0.0);
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                l[i * n + i] = (a[i * n + i] - s).max(1e-12).sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bandit::weights::laplace_step;
    use crate::bandit::BanditParams;
    use linfa::ParamGuard;

    fn book(max: usize) -> Debtors {
        Debtors::new(&BanditParams::new().max_debtors(max).check().unwrap())
    }

    #[test]
    fn the_cholesky_factor_reproduces_the_matrix() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let mut l = Vec::new();
        cholesky(&a, 3, &mut l);
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((v - a[i * 3 + j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn misses_on_one_channel_lower_it_against_another_and_the_view_agrees() {
        let mut b = book(10);
        let mut p = Pending::default();
        let (email, sms) = (1u64, 2u64);
        for _ in 0..10 {
            let g = b.prepare(Some(7), email, 10, &mut p);
            b.apply(laplace_step(Gauss { mean: -1.0 + g.mean, var: 0.1 + g.var }, 0.0, 1.0), &p);
            let g = b.prepare(Some(7), sms, 10, &mut p);
            b.apply(laplace_step(Gauss { mean: -1.0 + g.mean, var: 0.1 + g.var }, 1.0, 1.0), &p);
        }
        let mut view = View::default();
        view.fill(&b, Some(7), &[email, sms], &[10, 20]);
        let (e, s) = (view.arm(0, 0), view.arm(1, 0));
        assert!(s.mean > e.mean + 1.0, "{s:?} vs {e:?}");
        assert!(e.var < b.variance * 3.0 && e.var > 0.0);
        // A debtor never seen, or no debtor, is the prior.
        view.fill(&b, Some(8), &[email], &[10]);
        assert_eq!(view.arm(0, 0).mean, 0.0);
        view.fill(&b, None, &[email], &[10]);
        assert_eq!(view.arm(0, 0), Gauss::default());
    }

    #[test]
    fn draws_have_the_views_mean_and_variance_per_arm() {
        use rand::SeedableRng;
        // A debtor with correlated effects: outcomes on two channels at different hours.
        let mut b = book(10);
        let mut p = Pending::default();
        let (email, sms, letter) = (1u64, 2u64, 3u64);
        for (i, (channel, hour, paid)) in
            [(email, 9, 0.0), (sms, 18, 1.0), (email, 12, 1.0), (sms, 10, 0.0), (email, 19, 0.0)]
                .into_iter()
                .cycle()
                .take(15)
                .enumerate()
        {
            let g = b.prepare(Some(7), channel, hour, &mut p);
            let prior = Gauss { mean: -0.5 + 0.01 * i as f64 + g.mean, var: 0.2 + g.var };
            b.apply(laplace_step(prior, paid, 1.0), &p);
        }
        let hours = [9, 12, 18, 20];
        let mut view = View::default();
        view.fill(&b, Some(7), &[email, sms, letter], &hours);
        view.prepare_draws();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (draws, scale) = (200_000, 1.0);
        let arms = 3 * hours.len();
        let (mut sum, mut sum2) = (vec![0.0; arms], vec![0.0; arms]);
        let mut eps = Vec::new();
        for _ in 0..draws {
            crate::bandit::normals::fill(&mut rng, &mut eps, view.len());
            view.draw(scale, &eps);
            for c in 0..3 {
                for h in 0..hours.len() {
                    let x = view.intercept() + view.hour(h) + view.channel(c);
                    sum[c * hours.len() + h] += x;
                    sum2[c * hours.len() + h] += x * x;
                }
            }
        }
        for c in 0..3 {
            for h in 0..hours.len() {
                let (a, g) = (c * hours.len() + h, view.arm(c, h));
                let mean = sum[a] / f64::from(draws);
                let var = sum2[a] / f64::from(draws) - mean * mean;
                let se = (g.var / f64::from(draws)).sqrt();
                assert!((mean - g.mean).abs() < 5.0 * se, "arm ({c}, {h}): mean {mean} vs {}", g.mean);
                assert!((var / g.var - 1.0).abs() < 0.02, "arm ({c}, {h}): variance {var} vs {}", g.var);
            }
        }
    }

    #[test]
    fn without_harmonics_a_debtor_has_no_hour_curve_and_still_draws() {
        let mut b = Debtors::new(&BanditParams::new().debtor_harmonics(0).check().unwrap());
        let mut p = Pending::default();
        b.prepare(Some(1), 5, 9, &mut p);
        b.apply(Step { a: 0.5, curvature: 0.2 }, &p);
        let mut view = View::default();
        view.fill(&b, Some(1), &[5, 6], &[9, 18]);
        view.prepare_draws();
        view.draw(1.0, &[0.3, -1.2, 0.8]);
        assert_eq!((view.hour(0), view.hour(1)), (0.0, 0.0));
        assert!(view.channel(0).is_finite() && view.intercept().is_finite());
        assert_eq!(view.arm(0, 0).mean, view.arm(0, 1).mean);
    }

    #[test]
    fn the_stalest_debtor_goes_when_the_book_is_full() {
        let mut b = book(2);
        let mut p = Pending::default();
        for d in [1u64, 2, 1, 3] {
            b.prepare(Some(d), 5, 9, &mut p);
            b.apply(Step { a: 0.1, curvature: 0.2 }, &p);
        }
        assert_eq!(b.len(), 2);
        assert!(b.states.contains_key(&1) && b.states.contains_key(&3));
    }
}
