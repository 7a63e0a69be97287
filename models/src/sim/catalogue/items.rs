//! Drawing the catalogue: categories, popularity, segment lean, consumables, seasons,
//! complements and retirements.

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::super::debtor::Segment;
use super::super::sample::{log_normal, standard_normal};
use super::CatalogueConfig;

/// One product, with the hidden structure that drives who buys it when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimItem {
    /// `K03-0042`: category, then item number.
    pub sku: String,
    pub name: String,
    pub category: u32,
    pub price_cents: i64,
    /// False for an item retired during the horizon.
    pub active: bool,
    /// True for consumables: the shop's catalogue marks them repeatable.
    pub repeatable: bool,
    /// Relative popularity (Zipf weight, the most popular item 1).
    pub popularity: f64,
    /// In `[-1, 1]`: a business weighs the item `1 + lean`, a consumer `1 - lean`.
    pub business_lean: f64,
    /// A consumable's typical days between purchases.
    pub repeat_days: Option<u32>,
    /// A seasonal item's peak day of the year (0..365).
    pub season_peak_day: Option<u32>,
    /// Items that buying this one makes likely in the following months.
    pub complements: Vec<u32>,
    /// The day from which it is no longer sold.
    pub retired_from_day: Option<u32>,
}

impl SimItem {
    /// How much a buyer of `segment` likes the item, against 1 for a neutral item.
    pub fn segment_weight(&self, segment: Segment) -> f64 {
        let lean = match segment {
            Segment::Business => self.business_lean,
            Segment::Consumer => -self.business_lean,
        };
        (1.0 + lean).max(0.02)
    }

    /// The season's factor on `day`: 1 for an all-year item; for a seasonal item 4 at its peak,
    /// about 1 six weeks away, under 0.1 three months away.
    pub fn season(&self, day: u32) -> f64 {
        self.season_peak_day.map_or(1.0, |peak| {
            let phase = std::f64::consts::TAU * (f64::from(day) - f64::from(peak)) / 365.0;
            4.0 * (4.0 * (phase.cos() - 1.0)).exp()
        })
    }

    /// Still sold on `day`.
    pub fn on_sale(&self, day: u32) -> bool {
        self.retired_from_day.is_none_or(|retired| day < retired)
    }
}

const CATEGORY_NAMES: [&str; 16] = [
    "Office",
    "Coffee",
    "Cleaning",
    "IT",
    "Garden",
    "Tools",
    "Packaging",
    "Safety",
    "Kitchen",
    "Lighting",
    "Furniture",
    "Paper",
    "Beverages",
    "Hygiene",
    "Electrical",
    "Outdoor",
];

/// The first half of the categories lean to businesses, the second half to consumers.
pub(crate) fn category_lean(category: usize, config: &CatalogueConfig) -> f64 {
    let sign = if category < config.categories / 2 { 1.0 } else { -1.0 };
    sign * config.segment_contrast
}

pub(crate) fn draw_items<R: Rng + ?Sized>(config: &CatalogueConfig, rng: &mut R) -> Vec<SimItem> {
    let n = config.items;
    let mut ranks: Vec<usize> = (0..n).collect();
    ranks.shuffle(rng);
    let category_price: Vec<f64> =
        (0..config.categories).map(|_| 500.0 * 100.0_f64.powf(rng.gen())).collect();
    // Each category's complements come from one partner category.
    let partner: Vec<usize> = (0..config.categories)
        .map(|c| (c + rng.gen_range(1..config.categories)) % config.categories)
        .collect();
    let horizon = config.horizon_days;
    let mut items: Vec<SimItem> = (0..n)
        .map(|i| {
            let category = i % config.categories;
            let name = CATEGORY_NAMES[category % CATEGORY_NAMES.len()];
            let lean = category_lean(category, config) + 0.2 * standard_normal(rng);
            let consumable = rng.gen_bool(config.consumable_share);
            let retired = rng.gen_bool(config.retired_share);
            SimItem {
                sku: format!("K{category:02}-{i:04}"),
                name: format!("{name} {}", i / config.categories + 1),
                category: category as u32,
                price_cents: log_normal(rng, category_price[category], 0.5).round().max(50.0) as i64,
                active: !retired,
                repeatable: consumable,
                popularity: 1.0 / ((ranks[i] + 1) as f64).powf(config.popularity_skew),
                business_lean: lean.clamp(-1.0, 1.0),
                repeat_days: consumable.then(|| log_normal(rng, 30.0, 0.5).clamp(7.0, 180.0) as u32),
                season_peak_day: rng.gen_bool(config.seasonal_share).then(|| rng.gen_range(0..365)),
                complements: Vec::new(),
                retired_from_day: retired.then(|| rng.gen_range(horizon / 3..horizon * 9 / 10)),
            }
        })
        .collect();
    let by_category = by_category(&items, config.categories);
    for item in &mut items {
        if rng.gen_bool(config.complement_share) {
            let pool = &by_category[partner[item.category as usize]];
            let count = rng.gen_range(1..=3).min(pool.len());
            item.complements = pool.choose_multiple(rng, count).copied().collect();
        }
    }
    items
}

/// Item ids per category.
pub(crate) fn by_category(items: &[SimItem], categories: usize) -> Vec<Vec<u32>> {
    let mut groups = vec![Vec::new(); categories];
    for (i, item) in items.iter().enumerate() {
        groups[item.category as usize].push(i as u32);
    }
    groups
}
