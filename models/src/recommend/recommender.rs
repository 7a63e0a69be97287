//! The served recommender: SKU neighbours and popularity ranks, and how one request is scored.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::intern::Interner;
use super::{
    Catalogue, CatalogueItem, CoPurchases, Day, DebtorHistory, Purchase, Reason, Recommendation,
    ValidRecommenderParams,
};

/// What a fit saw: the conditions to print beside a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FitMeta {
    /// Invoice lines counted.
    pub lines: u64,
    pub debtors: u64,
    /// Distinct SKUs seen.
    pub items: u64,
    /// The earliest and the latest day of the lines.
    pub first_day: Day,
    pub last_day: Day,
}

/// Recent popularity of every SKU in one segment (or overall).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Popularity {
    /// Per SKU id, the most popular SKU's being 1.
    pub(crate) score: Vec<f32>,
    /// SKU ids with a positive score, most popular first.
    ranked: Vec<u32>,
}

impl Popularity {
    /// From decayed counts (a shorter row means zero for the later SKUs).
    pub(crate) fn from_weights(weights: &[f64], items: usize) -> Self {
        let max = weights.iter().copied().fold(0.0, f64::max);
        let mut score = vec![0.0f32; items];
        if max > 0.0 {
            weights.iter().enumerate().for_each(|(sku, w)| score[sku] = (w / max) as f32);
        }
        Self::from_scores(score)
    }

    pub(crate) fn from_scores(score: Vec<f32>) -> Self {
        let mut ranked: Vec<u32> = (0..score.len() as u32).filter(|&i| score[i as usize] > 0.0).collect();
        ranked.sort_by(|&a, &b| score[b as usize].total_cmp(&score[a as usize]).then(a.cmp(&b)));
        Popularity { score, ranked }
    }
}

/// Which popularity [`Recommender::popular`] ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopularityScope {
    /// The debtor's segment (everyone's when the segment is unknown).
    Segment,
    Everyone,
}

/// A fitted recommender for one tenant. Cheap to query: a request reads the neighbours of the
/// debtor's recent SKUs and the head of one popularity list.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommender {
    pub(crate) params: ValidRecommenderParams,
    pub(crate) skus: Interner,
    pub(crate) segments: Interner,
    pub(crate) neighbours: Vec<Vec<(u32, f32)>>,
    pub(crate) segment_popularity: Vec<Popularity>,
    pub(crate) global_popularity: Popularity,
    pub(crate) meta: FitMeta,
}

/// The score terms of one candidate.
#[derive(Debug, Default, Clone, Copy)]
struct Terms {
    similar: f64,
    /// The debtor's SKU that contributed most to `similar`, and how much.
    because: Option<(u32, f64)>,
    again: f64,
}

/// The catalogue's rules for one debtor on one day.
struct Eligible<'a> {
    catalogue: &'a Catalogue,
    recent: HashSet<&'a str>,
}

impl<'a> Eligible<'a> {
    fn new(catalogue: &'a Catalogue, history: &'a DebtorHistory, today: Day, exclude_days: u32) -> Self {
        let recent = history
            .bought
            .iter()
            .filter(|b| i64::from(today) - i64::from(b.day) < i64::from(exclude_days))
            .map(|b| b.sku.as_str())
            .collect();
        Eligible { catalogue, recent }
    }

    /// The catalogue item if it may be offered: active, and not bought recently unless repeatable.
    fn item(&self, sku: &str) -> Option<&'a CatalogueItem> {
        let item = self.catalogue.get(sku)?;
        (item.active && (item.repeatable || !self.recent.contains(sku))).then_some(item)
    }
}

impl Recommender {
    /// Fits a recommender to `lines` in one batch.
    pub fn fit(params: ValidRecommenderParams, lines: &[Purchase]) -> Recommender {
        let mut counts = CoPurchases::new(params);
        counts.add(lines);
        counts.recommender()
    }

    pub(crate) fn from_parts(
        params: ValidRecommenderParams,
        skus: Interner,
        segments: Interner,
        neighbours: Vec<Vec<(u32, f32)>>,
        segment_popularity: Vec<Popularity>,
        global_popularity: Popularity,
        meta: FitMeta,
    ) -> Recommender {
        Recommender { params, skus, segments, neighbours, segment_popularity, global_popularity, meta }
    }

    pub fn params(&self) -> &ValidRecommenderParams {
        &self.params
    }

    pub fn meta(&self) -> FitMeta {
        self.meta
    }

    /// The SKUs most similar to `sku` by co-purchases, most similar first, with their cosine.
    pub fn similar(&self, sku: &str) -> Vec<(&str, f32)> {
        let Some(id) = self.skus.id(sku) else { return Vec::new() };
        self.neighbours[id as usize].iter().map(|&(j, s)| (self.skus.name(j), s)).collect()
    }

