//! Plays one policy through one world's script: outcomes are handed back when they become
//! known (see [`world`](super::world)), never earlier, in the order they become known.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use mahnwerk_models::sim::{Response, SimChannel};

use super::policy::{Policy, Query};
use super::world::{cost_eur, World, HOURS};

/// What one policy did in one world, round by round.
pub struct Trace {
    pub policy: &'static str,
    /// Whether each round's reminder got paid within the window.
    pub paid: Vec<bool>,
    /// The true pay probability of the arm chosen in each round: the payment rate without the
    /// coin flips.
    pub probability: Vec<f64>,
    /// Channel cost of all reminders sent.
    pub cost_eur: f64,
    /// The open amounts of the reminders that got paid.
    pub collected_eur: f64,
    /// Reminders sent by letter.
    pub letters: usize,
    /// Time spent inside the policy (decisions and updates).
    pub busy: Duration,
}

pub fn run(world: &World, policy: &mut dyn Policy) -> Trace {
    let rounds = world.script().len();
    let mut trace = Trace {
        policy: policy.name(),
        paid: Vec::with_capacity(rounds),
        probability: Vec::with_capacity(rounds),
        cost_eur: 0.0,
        collected_eur: 0.0,
        letters: 0,
        busy: Duration::ZERO,
    };
    // (round the outcome becomes known, round of the decision, reward)
    let mut due: BinaryHeap<Reverse<(usize, usize, bool)>> = BinaryHeap::new();
    for (round, reminder) in world.script().iter().enumerate() {
        let start = Instant::now();
        while let Some(&Reverse((known, decided, paid))) = due.peek() {
            if known > round {
                break;
            }
            due.pop();
            policy.outcome(decided, f64::from(u8::from(paid)));
        }
        let query = Query {
            round,
            facts: &reminder.facts,
            channels: &reminder.facts.channels,
            hours: &HOURS,
            day: reminder.at_hours / 24.0,
        };
        let (channel, hour) = policy.decide(&query);
        trace.busy += start.elapsed();
        assert!(
            reminder.facts.channels.contains(&channel) && HOURS.contains(&hour),
            "{} chose {channel} at {hour}, which is not allowed",
            trace.policy
        );
        let (response, known) = world.answer(round, channel, hour);
        let paid = matches!(response, Response::Pays { .. });
        due.push(Reverse((known, round, paid)));
        trace.paid.push(paid);
        trace.probability.push(world.pay_probability(round, channel, hour));
        trace.cost_eur += cost_eur(channel);
        trace.letters += usize::from(channel == SimChannel::Letter);
        if paid {
            trace.collected_eur += reminder.facts.amount_eur;
        }
    }
    trace
}
