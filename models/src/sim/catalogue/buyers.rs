//! Drawing the buyers: segment, favourite categories and how often they order.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::super::debtor::Segment;
use super::super::sample::{log_normal, pick};
use super::items::category_lean;
use super::CatalogueConfig;

/// One customer of the shop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimBuyer {
    /// `K-000001`, in index order.
    pub id: String,
    pub segment: Segment,
    /// One to three categories most of their fresh picks come from.
    pub favourites: Vec<u32>,
    pub orders_per_year: f64,
}

/// Median orders per year by segment; the spread is log-normal with sigma `ORDER_SIGMA`.
const fn median_orders(segment: Segment) -> f64 {
    match segment {
        Segment::Business => 8.0,
        Segment::Consumer => 4.0,
    }
}
const ORDER_SIGMA: f64 = 0.7;

/// Most lines in one order by segment (drawn uniformly from 1).
pub(crate) const fn max_lines(segment: Segment) -> u32 {
    match segment {
        Segment::Business => 4,
        Segment::Consumer => 3,
    }
}

/// How many buyers give about `config.lines` lines over the horizon.
pub(crate) fn buyers_for(config: &CatalogueConfig) -> usize {
    let years = f64::from(config.horizon_days) / 365.0;
    let lines = |segment| {
        let orders = median_orders(segment) * (ORDER_SIGMA * ORDER_SIGMA / 2.0).exp();
        orders * (1.0 + f64::from(max_lines(segment))) / 2.0
    };
    let b = config.business_share;
    let per_buyer = years * (b * lines(Segment::Business) + (1.0 - b) * lines(Segment::Consumer));
    ((config.lines as f64 / per_buyer).ceil() as usize).max(1)
}

pub(crate) fn draw_buyer<R: Rng + ?Sized>(index: usize, config: &CatalogueConfig, rng: &mut R) -> SimBuyer {
    let segment = if rng.gen_bool(config.business_share) { Segment::Business } else { Segment::Consumer };
    let sign = if segment == Segment::Business { 1.0 } else { -1.0 };
    let mut weights: Vec<(f64, u32)> = (0..config.categories)
        .map(|c| ((1.0 + sign * category_lean(c, config)).max(0.02).powi(2), c as u32))
        .collect();
    let count = rng.gen_range(1..=3).min(config.categories);
    let mut favourites = Vec::with_capacity(count);
    for _ in 0..count {
        let category = pick(rng, &weights);
        favourites.push(category);
        weights[category as usize].0 = 0.0;
    }
    SimBuyer {
        id: format!("K-{:06}", index + 1),
        segment,
        favourites,
        orders_per_year: log_normal(rng, median_orders(segment), ORDER_SIGMA),
    }
}