    /// At most `top_k` items for a debtor with `history`, on day `today`, best first. Only
    /// active items of `catalogue`, never one bought in the last `exclude_recent_days` unless
    /// repeatable. Filled up with the segment's popular items, then everyone's; fewer than
    /// `top_k` only when fewer items are eligible and were ever bought.
    pub fn recommend(
        &self,
        history: &DebtorHistory,
        today: Day,
        catalogue: &Catalogue,
    ) -> Vec<Recommendation> {
        let eligible = Eligible::new(catalogue, history, today, self.params.exclude_recent_days);
        let mut terms: HashMap<u32, Terms> = HashMap::new();
        for (i, r) in self.recency_weights(history, today) {
            for &(j, s) in &self.neighbours[i as usize] {
                let c = r * f64::from(s);
                let t = terms.entry(j).or_default();
                t.similar += c;
                if t.because.is_none_or(|(_, best)| c > best) {
                    t.because = Some((i, c));
                }
            }
            if catalogue.get(self.skus.name(i)).is_some_and(|item| item.repeatable) {
                terms.entry(i).or_default().again += self.params.repeat_weight * r;
            }
        }
        let (popularity, reason) = self.popularity_for(&history.segment, PopularityScope::Segment);
        let weight = self.params.popularity_weight;
        // (SKU id, score, popularity, reason, the debtor's own repeatable)
        let mut scored: Vec<(u32, f64, f32, Reason, bool)> = Vec::new();
        for (&j, t) in &terms {
            if eligible.item(self.skus.name(j)).is_none() {
                continue;
            }
            let pop = popularity.score[j as usize];
            let popular = weight * f64::from(pop);
            let why = if t.similar >= t.again.max(popular) && t.similar > 0.0 {
                let (because, _) = t.because.expect("a positive similarity has a contributor");
                Reason::OftenBoughtWith { sku: self.skus.name(because).to_owned() }
            } else if t.again >= popular && t.again > 0.0 {
                Reason::BoughtBefore { sku: self.skus.name(j).to_owned() }
            } else {
                reason.clone()
            };
            scored.push((j, t.similar + t.again + popular, pop, why, t.again > 0.0));
        }
        // Every other item scores its popularity alone: the best of them head the ranking.
        let fill = popularity.ranked.iter().filter(|j| !terms.contains_key(j));
        let fill = fill.filter(|&&j| eligible.item(self.skus.name(j)).is_some());
        for &j in fill.take(self.params.top_k) {
            let pop = popularity.score[j as usize];
            scored.push((j, weight * f64::from(pop), pop, reason.clone(), false));
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
        // At most max_bought_before of the debtor's own items, so the rest show something new.
        let mut own = 0;
        scored.retain(|s| {
            own += usize::from(s.4);
            !s.4 || own <= self.params.max_bought_before
        });
        scored.truncate(self.params.top_k);
        // A segment with few items of its own is filled up from everyone's.
        let missing = self.params.top_k - scored.len();
        let chosen: HashSet<u32> = scored.iter().map(|s| s.0).collect();
        let everyone = self.global_popularity.ranked.iter().filter(|j| !chosen.contains(j));
        let everyone = everyone.filter(|&&j| eligible.item(self.skus.name(j)).is_some());
        scored.extend(everyone.take(missing).map(|&j| (j, 0.0, 0.0, Reason::Popular, false)));
        scored.into_iter().map(|(j, score, _, why, _)| self.shown(&eligible, j, score, why)).collect()
    }

    /// The `top_k` most popular eligible items for this debtor, in their segment or overall:
    /// the popularity baselines, under the same catalogue rules as [`recommend`](Self::recommend).
    pub fn popular(
        &self,
        scope: PopularityScope,
        history: &DebtorHistory,
        today: Day,
        catalogue: &Catalogue,
    ) -> Vec<Recommendation> {
        let eligible = Eligible::new(catalogue, history, today, self.params.exclude_recent_days);
        let (popularity, reason) = self.popularity_for(&history.segment, scope);
        popularity
            .ranked
            .iter()
            .filter(|&&j| eligible.item(self.skus.name(j)).is_some())
            .take(self.params.top_k)
            .map(|&j| self.shown(&eligible, j, f64::from(popularity.score[j as usize]), reason.clone()))
            .collect()
    }

    fn shown(&self, eligible: &Eligible<'_>, sku: u32, score: f64, reason: Reason) -> Recommendation {
        let item = eligible.item(self.skus.name(sku)).expect("only eligible items are scored");
        Recommendation {
            sku: item.sku.clone(),
            name: item.name.clone(),
            url: item.url.clone(),
            price_cents: item.price_cents,
            score: score as f32,
            reason,
        }
    }

    /// The popularity list to use and the reason it gives.
    fn popularity_for(&self, segment: &str, scope: PopularityScope) -> (&Popularity, Reason) {
        match (scope, self.segments.id(segment)) {
            (PopularityScope::Segment, Some(id)) => (
                &self.segment_popularity[id as usize],
                Reason::PopularInSegment { segment: segment.to_owned() },
            ),
            _ => (&self.global_popularity, Reason::Popular),
        }
    }

    /// The debtor's SKUs known to the model, each weighted by how recently and how often it
    /// was bought, the `history_items` heaviest, normalised to sum to 1.
    fn recency_weights(&self, history: &DebtorHistory, today: Day) -> Vec<(u32, f64)> {
        let mut weights: HashMap<u32, f64> = HashMap::new();
        for bought in &history.bought {
            if let Some(id) = self.skus.id(&bought.sku) {
                let age = f64::from((today - bought.day).max(0));
                *weights.entry(id).or_default() += (-age / self.params.recency_half_life_days).exp2();
            }
        }
        let mut weights: Vec<(u32, f64)> = weights.into_iter().collect();
        weights.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        weights.truncate(self.params.history_items);
        let total: f64 = weights.iter().map(|w| w.1).sum();
        weights.iter_mut().for_each(|w| w.1 /= total);
        weights
    }
}
