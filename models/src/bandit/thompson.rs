//! Thompson sampling over the allowed arms, and the exact propensity of the arm it picks.
//!
//! # Sampling
//! Under the diagonal Gaussian posterior each block sum of [`features`] is an independent
//! Gaussian (its mean is `x.m`, its variance `sum x_i^2 / q_i`), and an arm's population score is
//! the sum of its five blocks. Drawing one value per block (one shared, one per channel, per
//! bucket, per hour and per arm: 89 normal draws for 5 channels x 13 hours) therefore draws the
//! arms' scores jointly from the posterior, correlations included, exactly as drawing all the
//! weights would (up to hash collisions), at a fraction of the cost. The debtor's own effects
//! (intercept, daily curve, channels; see [`debtors`](super::debtors)) are drawn jointly from their
//! full covariance through its Cholesky factor, 12 more normal draws for 5 channels. Each draw's deviation from the mean is multiplied
//! by `sample_scale` (default 0.25, see [`BanditParams::sample_scale`](super::BanditParams)):
//! the diagonal posterior is too wide along the arms it has seen, and plain sampling (scale 1)
//! over-explores. The drawn arm values are `sigmoid(score) * amount_weight - lambda * cost`;
//! with `lambda = 0`, or when every offered channel costs the same, the arms' values are in the
//! order of their scores and the sigmoid is skipped.
//!
//! # Propensity
//! Plain Thompson sampling's probability of an arm has no closed form. So the policy is defined
//! so that it has one: each decision draws `M` independent posterior samples (`propensity_draws`,
//! default 32), notes each sample's best arm, and acts on the best arm of one sample picked
//! uniformly at random. Marginally that is exactly the (scaled) Thompson sampling above (one
//! uniformly picked i.i.d. draw is a draw). Given the `M` samples, the chosen arm had
//! probability `wins / M`, and with the exploration floor
//!
//! `propensity = (1 - epsilon) * wins / M + epsilon / arms`
//!
//! is the exact probability with which the policy, as run, chose the arm. Inverse-propensity
//! estimates built on it are unbiased: the `M` samples are independent of the reward, so they
//! act as part of the context. As an estimate of the marginal Thompson probability `p`, `wins /
//! M` is unbiased with standard error `sqrt(p (1 - p) / M) <= 0.5 / sqrt(M)` (0.088 at M = 32,
//! 0.016 at M = 1024); larger `M` only lowers the variance of off-policy estimates.
//!
//! # Arms that cannot win
//! An arm whose sampled score's upper bound `mean + 4 sd` (sd already scaled) lies below some
//! other arm's lower bound `mean - 4 sd` (compared as values) is not sampled: it would win a
//! draw with probability below `2 * P(Z > 4) = 6.4e-5`. The same test is applied within each
//! channel to the parts that differ between its hours (the channel's own parts are one draw for
//! all of them), which rules out the hours a debtor plainly does not read that channel at, even
//! while the channel itself is uncertain. That saves most of the draws once the posterior is
//! sure (with one arm left, none is drawn), and the propensity stays exact for the policy as
//! run (such an arm has propensity `epsilon / arms`).
//!
//! # Exploration floor
//! With probability `epsilon` (default 0.002) the arm is drawn uniformly from the allowed ones
//! instead, so every allowed arm has propensity at least `epsilon / arms` (3.1e-5 for 65 arms):
//! off-policy evaluation of any other policy stays possible, and an arm the posterior has
//! written off still gets tried now and then.

use rand::{Rng, RngCore};

use super::debtors::{Debtors, View};
use super::features::{self, bucket_of, channel_hash, Encoded};
use super::weights::{sigmoid, Gauss, Weights};
use super::Request;

#[derive(Debug, Clone, Copy, Default)]
struct Normal {
    mean: f64,
    sd: f64,
}

impl Normal {
    fn of(g: Gauss, scale: f64) -> Self {
        Normal { mean: g.mean, sd: scale * g.var.sqrt() }
    }

    /// The value at standard normal `z`.
    #[inline]
    fn at(&self, z: f64) -> f64 {
        self.mean + self.sd * z
    }
}

/// What an arm is worth given its score: `sigmoid(score) * amount_weight - lambda * cost`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Objective {
    pub(crate) lambda: f64,
    pub(crate) amount_weight: f64,
}

