//! Uniform random choice among the allowed arms: the floor every learner must clear.

use mahnwerk_models::sim::SimChannel;

use super::draw::Draw;
use super::policy::{Policy, Query};

pub struct Uniform {
    draw: Draw,
}

impl Uniform {
    pub fn new(seed: u64) -> Self {
        Uniform { draw: Draw::new(seed) }
    }
}

impl Policy for Uniform {
    fn name(&self) -> &'static str {
        "uniform"
    }

    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8) {
        let channel = query.channels[self.draw.below(query.channels.len())];
        (channel, query.hours[self.draw.below(query.hours.len())])
    }
}
