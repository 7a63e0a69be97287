//! The counts behind the recommender: each debtor's time-decayed SKU weights and each segment's
//! time-decayed SKU popularity. New invoice lines can be added at any time; the served
//! [`Recommender`] is derived from the counts in one pass.

use serde::{Deserialize, Serialize};

use super::intern::Interner;
use super::neighbours::neighbours;
use super::recommender::{FitMeta, Popularity, Recommender};
use super::{Day, Purchase, ValidRecommenderParams};

/// One debtor's SKUs: `(sku id, weight)` sorted by SKU id, and the segment of their latest line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Basket {
    pub(crate) segment: u32,
    pub(crate) items: Vec<(u32, f32)>,
}

/// Co-purchase and popularity counts of one tenant.
///
/// A line of day `d` adds `2^((d - reference_day) / half_life)` to its debtor's SKU and to its
/// segment's popularity of that SKU, where `reference_day` is the latest day seen. When a later
/// day arrives every weight is scaled down once, so that weights stay at most about 1 whatever
/// the epoch; the cosine similarities and popularity ranks do not change by that scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoPurchases {
    params: ValidRecommenderParams,
    skus: Interner,
    debtors: Interner,
    segments: Interner,
    reference_day: Option<Day>,
    first_day: Option<Day>,
    /// Indexed by debtor id.
    baskets: Vec<Basket>,
    /// Indexed by segment id, then SKU id (shorter rows mean zero for the later SKUs).
    popularity: Vec<Vec<f64>>,
    lines: u64,
}

impl CoPurchases {
    /// Empty counts that will be fitted with `params`.
    pub fn new(params: ValidRecommenderParams) -> Self {
        CoPurchases {
            params,
            skus: Interner::default(),
            debtors: Interner::default(),
            segments: Interner::default(),
            reference_day: None,
            first_day: None,
            baskets: Vec::new(),
            popularity: Vec::new(),
            lines: 0,
        }
    }

    /// Adds invoice lines, in any order, to the counts. Adding lines in several batches gives
    /// the same counts as adding them at once (up to float rounding), except that a debtor's
    /// segment is the one of the line added last.
    pub fn add(&mut self, lines: &[Purchase]) {
        let Some(latest) = lines.iter().map(|p| p.day).max() else { return };
        self.move_reference_to(latest);
        let reference = self.reference_day.expect("set by move_reference_to");
        let similarity_hl = self.params.similarity_half_life_days;
        let popularity_hl = self.params.popularity_half_life_days;
        for line in lines {
            let sku = self.skus.intern(&line.sku);
            let segment = self.segments.intern(&line.segment);
            let debtor = self.debtors.intern(&line.debtor) as usize;
            if debtor == self.baskets.len() {
                self.baskets.push(Basket { segment, items: Vec::new() });
            }
            let age = f64::from(reference - line.day);
            let basket = &mut self.baskets[debtor];
            basket.segment = segment;
            let w = (-age / similarity_hl).exp2() as f32;
            match basket.items.binary_search_by_key(&sku, |&(s, _)| s) {
                Ok(at) => basket.items[at].1 += w,
                Err(at) => basket.items.insert(at, (sku, w)),
            }
            if segment as usize == self.popularity.len() {
                self.popularity.push(Vec::new());
            }
            let row = &mut self.popularity[segment as usize];
            if row.len() <= sku as usize {
                row.resize(sku as usize + 1, 0.0);
            }
            row[sku as usize] += (-age / popularity_hl).exp2();
            self.first_day = Some(self.first_day.map_or(line.day, |d| d.min(line.day)));
        }
        self.lines += lines.len() as u64;
    }

    /// Makes `day` the reference if it is later than the current one, scaling every weight by
    /// the decay over the gap.
    fn move_reference_to(&mut self, day: Day) {
        let Some(reference) = self.reference_day else {
            self.reference_day = Some(day);
            return;
        };
        if day <= reference {
            return;
        }
        let gap = f64::from(day - reference);
        let basket_scale = (-gap / self.params.similarity_half_life_days).exp2() as f32;
        for basket in &mut self.baskets {
            basket.items.iter_mut().for_each(|(_, w)| *w *= basket_scale);
        }
        let popularity_scale = (-gap / self.params.popularity_half_life_days).exp2();
        for row in &mut self.popularity {
            row.iter_mut().for_each(|p| *p *= popularity_scale);
        }
        self.reference_day = Some(day);
    }

    /// Invoice lines added so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The recommender these counts give: each SKU's nearest neighbours and the popularity
    /// ranks. Costs the sum over debtors of their SKU count squared (capped by
    /// `max_items_per_debtor`).
    pub fn recommender(&self) -> Recommender {
        let items = self.skus.len();
        let neighbours = neighbours(&self.baskets, items, &self.params);
        let segment_popularity: Vec<Popularity> =
            self.popularity.iter().map(|row| Popularity::from_weights(row, items)).collect();
        let mut global = vec![0.0; items];
        for row in &self.popularity {
            row.iter().enumerate().for_each(|(sku, p)| global[sku] += p);
        }
        let meta = FitMeta {
            lines: self.lines,
            debtors: self.debtors.len() as u64,
            items: items as u64,
            first_day: self.first_day.unwrap_or_default(),
            last_day: self.reference_day.unwrap_or_default(),
        };
        Recommender::from_parts(
            self.params.clone(),
            self.skus.clone(),
            self.segments.clone(),
            neighbours,
            segment_popularity,
            Popularity::from_weights(&global, items),
            meta,
        )
    }
}