/// The block Gaussians of one decision, and buffers for drawing from them. Reused between
/// decisions so that a decision allocates nothing once the buffers have grown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Blocks {
    shared: Gauss,
    pub(crate) channel_hashes: Vec<u64>,
    channels: Vec<Gauss>,
    costs: Vec<f64>,
    /// Do all offered channels cost the same? Then `lambda * cost` shifts every arm's value
    /// alike, and the sigmoid, monotone, orders the arms as their scores do.
    uniform_cost: bool,
    bucket_ids: Vec<u8>,
    buckets: Vec<Gauss>,
    hour_bucket: Vec<usize>,
    hours: Vec<Gauss>,
    arms: Vec<Gauss>,
    /// The debtor's own effects for this request.
    debtor: View,
    /// Per arm: can it win a draw (see "Arms that cannot win")?
    live: Vec<bool>,
    /// Per channel: how many of its hours are live.
    live_hours: Vec<usize>,
    /// Multiplier of the standard deviations when sampling (`sample_scale`).
    scale: f64,
    // Sampling view of the above, and draw buffers.
    sampled: Vec<Normal>,
    z_bucket: Vec<f64>,
    z_hour: Vec<f64>,
    normals: Vec<f64>,
    pub(crate) counts: Vec<u32>,
}

impl Blocks {
    /// Computes every block's mean and variance for `request` (already validated), and the
    /// sampling table with standard deviations multiplied by `scale`.
    pub(crate) fn compute(
        &mut self,
        w: &Weights,
        debtors: &Debtors,
        enc: &Encoded,
        request: &Request<'_>,
        width: u8,
        scale: f64,
    ) {
        let mut g = Gauss::default();
        features::shared(enc, |h, x| w.add(&mut g, h, x));
        self.shared = g;

        self.channel_hashes.clear();
        self.channels.clear();
        self.costs.clear();
        for (i, name) in request.channels.iter().enumerate() {
            let ch = channel_hash(name);
            let mut g = Gauss::default();
            features::channel(enc, ch, |h, x| w.add(&mut g, h, x));
            self.channel_hashes.push(ch);
            self.channels.push(g);
            self.costs.push(request.cost(i));
        }
        self.uniform_cost = self.costs.windows(2).all(|pair| pair[0] == pair[1]);

        self.bucket_ids.clear();
        self.hour_bucket.clear();
        self.hours.clear();
        for &hour in request.hours {
            let b = bucket_of(hour, width);
            let index = match self.bucket_ids.iter().position(|&id| id == b) {
                Some(i) => i,
                None => {
                    self.bucket_ids.push(b);
                    self.bucket_ids.len() - 1
                }
            };
            self.hour_bucket.push(index);
            let mut g = Gauss::default();
            features::hour(hour, |h, x| w.add(&mut g, h, x));
            self.hours.push(g);
        }
        self.buckets.clear();
        for &b in &self.bucket_ids {
            let mut g = Gauss::default();
            features::bucket(enc, b, |h, x| w.add(&mut g, h, x));
            self.buckets.push(g);
        }

        self.arms.clear();
        for &ch in &self.channel_hashes {
            for &hour in request.hours {
                let mut g = Gauss::default();
                features::arm(ch, hour, |h, x| w.add(&mut g, h, x));
                self.arms.push(g);
            }
        }

        self.debtor.fill(debtors, enc.debtor, &self.channel_hashes, request.hours);

        // One contiguous sampling table: shared, channels, buckets, hours, arms.
        self.sampled.clear();
        self.scale = scale;
        self.sampled.push(Normal::of(self.shared, scale));
        let blocks = [&self.channels, &self.buckets, &self.hours, &self.arms];
        self.sampled.extend(blocks.into_iter().flatten().map(|&g| Normal::of(g, scale)));
    }

    /// Puts every arm but `default` behind it by its handicap (see
    /// [`default_arm`](super::default_arm)): the arm blocks' means, in the sampling table too.
    pub(crate) fn lead_default(&mut self, default: usize, lead: f64, prior_variance: f64) {
        let first_arm = self.sampled.len() - self.arms.len();
        for (i, arm) in self.arms.iter_mut().enumerate() {
            if i == default {
                continue;
            }
            let handicap = super::default_arm::handicap(lead, arm.var, prior_variance);
            arm.mean -= handicap;
            self.sampled[first_arm + i].mean -= handicap;
        }
    }

