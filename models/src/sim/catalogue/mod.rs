//! A shop's catalogue and its customers' purchases over time, with the structure a product
//! recommender should find: categories, complements, seasons, consumables bought again,
//! segments with different tastes, and a few hugely popular items.
//!
//! # What it models
//! - **Items** ([`SimItem`]): each in a category; a popularity drawn from a Zipf law; a lean
//!   towards businesses or consumers (the category's, plus noise); some are consumables with a
//!   repeat period, some seasonal with a peak day of the year, some have complements (buying
//!   one makes its complements likely in the next months), some are retired part-way through
//!   (inactive in the catalogue at the end).
//! - **Buyers** ([`SimBuyer`]): business or consumer, one to three favourite categories drawn
//!   with their segment's taste, and an order rate.
//! - **Purchases** ([`SimPurchase`]): orders arrive at the buyer's rate; each line is a due
//!   consumable (kept with `repeat_loyalty`), else a pending complement (with
//!   `complement_pull`), else a fresh pick from a favourite category (`taste_focus`) or any
//!   category, by popularity x segment lean x season. Durable items are bought once.
//!
//! [`CatalogueWorld::all`] names settings of different structure (complement-driven,
//! popularity-driven, repeat-heavy, seasonal, balanced), so that a recommender tuned on one is
//! also judged on the others.
//!
//! # Reproducibility
//! Everything is drawn from the seed: the items from one stream, buyer `i` and buyer `i`'s
//! purchases from their own streams ([`SimRng`](super::SimRng)), so the same seed and config
//! give the same market on every platform.
//!
//! # Layout
//! `config` (the knobs) · `items` · `buyers` · `purchases` (the buying process) · `worlds`.

mod buyers;
mod config;
mod items;
mod purchases;
mod worlds;

use serde::{Deserialize, Serialize};

use super::sample::{stream_rng, Domain};
use super::SimError;

pub use buyers::SimBuyer;
pub use config::CatalogueConfig;
pub use items::SimItem;
pub use purchases::{SimPurchase, COMPLEMENT_WINDOW_DAYS};
pub use worlds::CatalogueWorld;

/// A drawn market: the catalogue, the buyers, and every purchase over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Market {
    pub seed: u64,
    pub config: CatalogueConfig,
    /// Indexed by [`SimPurchase::item`].
    pub items: Vec<SimItem>,
    /// Indexed by [`SimPurchase::buyer`].
    pub buyers: Vec<SimBuyer>,
    /// Sorted by day, then buyer.
    pub purchases: Vec<SimPurchase>,
}

impl Market {
    /// Draws a market of about `config.lines` purchase lines from `seed`.
    pub fn generate(seed: u64, config: &CatalogueConfig) -> Result<Market, SimError> {
        config.validate()?;
        let items = items::draw_items(config, &mut stream_rng(seed, Domain::CatalogueItems, 0));
        let buyer_count = buyers::buyers_for(config);
        let buyers: Vec<SimBuyer> = (0..buyer_count)
            .map(|i| buyers::draw_buyer(i, config, &mut stream_rng(seed, Domain::Buyers, i)))
            .collect();
        let by_category = items::by_category(&items, config.categories);
        let mut purchases = Vec::with_capacity(config.lines + config.lines / 8);
        for (i, buyer) in buyers.iter().enumerate() {
            let mut rng = stream_rng(seed, Domain::Purchases, i);
            purchases::draw_purchases(
                i as u32,
                buyer,
                &items,
                &by_category,
                config,
                &mut rng,
                &mut purchases,
            );
        }
        purchases.sort_by_key(|p| (p.day, p.buyer));
        Ok(Market { seed, config: config.clone(), items, buyers, purchases })
    }
}

#[cfg(test)]
mod tests;
