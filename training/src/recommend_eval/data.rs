//! A simulated market as the recommender sees it: invoice lines and a catalogue, split in time
//! into the past it is fitted on and the period whose purchases it should predict.

use std::collections::BTreeSet;

use mahnwerk_models::recommend::{Bought, Catalogue, CatalogueItem, Day, DebtorHistory, Purchase};
use mahnwerk_models::sim::catalogue::Market;

/// The past as invoice lines, and per debtor what they bought after the split.
pub struct Split {
    pub catalogue: Catalogue,
    pub train: Vec<Purchase>,
    /// The day of the requests: the first day of the test period.
    pub split_day: Day,
    /// Per buyer (index), their past purchases as `(item, day)`.
    pub past: Vec<Vec<(u32, Day)>>,
    /// Per buyer (index), the distinct items bought in the test period.
    pub future: Vec<BTreeSet<u32>>,
}

/// Splits `market` at `horizon - test_days`.
pub fn split(market: &Market, test_days: u32) -> Split {
    let split_day = (market.config.horizon_days - test_days) as Day;
    let buyers = market.buyers.len();
    let mut past = vec![Vec::new(); buyers];
    let mut future = vec![BTreeSet::new(); buyers];
    let mut train = Vec::new();
    for p in &market.purchases {
        let day = p.day as Day;
        let buyer = &market.buyers[p.buyer as usize];
        if day < split_day {
            past[p.buyer as usize].push((p.item, day));
            train.push(Purchase {
                debtor: buyer.id.clone(),
                segment: buyer.segment.as_str().to_owned(),
                sku: market.items[p.item as usize].sku.clone(),
                day,
                quantity: p.quantity,
                amount_cents: i64::from(p.quantity) * p.unit_price_cents,
            });
        } else {
            future[p.buyer as usize].insert(p.item);
        }
    }
    Split { catalogue: catalogue(market), train, split_day, past, future }
}

/// The shop's catalogue at the end of the horizon.
pub fn catalogue(market: &Market) -> Catalogue {
    let items = market
        .items
        .iter()
        .map(|item| CatalogueItem {
            sku: item.sku.clone(),
            name: item.name.clone(),
            url: format!("https://shop.example/p/{}", item.sku),
            price_cents: item.price_cents,
            category: format!("category {}", item.category),
            active: item.active,
            repeatable: item.repeatable,
        })
        .collect();
    Catalogue::new(items).expect("simulated SKUs are unique")
}

/// What a request knows about buyer `index` at the split.
pub fn history(market: &Market, split: &Split, index: usize) -> DebtorHistory {
    DebtorHistory {
        segment: market.buyers[index].segment.as_str().to_owned(),
        bought: split.past[index]
            .iter()
            .map(|&(item, day)| Bought { sku: market.items[item as usize].sku.clone(), day })
            .collect(),
    }
}