    /// Must arms be compared by value (`sigmoid(score) * amount_weight - lambda * cost`)? Not when
    /// costs do not count (`lambda = 0`) or are the same for every channel: then the order of the
    /// scores is the order of the values, and comparing scores saves the sigmoid's `exp`.
    fn compares_values(&self, objective: Objective) -> bool {
        objective.lambda > 0.0 && !self.uniform_cost
    }

    /// Marks the arms that can win a draw under `objective`: those whose upper bound reaches the
    /// best lower bound over all arms, and, within their channel, the best lower bound of the
    /// parts that differ between the channel's hours (hour, bucket, pair, the debtor's curve). The
    /// channel's own parts are one draw for all its hours, so an hour beaten on the rest by
    /// another hour of the same channel cannot be the channel's best, whatever the channel's
    /// draw; and the objective is monotone in the score within a channel (one cost).
    pub(crate) fn prune(&mut self, objective: Objective) {
        const Z: f64 = 4.0;
        let n_hours = self.hours.len();
        let by_value = self.compares_values(objective);
        let bound = |blocks: &Self, arm: usize, z: f64| {
            let g = blocks.arm_score(arm);
            let score = g.mean + z * blocks.scale * g.var.sqrt();
            if by_value {
                sigmoid(score) * objective.amount_weight - objective.lambda * blocks.costs[arm / n_hours]
            } else {
                score
            }
        };
        let floor = (0..self.arms.len()).map(|a| bound(self, a, -Z)).fold(f64::NEG_INFINITY, f64::max);
        self.live.clear();
        for a in 0..self.arms.len() {
            // A NaN bound compares as neither, and keeps the arm in play.
            let live = bound(self, a, Z).partial_cmp(&floor) != Some(std::cmp::Ordering::Less);
            self.live.push(live);
        }
        for c in 0..self.channels.len() {
            let hourly = |blocks: &Self, h: usize, z: f64| {
                let g = blocks.hourly(c, h);
                g.mean + z * blocks.scale * g.var.sqrt()
            };
            let floor = (0..n_hours).map(|h| hourly(self, h, -Z)).fold(f64::NEG_INFINITY, f64::max);
            for h in 0..n_hours {
                if hourly(self, h, Z) < floor {
                    self.live[c * n_hours + h] = false;
                }
            }
        }
        // The two rules bound different sums; should they together rule out everything, sample
        // everything rather than pick blindly.
        if !self.live.contains(&true) {
            self.live.iter_mut().for_each(|l| *l = true);
        }
        self.live_hours.clear();
        self.live_hours
            .extend(self.live.chunks(n_hours.max(1)).map(|row| row.iter().filter(|&&l| l).count()));
    }

    /// The parts of arm `(c, h)`'s score that differ between the hours of channel `c`.
    fn hourly(&self, c: usize, h: usize) -> Gauss {
        let parts = [
            self.buckets[self.hour_bucket[h]],
            self.hours[h],
            self.arms[c * self.hours.len() + h],
            self.debtor.hour_curve(h),
        ];
        parts.iter().fold(Gauss::default(), |acc, g| Gauss { mean: acc.mean + g.mean, var: acc.var + g.var })
    }

    pub(crate) fn arm_count(&self) -> usize {
        self.arms.len()
    }

    /// The posterior of arm `index`'s score (log-odds of payment): the sum of its five blocks.
    pub(crate) fn arm_score(&self, index: usize) -> Gauss {
        let n_hours = self.hours.len();
        let (c, h) = (index / n_hours, index % n_hours);
        let parts = [
            self.shared,
            self.channels[c],
            self.buckets[self.hour_bucket[h]],
            self.hours[h],
            self.arms[index],
            self.debtor.arm(c, h),
        ];
        parts.iter().fold(Gauss::default(), |acc, g| Gauss { mean: acc.mean + g.mean, var: acc.var + g.var })
    }

