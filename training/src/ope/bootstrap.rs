//! Bootstrap intervals: the spread of an estimate over resamples of the logged decisions, read
//! off as a percentile interval.
//!
//! Resampling is the Poisson bootstrap: in each replicate every decision counts `k ~
//! Poisson(1)` times, independently, instead of drawing exactly `n` decisions with replacement
//! (whose counts are Multinomial(n; 1/n, ...), each Binomial(n, 1/n), which is Poisson(1) up to
//! O(1/n)). For the thousands to millions of decisions of a log the two give the same
//! intervals (Hanley & MacGibbon 2006; Chamandy et al. 2012 use it at Google's scale), and the
//! Poisson one is a single sequential pass over the terms per replicate, with no random access
//! into a million-element array. Replicate `r` draws from its own stream of the seed, so the
//! result does not depend on how many threads run the replicates.
//!
//! The interval treats the reward model of the doubly robust estimator as fixed; its own
//! uncertainty (it is fitted on the same log) is not resampled.

use std::thread;

/// A point estimate with its 95 % percentile interval. `lo`/`hi` are NaN when fewer than 90 %
/// of the replicates had a defined value (self-normalised IPS with nothing matched).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// Whether the interval holds `x`.
    #[cfg(test)]
    pub fn covers(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// `P(K <= k)` for `K ~ Poisson(1)`, `k = 0..`, scaled to `u32`: a count is the first `k` whose
/// bound exceeds a uniform `u32`. The tail beyond 10 (probability 1e-8) counts as 10.
const POISSON_1_CDF: [u32; 10] = {
    let mut cdf = [0u32; 10];
    let (mut p, mut total, mut k) = (0.367_879_441_171_442_3_f64, 0.0_f64, 0);
    while k < 10 {
        total += p;
        cdf[k] = (total * 4_294_967_296.0) as u32;
        k += 1;
        p /= k as f64;
    }
    cdf
};

#[inline]
fn poisson_1(u: u32) -> u32 {
    let mut k = 0;
    while k < POISSON_1_CDF.len() && u >= POISSON_1_CDF[k] {
        k += 1;
    }
    k as u32
}

/// SplitMix64 (Steele, Lea & Flood 2014): one add and a finaliser per 64 bits, two counts each.
struct SplitMix(u64);

impl SplitMix {
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Runs `replicates` Poisson-bootstrap replicates over items `0..n`: each starts from `zero()`
/// and gets `add(acc, i, k)` for every item drawn `k > 0` times. Replicates run on the machine's
/// threads; the result is the same on any number of them.
pub fn poisson_replicates<A: Send>(
    n: usize,
    replicates: usize,
    seed: u64,
    zero: impl Fn() -> A + Sync,
    add: impl Fn(&mut A, usize, f64) + Sync,
) -> Vec<A> {
    let one = |r: usize| {
        let mut rng = SplitMix(seed ^ (r as u64 + 1).wrapping_mul(0xD134_2543_DE82_EF95));
        let mut acc = zero();
        let mut i = 0;
        while i < n {
            let bits = rng.next();
            for u in [bits as u32, (bits >> 32) as u32] {
                if i < n {
                    let k = poisson_1(u);
                    if k > 0 {
                        add(&mut acc, i, f64::from(k));
                    }
                    i += 1;
                }
            }
        }
        acc
    };
    let threads = thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, replicates.max(1));
    let mut results: Vec<Option<A>> = (0..replicates).map(|_| None).collect();
    thread::scope(|scope| {
        for (t, chunk) in results.chunks_mut(replicates.div_ceil(threads).max(1)).enumerate() {
            let one = &one;
            let first = t * replicates.div_ceil(threads).max(1);
            scope.spawn(move || {
                for (offset, slot) in chunk.iter_mut().enumerate() {
                    *slot = Some(one(first + offset));
                }
            });
        }
    });
    results.into_iter().map(|a| a.expect("every replicate ran")).collect()
}

/// The 95 % percentile interval of `replicates` around the point estimate `value`.
pub fn interval(value: f64, replicates: &[f64]) -> Interval {
    let mut finite: Vec<f64> = replicates.iter().copied().filter(|x| x.is_finite()).collect();
    if finite.is_empty() || (finite.len() as f64) < 0.9 * replicates.len() as f64 {
        return Interval { value, lo: f64::NAN, hi: f64::NAN };
    }
    finite.sort_by(f64::total_cmp);
    Interval { value, lo: quantile(&finite, 0.025), hi: quantile(&finite, 0.975) }
}

/// Linear interpolation between order statistics of sorted `xs`.
fn quantile(xs: &[f64], q: f64) -> f64 {
    let position = q * (xs.len() - 1) as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    xs[below] + (xs[above] - xs[below]) * (position - below as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_counts_have_mean_and_variance_one() {
        let mut rng = SplitMix(3);
        let counts: Vec<f64> = (0..200_000).map(|_| f64::from(poisson_1(rng.next() as u32))).collect();
        let mean = counts.iter().sum::<f64>() / counts.len() as f64;
        let var = counts.iter().map(|k| (k - mean).powi(2)).sum::<f64>() / counts.len() as f64;
        assert!((mean - 1.0).abs() < 0.01 && (var - 1.0).abs() < 0.02, "{mean} {var}");
        assert_eq!(poisson_1(0), 0);
        assert_eq!(poisson_1(u32::MAX), 10);
    }

    #[test]
    fn replicates_are_the_same_on_any_thread_count_and_the_interval_of_a_mean_is_right() {
        // 10,000 coin flips with p = 0.3: the mean's standard error is 0.0046, so the 95 %
        // interval is about +-0.009 around the sample mean.
        let xs: Vec<f64> = (0..10_000).map(|i| f64::from(u8::from(i % 10 < 3))).collect();
        let sums = poisson_replicates(
            xs.len(),
            400,
            9,
            || (0.0, 0.0),
            |acc, i, k| {
                acc.0 += k * xs[i];
                acc.1 += k;
            },
        );
        let means: Vec<f64> = sums.iter().map(|(s, n)| s / n).collect();
        let again = poisson_replicates(
            xs.len(),
            400,
            9,
            || (0.0, 0.0),
            |acc, i, k| {
                acc.0 += k * xs[i];
                acc.1 += k;
            },
        );
        assert_eq!(sums, again);
        let ci = interval(0.3, &means);
        let half = (ci.hi - ci.lo) / 2.0;
        assert!(ci.covers(0.3) && (0.0075..0.0105).contains(&half), "{ci:?}");
    }

    #[test]
    fn an_estimate_undefined_in_many_replicates_has_no_interval() {
        let mut xs = vec![f64::NAN; 20];
        xs.extend([0.5; 80]);
        assert!(interval(0.5, &xs).lo.is_nan());
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 0.5), 2.0);
    }
}
