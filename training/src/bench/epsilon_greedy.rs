//! Epsilon-greedy on a table of arm means per (segment, stage): the textbook baseline, with no
//! model and no personalisation.
//!
//! With probability `EPSILON` a uniformly random allowed arm; otherwise the allowed arm with the
//! highest observed payment rate in the reminder's (segment, stage) cell. An arm not yet tried in
//! the cell counts as the best (each arm is tried once before the means decide), ties go to a
//! random one. Outcomes update the cell of the decision they belong to whenever they arrive.

use std::collections::HashMap;

use mahnwerk_models::sim::SimChannel;

use super::draw::Draw;
use super::policy::{Policy, Query};

/// Share of random decisions.
pub const EPSILON: f64 = 0.1;

/// (segment, stage, channel, hour).
type Cell = (usize, u8, SimChannel, u8);

pub struct EpsilonGreedy {
    draw: Draw,
    /// Per cell: decisions with an outcome, and payments.
    table: HashMap<Cell, (u32, u32)>,
    pending: HashMap<usize, Cell>,
}

impl EpsilonGreedy {
    pub fn new(seed: u64) -> Self {
        EpsilonGreedy { draw: Draw::new(seed), table: HashMap::new(), pending: HashMap::new() }
    }

    fn value(&self, cell: &Cell) -> f64 {
        match self.table.get(cell) {
            Some(&(n, paid)) if n > 0 => f64::from(paid) / f64::from(n),
            _ => f64::INFINITY,
        }
    }
}

impl Policy for EpsilonGreedy {
    fn name(&self) -> &'static str {
        "epsilon-greedy"
    }

    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8) {
        let segment = query.facts.segment.index();
        let stage = query.facts.stage;
        let arm = if self.draw.chance(EPSILON) {
            let c = query.channels[self.draw.below(query.channels.len())];
            (c, query.hours[self.draw.below(query.hours.len())])
        } else {
            let mut best = (f64::NEG_INFINITY, Vec::new());
            for &c in query.channels {
                for &h in query.hours {
                    let v = self.value(&(segment, stage, c, h));
                    if v > best.0 {
                        best = (v, vec![(c, h)]);
                    } else if v == best.0 {
                        best.1.push((c, h));
                    }
                }
            }
            best.1[self.draw.below(best.1.len())]
        };
        self.pending.insert(query.round, (segment, stage, arm.0, arm.1));
        arm
    }

    fn outcome(&mut self, round: usize, reward: f64) {
        if let Some(cell) = self.pending.remove(&round) {
            let entry = self.table.entry(cell).or_default();
            entry.0 += 1;
            entry.1 += u32::from(reward >= 0.5);
        }
    }
}
