//! The catalogue world has the structure it claims: reproducible, about the lines asked for,
//! complements follow their items, consumables come back, durables do not, retired items stop,
//! segments differ, seasons peak.

use std::collections::HashMap;

use super::*;
use crate::sim::Segment;

fn market(world: &str, seed: u64, lines: usize) -> Market {
    let config = CatalogueConfig { lines, ..CatalogueWorld::named(world).unwrap().config };
    Market::generate(seed, &config).unwrap()
}

#[test]
fn every_world_is_valid_and_named_once() {
    let names = CatalogueWorld::names();
    for (i, world) in CatalogueWorld::all().iter().enumerate() {
        assert_eq!(world.config.validate(), Ok(()), "{}", world.name);
        assert!(!names[..i].contains(&world.name), "{} twice", world.name);
    }
    assert!(CatalogueWorld::named("nowhere").is_none());
    let bad = CatalogueConfig { taste_focus: 1.5, ..CatalogueConfig::default() };
    assert_eq!(Market::generate(1, &bad).unwrap_err().field(), "taste_focus");
}

#[test]
fn the_same_seed_gives_the_same_market_and_another_seed_another() {
    let a = market("balanced", 7, 20_000);
    assert_eq!(a, market("balanced", 7, 20_000));
    assert_ne!(a.purchases, market("balanced", 8, 20_000).purchases);
}

#[test]
fn about_the_lines_asked_for_sorted_by_day_within_the_horizon() {
    for world in CatalogueWorld::names() {
        let m = market(world, 1, 40_000);
        let n = m.purchases.len() as f64;
        assert!((0.7..1.3).contains(&(n / 40_000.0)), "{world}: {n} lines");
        assert!(m.purchases.windows(2).all(|w| (w[0].day, w[0].buyer) <= (w[1].day, w[1].buyer)));
        assert!(m.purchases.iter().all(|p| p.day < m.config.horizon_days && p.quantity >= 1));
    }
}

/// Purchases per (buyer, item).
fn counts(m: &Market) -> HashMap<(u32, u32), usize> {
    let mut counts = HashMap::new();
    for p in &m.purchases {
        *counts.entry((p.buyer, p.item)).or_insert(0) += 1;
    }
    counts
}

#[test]
fn consumables_come_back_and_durables_are_bought_once() {
    let m = market("repeats", 2, 40_000);
    let (mut consumable, mut buyers_of_consumables) = (0, 0);
    for (&(_, item), &n) in &counts(&m) {
        if m.items[item as usize].repeatable {
            consumable += n;
            buyers_of_consumables += 1;
        } else {
            assert_eq!(n, 1, "a durable item bought {n} times by one buyer");
        }
    }
    let per_buyer = consumable as f64 / buyers_of_consumables as f64;
    assert!(per_buyer > 3.0, "a consumable is bought {per_buyer:.1} times by its buyer");
}

#[test]
fn a_complement_follows_its_item_far_more_often_than_another_item_of_its_category() {
    let m = market("complements", 3, 60_000);
    let mut first: HashMap<(u32, u32), u32> = HashMap::new();
    for p in &m.purchases {
        first.entry((p.buyer, p.item)).or_insert(p.day);
    }
    let follows = |buyer: u32, day: u32, other: u32| {
        first.get(&(buyer, other)).is_some_and(|&d| d >= day && d <= day + COMPLEMENT_WINDOW_DAYS)
    };
    let (mut complement, mut decoy, mut pairs) = (0.0, 0.0, 0.0);
    for (&(buyer, item), &day) in &first {
        let complements = &m.items[item as usize].complements;
        for &c in complements {
            // The next item of the same category (item ids cycle through the categories).
            let other = (c as usize + m.config.categories) % m.items.len();
            if complements.contains(&(other as u32)) {
                continue;
            }
            pairs += 1.0;
            complement += f64::from(u8::from(follows(buyer, day, c)));
            decoy += f64::from(u8::from(follows(buyer, day, other as u32)));
        }
    }
    let (complement, decoy) = (complement / pairs, decoy / pairs);
    assert!(complement > 3.0 * decoy, "complement bought after its item {complement:.3}, another {decoy:.3}");
}

#[test]
fn retired_items_stop_selling_and_are_inactive() {
    let m = market("balanced", 4, 40_000);
    assert!(m.items.iter().any(|i| !i.active));
    for item in &m.items {
        assert_eq!(item.active, item.retired_from_day.is_none());
    }
    assert!(m.purchases.iter().all(|p| m.items[p.item as usize].on_sale(p.day)));
}

#[test]
fn businesses_and_consumers_buy_from_different_categories() {
    let m = market("seasonal", 5, 40_000);
    let half = m.config.categories as u32 / 2;
    let share = |segment: Segment| {
        let mine: Vec<_> =
            m.purchases.iter().filter(|p| m.buyers[p.buyer as usize].segment == segment).collect();
        mine.iter().filter(|p| m.items[p.item as usize].category < half).count() as f64 / mine.len() as f64
    };
    let (business, consumer) = (share(Segment::Business), share(Segment::Consumer));
    assert!(
        business > 0.75 && consumer < 0.25,
        "business-leaning categories: {business:.2} vs {consumer:.2}"
    );
}

#[test]
fn a_seasonal_item_sells_mostly_around_its_peak() {
    let m = market("seasonal", 6, 60_000);
    let (mut near, mut all) = (0.0, 0.0);
    for p in &m.purchases {
        let item = &m.items[p.item as usize];
        if let Some(peak) = item.season_peak_day {
            if !item.repeatable {
                let distance = (i64::from(p.day % 365) - i64::from(peak)).rem_euclid(365);
                near += f64::from(u8::from(distance.min(365 - distance) <= 45));
                all += 1.0;
            }
        }
    }
    // Within 45 days of the peak is a quarter of the year; the season makes it most sales.
    assert!(near / all > 0.6, "{near} of {all} within 45 days of the peak");
}