    /// How many standard normals one sample takes, given which arms are live.
    fn normals_per_sample(&self, objective: Objective) -> usize {
        let n_hours = self.hours.len();
        let mut need = self.buckets.len() + n_hours + self.debtor.len();
        need += usize::from(objective.lambda > 0.0);
        for &live in &self.live_hours {
            if live > 0 {
                need += 1 + live;
            }
        }
        need
    }

    /// One posterior sample of every arm's value; returns the best arm (the first on ties).
    fn draw_best<R: Rng>(&mut self, rng: &mut R, objective: Objective, need: usize) -> usize {
        let (n_channels, n_buckets, n_hours) = (self.channels.len(), self.buckets.len(), self.hours.len());
        let (shared, rest) = self.sampled.split_first().expect("compute ran");
        let (channels, rest) = rest.split_at(n_channels);
        let (buckets, rest) = rest.split_at(n_buckets);
        let (hours, arms) = rest.split_at(n_hours);

        // All of the sample's standard normals at once, then handed out in a fixed order.
        super::normals::fill(rng, &mut self.normals, need);
        let z = &self.normals;
        let mut next = 0;
        let debtor = self.debtor.active;
        if debtor {
            let n = self.debtor.len();
            self.debtor.draw(self.scale, &z[..n]);
            next = n;
        }
        self.z_bucket.clear();
        for n in buckets {
            self.z_bucket.push(n.at(z[next]));
            next += 1;
        }
        let (z_hour, z_bucket, view) = (&mut self.z_hour, &self.z_bucket, &self.debtor);
        z_hour.clear();
        z_hour.extend(
            hours
                .iter()
                .zip(&self.hour_bucket)
                .zip(&z[next..next + n_hours])
                .enumerate()
                .map(|(h, ((n, &b), &z))| n.at(z) + z_bucket[b] + if debtor { view.hour(h) } else { 0.0 }),
        );
        next += n_hours;
        // The shared block and the debtor's intercept add the same to every arm; they matter only
        // through the sigmoid of the cost-aware objective.
        let z_shared = if objective.lambda > 0.0 {
            next += 1;
            shared.at(z[next - 1]) + if debtor { self.debtor.intercept() } else { 0.0 }
        } else {
            0.0
        };

        let by_value = self.compares_values(objective);
        let mut best = (f64::NEG_INFINITY, 0);
        for (c, channel) in channels.iter().enumerate() {
            let live_hours = self.live_hours[c];
            if live_hours == 0 {
                continue;
            }
            let row = c * n_hours..(c + 1) * n_hours;
            let z_channel = channel.at(z[next]) + if debtor { self.debtor.channel(c) } else { 0.0 };
            next += 1;
            let top = if live_hours == n_hours {
                next += n_hours;
                best_hour(&arms[row], &self.z_hour, &z[next - n_hours..next])
            } else {
                let mut top = (f64::NEG_INFINITY, 0);
                for (h, ((arm, z_hour), live)) in
                    arms[row.clone()].iter().zip(&self.z_hour).zip(&self.live[row]).enumerate()
                {
                    if !live {
                        continue;
                    }
                    let score = z_hour + arm.at(z[next]);
                    next += 1;
                    if score > top.0 {
                        top = (score, h);
                    }
                }
                top
            };
            // The sigmoid is monotone, so within a channel (one cost) the best score is the best
            // value; only the channels' bests need the sigmoid.
            let value = if by_value {
                sigmoid(z_shared + z_channel + top.0) * objective.amount_weight
                    - objective.lambda * self.costs[c]
            } else {
                z_channel + top.0
            };
            if value > best.0 {
                best = (value, c * n_hours + top.1);
            }
        }
        debug_assert_eq!(next, need);
        best.1
    }

    /// Draws `draws` posterior samples and counts each arm's wins in [`counts`](Self::counts).
    /// Returns the winner of sample number `pick` (if given).
    pub(crate) fn ensemble<R: Rng>(
        &mut self,
        rng: &mut R,
        objective: Objective,
        draws: u32,
        pick: Option<u32>,
    ) -> usize {
        self.prune(objective);
        self.counts.clear();
        self.counts.resize(self.arms.len(), 0);
        // The thousands of normal draws come from a fast generator seeded from the caller's
        // stream, so a decision is still a function of the seed (see `normals`).
        let mut fast = WyRand(rng.next_u64());
        // A sure posterior leaves one arm that can win: every draw would pick it.
        let mut live = self.live.iter().enumerate().filter(|(_, &l)| l).map(|(a, _)| a);
        if let (Some(only), None) = (live.next(), live.next()) {
            self.counts[only] = draws;
            return only;
        }
        self.debtor.prepare_draws();
        let need = self.normals_per_sample(objective);
        let mut picked = 0;
        for j in 0..draws {
            let best = self.draw_best(&mut fast, objective, need);
            self.counts[best] += 1;
            if pick == Some(j) {
                picked = best;
            }
        }
        picked
    }

