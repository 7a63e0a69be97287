//! Small sampling helpers, so the simulator needs nothing beyond `rand` and `rand_chacha`.

use rand::{Rng, SeedableRng};

use super::SimRng;

/// Separates the random streams of unrelated draws made from the same user seed, so that
/// `population.invoices(s)` with `s` equal to the population's seed is not a replay of the
/// debtors' own draws.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Domain {
    Debtors = 1,
    Invoices = 2,
    CatalogueItems = 3,
    Buyers = 4,
    Purchases = 5,
}

/// A generator for item `index` (a debtor) of a `domain`: one ChaCha stream per item, so a
/// debtor's draws do not depend on how many debtors come before or after it.
pub(crate) fn stream_rng(seed: u64, domain: Domain, index: usize) -> SimRng {
    let mut rng = SimRng::seed_from_u64(splitmix64(seed ^ ((domain as u64) << 56)));
    rng.set_stream(index as u64);
    rng
}

/// The SplitMix64 finaliser: a bijection that spreads nearby seeds far apart.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A standard normal draw (Box–Muller; `rand_distr` is not a dependency).
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.gen::<f64>();
    let u2 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `median * exp(sigma * z)`: a log-normal draw, the usual shape of money amounts and of
/// multiplicative person-to-person differences.
pub(crate) fn log_normal<R: Rng + ?Sized>(rng: &mut R, median: f64, sigma: f64) -> f64 {
    median * (sigma * standard_normal(rng)).exp()
}

/// One item drawn with probability proportional to its weight. Zero-weight items are never
/// drawn; the caller guarantees a positive total.
pub(crate) fn pick<T: Copy, R: Rng + ?Sized>(rng: &mut R, items: &[(f64, T)]) -> T {
    let total: f64 = items.iter().map(|(w, _)| w).sum();
    let mut x = rng.gen::<f64>() * total;
    for &(weight, item) in items {
        if x < weight {
            return item;
        }
        x -= weight;
    }
    // Rounding can leave x just above the last weight; fall back to the last possible item.
    items
        .iter()
        .rev()
        .find(|(w, _)| *w > 0.0)
        .map(|&(_, item)| item)
        .expect("pick needs at least one positive weight")
}

/// An exponential draw with the given mean, conditioned on being below `limit` (inverse CDF of
/// the truncated distribution, so it needs exactly one uniform draw).
pub(crate) fn truncated_exponential<R: Rng + ?Sized>(rng: &mut R, mean: f64, limit: f64) -> f64 {
    let u = rng.gen::<f64>();
    let mass = 1.0 - (-limit / mean).exp();
    (-mean * (1.0 - u * mass).ln()).min(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng;

    #[test]
    fn streams_differ_by_index_and_domain_and_repeat_by_seed() {
        let draw = |seed, domain, index| stream_rng(seed, domain, index).gen::<u64>();
        assert_eq!(draw(7, Domain::Debtors, 3), draw(7, Domain::Debtors, 3));
        assert_ne!(draw(7, Domain::Debtors, 3), draw(7, Domain::Debtors, 4));
        assert_ne!(draw(7, Domain::Debtors, 3), draw(7, Domain::Invoices, 3));
        assert_ne!(draw(7, Domain::Debtors, 3), draw(8, Domain::Debtors, 3));
    }

    #[test]
    fn pick_never_draws_a_zero_weight_and_follows_the_weights() {
        let mut r = rng(1);
        let items = [(0.0, 'a'), (1.0, 'b'), (3.0, 'c'), (0.0, 'd')];
        let n = 40_000;
        let c = (0..n).filter(|_| {
            let x = pick(&mut r, &items);
            assert!(x == 'b' || x == 'c');
            x == 'c'
        });
        let share = c.count() as f64 / n as f64;
        assert!((share - 0.75).abs() < 0.01, "{share}");
    }

    #[test]
    fn the_normal_has_mean_zero_and_unit_variance() {
        let mut r = rng(2);
        let n = 50_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut r)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
    }

    #[test]
    fn the_truncated_exponential_stays_below_its_limit() {
        let mut r = rng(3);
        for _ in 0..10_000 {
            let x = truncated_exponential(&mut r, 10.0, 5.0);
            assert!((0.0..=5.0).contains(&x), "{x}");
        }
    }
}
