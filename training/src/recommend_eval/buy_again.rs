//! A third, stronger baseline: the debtor's own repeatable items, most recently and most often
//! bought first, then their segment's popular items. It shows what the co-purchase part of the
//! recommender adds beyond "buy again".

use std::collections::HashMap;

use mahnwerk_models::recommend::{Catalogue, Day, DebtorHistory, PopularityScope, Recommender};

/// Half-life of a past purchase in the ranking, as the recommender's default recency.
const RECENCY_HALF_LIFE_DAYS: f64 = 30.0;

/// At most `k` SKUs for the debtor: their active repeatable items by recency-weighted count,
/// then segment popularity under the recommender's rules.
pub fn buy_again_then_popular(
    recommender: &Recommender,
    history: &DebtorHistory,
    today: Day,
    catalogue: &Catalogue,
    k: usize,
) -> Vec<String> {
    let mut weights: HashMap<&str, f64> = HashMap::new();
    for bought in &history.bought {
        if catalogue.get(&bought.sku).is_some_and(|item| item.active && item.repeatable) {
            let age = f64::from((today - bought.day).max(0));
            *weights.entry(bought.sku.as_str()).or_default() += (-age / RECENCY_HALF_LIFE_DAYS).exp2();
        }
    }
    let mut own: Vec<(&str, f64)> = weights.into_iter().collect();
    own.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut skus: Vec<String> = own.into_iter().take(k).map(|(sku, _)| sku.to_owned()).collect();
    for rec in recommender.popular(PopularityScope::Segment, history, today, catalogue) {
        if skus.len() == k {
            break;
        }
        if !skus.contains(&rec.sku) {
            skus.push(rec.sku);
        }
    }
    skus
}