    /// The policy: Thompson sampling through an ensemble of `draws` samples, mixed with
    /// `epsilon` uniform exploration. Returns the arm and its exact propensity.
    pub(crate) fn choose<R: Rng>(
        &mut self,
        rng: &mut R,
        objective: Objective,
        draws: u32,
        epsilon: f64,
    ) -> (usize, f64) {
        let arms = self.arms.len();
        let pick = rng.gen_range(0..draws);
        let greedy = self.ensemble(rng, objective, draws, Some(pick));
        let explore = epsilon > 0.0 && rng.gen::<f64>() < epsilon;
        let arm = if explore { rng.gen_range(0..arms) } else { greedy };
        let propensity =
            (1.0 - epsilon) * f64::from(self.counts[arm]) / f64::from(draws) + epsilon / arms as f64;
        (arm, propensity)
    }
}

/// The best hour of a channel whose hours are all live: its sampled score (the hour's draw plus
/// the arm's at standard normal `z[h]`) and its index, the first on ties. The hours are split
/// between two running maxima, merged at the end, so that the comparisons do not wait on each
/// other.
#[inline]
fn best_hour(arms: &[Normal], z_hour: &[f64], z: &[f64]) -> (f64, usize) {
    let score = |h: usize| z_hour[h] + arms[h].at(z[h]);
    let (mut even, mut odd) = ((f64::NEG_INFINITY, 0), (f64::NEG_INFINITY, 0));
    let mut h = 0;
    while h + 1 < arms.len() {
        let (a, b) = (score(h), score(h + 1));
        if a > even.0 {
            even = (a, h);
        }
        if b > odd.0 {
            odd = (b, h + 1);
        }
        h += 2;
    }
    if h < arms.len() {
        let a = score(h);
        if a > even.0 {
            even = (a, h);
        }
    }
    // The first on ties, as one running maximum would have it.
    if odd.0 > even.0 || (odd.0 == even.0 && odd.1 < even.1) {
        odd
    } else {
        even
    }
}

/// wyrand (Wang Yi's 64-bit generator): one add and one 128-bit multiply per output, passes
/// BigCrush and PractRand. Written out here so its stream never changes under us.
struct WyRand(u64);

impl RngCore for WyRand {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0).wrapping_mul(u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db));
        ((t >> 64) ^ t) as u64
    }

    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// One running maximum, the first on ties: what [`best_hour`] must agree with.
    fn first_best(arms: &[Normal], z_hour: &[f64], z: &[f64]) -> (f64, usize) {
        let mut top = (f64::NEG_INFINITY, 0);
        for h in 0..arms.len() {
            let score = z_hour[h] + arms[h].at(z[h]);
            if score > top.0 {
                top = (score, h);
            }
        }
        top
    }

    #[test]
    fn the_best_hour_is_the_first_best_also_on_ties() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for len in 1..=14 {
            for _ in 0..2_000 {
                // Few distinct values, so that ties between even and odd hours are common.
                let mut pick = |values: &[f64]| values[rng.gen_range(0..values.len())];
                let arms: Vec<Normal> =
                    (0..len).map(|_| Normal { mean: pick(&[0.0, 1.0]), sd: pick(&[0.0, 0.5]) }).collect();
                let z_hour: Vec<f64> = (0..len).map(|_| pick(&[-1.0, 0.0, 1.0, f64::NEG_INFINITY])).collect();
                let z: Vec<f64> = (0..len).map(|_| pick(&[-2.0, 0.0, 2.0])).collect();
                assert_eq!(
                    best_hour(&arms, &z_hour, &z),
                    first_best(&arms, &z_hour, &z),
                    "{arms:?} {z_hour:?} {z:?}"
                );
            }
        }
    }
}
