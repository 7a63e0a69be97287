//! The learner on the simulator: over a few thousand reminders to the default population, with
//! outcomes arriving up to 200 decisions late and out of order, its payment rate over the last
//! quarter beats uniform random choice and the fixed schedule (email at 10:00, a letter where no
//! email is held). The full comparison (more seeds, more baselines, the oracle and the bounds
//! below it) is `mahnwerk-train bench-policies`; this keeps the learner honest in `cargo test`.

use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, DecisionId, Request};
use mahnwerk_models::sim::{rng, Population, SimChannel, SimConfig, SimDebtor};
use rand::Rng;

const ROUNDS: usize = 4000;
const HOURS: [u8; 13] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

enum Policy {
    Uniform,
    Fixed,
    Learner(Box<Bandit>),
}

/// What a creditor knows when it sends a reminder; the hidden traits stay hidden.
fn context(d: &SimDebtor, stage: u8) -> Context {
    Context::new()
        .cat("segment", d.segment.as_str())
        .num("stage", f64::from(stage))
        .cat("country", d.country.as_str())
        .cat("language", d.language.as_str())
        .num("amount", d.amount_scale_cents as f64 / 100.0)
}

/// Plays `ROUNDS` reminders (the same debtors and stages for every policy) and returns whether
/// each got paid.
fn play(population: &Population, mut policy: Policy, seed: u64) -> Vec<f64> {
    let model = population.model();
    let mut script = rng(seed);
    let mut world = rng(seed + 1);
    let mut late: Vec<(usize, DecisionId, f64)> = Vec::new();
    let mut paid = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let debtor = &population.debtors()[script.gen_range(0..population.debtors().len())];
        let stage = script.gen_range(1..=4u8);
        let lag = script.gen_range(0..200);
        let channels = debtor.contact.channels();
        let (channel, hour, id) = match &mut policy {
            Policy::Uniform => {
                (channels[world.gen_range(0..channels.len())], HOURS[world.gen_range(0..HOURS.len())], None)
            }
            Policy::Fixed => {
                let email = channels.contains(&SimChannel::Email);
                (if email { SimChannel::Email } else { SimChannel::Letter }, 10, None)
            }
            Policy::Learner(bandit) => {
                let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
                let ctx = context(debtor, stage);
                let request = Request::new(&ctx, &names, &HOURS).debtor(&debtor.id);
                let d = bandit.decide(&request).expect("valid request");
                assert!(names.contains(&d.channel(&request)) && HOURS.contains(&d.hour));
                (channels[d.channel_index], d.hour, Some(d.id))
            }
        };
        let reward = f64::from(world.gen_bool(model.pay_probability(debtor, channel, hour, stage)));
        paid.push(reward);
        if let (Policy::Learner(bandit), Some(id)) = (&mut policy, id) {
            late.push((round + lag, id, reward));
            late.retain(|&(due, id, reward)| {
                let keep = due > round;
                if !keep {
                    bandit.outcome(id, reward).expect("a pending decision");
                }
                keep
            });
        }
    }
    paid
}

fn rate(paid: &[f64]) -> f64 {
    paid.iter().sum::<f64>() / paid.len() as f64
}

#[test]
fn the_learner_beats_uniform_and_fixed_over_the_last_quarter() {
    let population = Population::generate(1, &SimConfig::default()).expect("default config");
    let bandit = Bandit::new(BanditParams::new().hash_bits(18).check().expect("valid"), 1);
    let last = ROUNDS * 3 / 4..;
    let uniform = play(&population, Policy::Uniform, 10);
    let fixed = play(&population, Policy::Fixed, 10);
    let learner = play(&population, Policy::Learner(Box::new(bandit)), 10);
    let (u, f, l) = (rate(&uniform[last.clone()]), rate(&fixed[last.clone()]), rate(&learner[last]));
    eprintln!("last-quarter payment rate: uniform {u:.3}, fixed {f:.3}, learner {l:.3}");
    eprintln!(
        "all rounds: uniform {:.3}, fixed {:.3}, learner {:.3}",
        rate(&uniform),
        rate(&fixed),
        rate(&learner)
    );
    // 1000 rounds give a standard error of about 0.014 per rate; ask for a margin of 0.03.
    assert!(l > u + 0.03, "learner {l:.3} vs uniform {u:.3}");
    assert!(l > f + 0.03, "learner {l:.3} vs fixed {f:.3}");
}
