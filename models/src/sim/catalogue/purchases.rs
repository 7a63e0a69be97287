//! The buying process of one buyer: orders at their rate, each line a due consumable, a
//! pending complement or a fresh pick by taste, popularity, segment and season.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::super::debtor::Segment;
use super::super::sample::{log_normal, pick, truncated_exponential};
use super::buyers::{max_lines, SimBuyer};
use super::items::category_lean;
use super::{CatalogueConfig, SimItem};

/// One purchase line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimPurchase {
    /// Index into [`Market::buyers`](super::Market::buyers).
    pub buyer: u32,
    /// Index into [`Market::items`](super::Market::items).
    pub item: u32,
    pub day: u32,
    pub quantity: u32,
    pub unit_price_cents: i64,
}

/// How long after a purchase its complements stay likely.
pub const COMPLEMENT_WINDOW_DAYS: u32 = 120;
/// Fresh picks tried per line before the line is left out (the buyer owns what was drawn).
const FRESH_TRIES: usize = 8;

/// What one buyer has going on while they shop.
struct Shopper<'a> {
    buyer: &'a SimBuyer,
    items: &'a [SimItem],
    by_category: &'a [Vec<u32>],
    config: &'a CatalogueConfig,
    /// Consumables on a cycle and the day they are next due.
    due: Vec<(u32, u32)>,
    /// Complements of earlier purchases and the last day they are likely.
    pending: Vec<(u32, u32)>,
    /// Durable items bought: never bought again.
    owned: Vec<u32>,
    weights: Vec<(f64, u32)>,
}

pub(crate) fn draw_purchases<R: Rng + ?Sized>(
    buyer_index: u32,
    buyer: &SimBuyer,
    items: &[SimItem],
    by_category: &[Vec<u32>],
    config: &CatalogueConfig,
    rng: &mut R,
    out: &mut Vec<SimPurchase>,
) {
    let mut shopper = Shopper {
        buyer,
        items,
        by_category,
        config,
        due: Vec::new(),
        pending: Vec::new(),
        owned: Vec::new(),
        weights: Vec::new(),
    };
    let mean_gap = 365.0 / buyer.orders_per_year;
    let horizon = f64::from(config.horizon_days);
    let mut day = rng.gen::<f64>() * mean_gap;
    let mut order = Vec::new();
    while day < horizon {
        let today = day as u32;
        order.clear();
        for _ in 0..rng.gen_range(1..=max_lines(buyer.segment)) {
            if let Some(item) = shopper.next_line(today, &order, rng) {
                order.push(item);
            }
        }
        for &item in &order {
            shopper.bought(item, today, rng);
            out.push(SimPurchase {
                buyer: buyer_index,
                item,
                day: today,
                quantity: quantity(buyer.segment, rng),
                unit_price_cents: items[item as usize].price_cents,
            });
        }
        day += truncated_exponential(rng, mean_gap, 20.0 * mean_gap).max(1.0);
    }
}

fn quantity<R: Rng + ?Sized>(segment: Segment, rng: &mut R) -> u32 {
    match segment {
        Segment::Business => log_normal(rng, 4.0, 0.8).round().clamp(1.0, 50.0) as u32,
        Segment::Consumer => rng.gen_range(1..=2),
    }
}

impl Shopper<'_> {
    /// The item of the next line of an order on `today`, if any.
    fn next_line<R: Rng + ?Sized>(&mut self, today: u32, order: &[u32], rng: &mut R) -> Option<u32> {
        let items = self.items;
        if let Some(at) = self.due.iter().position(|&(_, due)| due <= today) {
            let (item, _) = self.due.swap_remove(at);
            // A consumable not bought when due has lost the buyer.
            if items[item as usize].on_sale(today) && rng.gen_bool(self.config.repeat_loyalty) {
                return Some(item);
            }
        }
        self.pending.retain(|&(item, until)| until >= today && items[item as usize].on_sale(today));
        if !self.pending.is_empty() && rng.gen_bool(self.config.complement_pull) {
            let (item, _) = self.pending.swap_remove(rng.gen_range(0..self.pending.len()));
            if self.may_buy(item, order) {
                return Some(item);
            }
        }
        for _ in 0..FRESH_TRIES {
            let item = self.fresh_pick(today, rng);
            if items[item as usize].on_sale(today) && self.may_buy(item, order) {
                return Some(item);
            }
        }
        None
    }

    /// Not in this order, not a durable already owned, not a consumable already on a cycle.
    fn may_buy(&self, item: u32, order: &[u32]) -> bool {
        !order.contains(&item) && !self.owned.contains(&item) && !self.due.iter().any(|&(i, _)| i == item)
    }

    /// A category by taste, then an item in it by popularity x segment x season.
    fn fresh_pick<R: Rng + ?Sized>(&mut self, today: u32, rng: &mut R) -> u32 {
        let segment = self.buyer.segment;
        let category = if rng.gen_bool(self.config.taste_focus) {
            self.buyer.favourites[rng.gen_range(0..self.buyer.favourites.len())]
        } else {
            let sign = if segment == Segment::Business { 1.0 } else { -1.0 };
            self.weights.clear();
            self.weights.extend(
                (0..self.config.categories)
                    .map(|c| ((1.0 + sign * category_lean(c, self.config)).max(0.02), c as u32)),
            );
            pick(rng, &self.weights)
        };
        self.weights.clear();
        for &i in &self.by_category[category as usize] {
            let item = &self.items[i as usize];
            if item.on_sale(today) {
                self.weights.push((item.popularity * item.segment_weight(segment) * item.season(today), i));
            }
        }
        if self.weights.is_empty() {
            // Everything in the category is retired: any of them, which next_line then refuses.
            return self.by_category[category as usize][0];
        }
        pick(rng, &self.weights)
    }

    /// What a purchase sets going: a consumable's next due day, a durable's ownership, the
    /// item's complements.
    fn bought<R: Rng + ?Sized>(&mut self, item: u32, today: u32, rng: &mut R) {
        let it = &self.items[item as usize];
        match it.repeat_days {
            Some(period) => {
                let next = (f64::from(period) * rng.gen_range(0.8..1.2)).round() as u32;
                self.due.push((item, today + next.max(1)));
            }
            None => self.owned.push(item),
        }
        for &c in &it.complements {
            if !self.owned.contains(&c) {
                self.pending.push((c, today + COMPLEMENT_WINDOW_DAYS));
            }
        }
    }
}
