//! What catalogue world to simulate, checked before anything is drawn.

use serde::{Deserialize, Serialize};

use super::super::SimError;

/// The knobs of a catalogue world. Shares and probabilities are in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueConfig {
    /// Items in the catalogue (`categories..=100000`).
    pub items: usize,
    /// Product categories (`2..=1000`).
    pub categories: usize,
    /// Days simulated (`60..=3650`).
    pub horizon_days: u32,
    /// About how many purchase lines to draw (`1..=20000000`); the number of buyers follows.
    pub lines: usize,
    pub business_share: f64,
    /// Exponent of the Zipf law of item popularity (`0..=3`): 0 is flat, 1.5 a few hits.
    pub popularity_skew: f64,
    /// Share of fresh picks from the buyer's favourite categories rather than any category.
    pub taste_focus: f64,
    /// How far businesses' and consumers' tastes differ: each category leans to one segment
    /// by this much.
    pub segment_contrast: f64,
    /// Share of items with complements.
    pub complement_share: f64,
    /// Chance that an order line goes to a pending complement of an earlier purchase.
    pub complement_pull: f64,
    /// Share of items that are consumables, bought again every few weeks.
    pub consumable_share: f64,
    /// Chance that a due consumable is bought again (else the buyer stops buying it).
    pub repeat_loyalty: f64,
    /// Share of items sold mostly around a peak day of the year.
    pub seasonal_share: f64,
    /// Share of items retired part-way through (inactive at the end).
    pub retired_share: f64,
}

impl Default for CatalogueConfig {
    fn default() -> Self {
        CatalogueConfig {
            items: 400,
            categories: 16,
            horizon_days: 730,
            lines: 200_000,
            business_share: 0.4,
            popularity_skew: 1.0,
            taste_focus: 0.7,
            segment_contrast: 0.7,
            complement_share: 0.5,
            complement_pull: 0.3,
            consumable_share: 0.25,
            repeat_loyalty: 0.7,
            seasonal_share: 0.15,
            retired_share: 0.05,
        }
    }
}

impl CatalogueConfig {
    /// `Ok` when every field is in its range, else the first field that is not.
    pub fn validate(&self) -> Result<(), SimError> {
        let range = |field: &str, ok: bool, what: String| {
            if ok {
                Ok(())
            } else {
                Err(SimError::invalid(field, what))
            }
        };
        range(
            "categories",
            (2..=1000).contains(&self.categories),
            format!("must be in 2..=1000, got {}", self.categories),
        )?;
        range(
            "items",
            (self.categories..=100_000).contains(&self.items),
            format!("must be in categories..=100000, got {}", self.items),
        )?;
        range(
            "horizon_days",
            (60..=3650).contains(&self.horizon_days),
            format!("must be in 60..=3650, got {}", self.horizon_days),
        )?;
        range(
            "lines",
            (1..=20_000_000).contains(&self.lines),
            format!("must be in 1..=20000000, got {}", self.lines),
        )?;
        range(
            "popularity_skew",
            (0.0..=3.0).contains(&self.popularity_skew),
            format!("must be in [0, 3], got {}", self.popularity_skew),
        )?;
        for (field, value) in [
            ("business_share", self.business_share),
            ("taste_focus", self.taste_focus),
            ("segment_contrast", self.segment_contrast),
            ("complement_share", self.complement_share),
            ("complement_pull", self.complement_pull),
            ("consumable_share", self.consumable_share),
            ("repeat_loyalty", self.repeat_loyalty),
            ("seasonal_share", self.seasonal_share),
            ("retired_share", self.retired_share),
        ] {
            range(field, (0.0..=1.0).contains(&value), format!("must be in [0, 1], got {value}"))?;
        }
        Ok(())
    }
}
