//! The benchmark's own random draws (the script, the random policies): SplitMix64, a few lines
//! that never change under us, so a seed means the same script in every build. The world's
//! answers come from the simulator's generator ([`mahnwerk_models::sim::rng`]).

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit state, one add and a finaliser per draw.
#[derive(Debug, Clone)]
pub struct Draw(u64);

impl Draw {
    pub fn new(seed: u64) -> Self {
        Draw(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n`; `n` must be positive. The bias of the modulo is below 2^-40 for the
    /// small `n` used here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_in_range_and_roughly_uniform() {
        let mut d = Draw::new(7);
        let mut counts = [0u32; 4];
        for _ in 0..40_000 {
            let u = d.unit();
            assert!((0.0..1.0).contains(&u));
            counts[d.below(4)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_500..10_500).contains(&c)), "{counts:?}");
    }
}
