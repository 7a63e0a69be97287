//! What every policy in the benchmark implements: choose an arm for a reminder, learn from its
//! outcome when (and in whatever order) it arrives.

use mahnwerk_models::sim::SimChannel;

use super::world::Facts;

/// One reminder to decide on: what the creditor knows and the allowed arms
/// (`channels x hours`).
pub struct Query<'a> {
    /// The round, which is also the ticket the outcome is reported under.
    pub round: usize,
    pub facts: &'a Facts,
    pub channels: &'a [SimChannel],
    pub hours: &'a [u8],
    /// When the reminder is planned, in days since the start (for the references that know a
    /// drifting world's calendar; a learner must not need it).
    pub day: f64,
}

pub trait Policy {
    /// Short name for tables and the plot legend.
    fn name(&self) -> &'static str;

    /// An allowed `(channel, hour)`.
    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8);

    /// The outcome of round `round` (1 paid within the window, 0 not), possibly many rounds
    /// late and out of order. Policies that do not learn ignore it.
    fn outcome(&mut self, _round: usize, _reward: f64) {}
}
