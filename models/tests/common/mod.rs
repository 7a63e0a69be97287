//! Helpers shared by the simulator's integration tests.

use mahnwerk_models::sim::{Population, SimConfig};

pub fn population(seed: u64) -> Population {
    Population::generate(seed, &SimConfig::default()).expect("the default config is valid")
}

pub fn small(seed: u64, debtors: usize) -> Population {
    let config = SimConfig { debtors, ..SimConfig::default() };
    Population::generate(seed, &config).expect("valid config")
}

/// Share of `items` for which `pred` holds.
pub fn share<T>(items: &[T], pred: impl Fn(&T) -> bool) -> f64 {
    items.iter().filter(|x| pred(x)).count() as f64 / items.len() as f64
}
