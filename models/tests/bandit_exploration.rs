//! The cost of exploration: once the learner has seen that a channel never pays, it spends
//! almost no reminders on it. A uniform exploration floor of `epsilon` sends `epsilon` of all
//! reminders to a random arm among ~65, mostly a dead channel or a dead hour; at the former
//! default of 0.02 that was the largest part of the learner's gap to a simple per-debtor LinUCB
//! on `mahnwerk-train bench-policies`. Thompson sampling explores by itself.

use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, Request};
use mahnwerk_models::sim::rng;
use rand::Rng;

const CHANNELS: [&str; 5] = ["email", "sms", "whatsapp", "messenger", "letter"];
const HOURS: [u8; 13] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

/// Email and letters pay at every hour; the three chat channels are offered but never read.
fn pay_probability(channel: &str) -> f64 {
    match channel {
        "email" => 0.30,
        "letter" => 0.25,
        _ => 0.0,
    }
}

/// Share of the reminders after `learn` rounds (over `measure` more) that went to a channel
/// that never pays.
fn dead_share(params: BanditParams, learn: usize, measure: usize) -> f64 {
    let mut bandit = Bandit::new(params.hash_bits(14).check().expect("valid"), 3);
    let mut world = rng(3);
    let context = Context::new().cat("segment", "b2c").num("stage", 1.0);
    let mut dead = 0;
    for round in 0..learn + measure {
        let debtor = format!("D-{}", world.gen_range(0..300));
        let request = Request::new(&context, &CHANNELS, &HOURS).debtor(&debtor);
        let d = bandit.decide(&request).expect("valid");
        let channel = d.channel(&request);
        let paid = world.gen_bool(pay_probability(channel));
        bandit.outcome(d.id, f64::from(paid)).expect("pending");
        if round >= learn && pay_probability(channel) == 0.0 {
            dead += 1;
        }
    }
    dead as f64 / measure as f64
}

#[test]
fn a_trained_learner_sends_almost_nothing_to_channels_that_never_pay() {
    let share = dead_share(BanditParams::new(), 4_000, 4_000);
    println!("dead channels after training: {:.2} % of reminders", 100.0 * share);
    // The uniform floor alone sent 0.02 * 39 / 65 = 1.2 % there at the former `epsilon`.
    assert!(share < 0.006, "{:.2} % of reminders on channels that never pay", 100.0 * share);
}

#[test]
fn the_uniform_floor_is_what_a_trained_learner_spends_on_dead_channels() {
    // The same world with the former floor: the floor is the cost, not the Thompson draws.
    let share = dead_share(BanditParams::new().epsilon(0.02), 4_000, 4_000);
    println!("dead channels with epsilon 0.02: {:.2} % of reminders", 100.0 * share);
    assert!(share > 0.008, "{:.2} %", 100.0 * share);
}
