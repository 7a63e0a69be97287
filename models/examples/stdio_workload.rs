//! The learner alone on `mahnwerk bench policy-stdio`'s workload (3,000 debtors, six context
//! keys, two to five channels, the 13 hours 08-20, each outcome 400 decisions later): decisions
//! per second without the protocol, the ceiling of `policy serve --stdio` on this machine.
//!
//! `cargo run --release -p mahnwerk-models --example stdio_workload [DECISIONS]`

use std::collections::VecDeque;
use std::time::Instant;

use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, Request};
use rand::{Rng, SeedableRng};

const CHANNELS: [&str; 5] = ["email", "sms", "whatsapp", "messenger", "letter"];

fn main() {
    let decisions: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let hours: Vec<u8> = (8..=20).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut work = Vec::with_capacity(decisions);
    for _ in 0..decisions {
        let debtor = rng.gen_range(0..3000usize);
        let offered = rng.gen_range(2..=CHANNELS.len());
        let context = Context::new()
            .num("amount", rng.gen_range(20.0..900.0))
            .num("stage", f64::from(rng.gen_range(1..=4)))
            .num("days_overdue", f64::from(rng.gen_range(1..=60)))
            .cat("segment", if debtor % 5 == 0 { "b2b" } else { "b2c" })
            .cat("language", "de")
            .cat("country", "DE");
        work.push((format!("C-{debtor}"), offered, context, rng.gen_bool(0.3)));
    }
    let mut bandit = Bandit::new(BanditParams::default().check().expect("defaults"), 1);
    let mut waiting = VecDeque::new();
    let start = Instant::now();
    for (debtor, offered, context, paid) in &work {
        let request = Request::new(context, &CHANNELS[..*offered], &hours).debtor(debtor);
        let decision = bandit.decide(&request).expect("valid");
        waiting.push_back((decision.id, *paid));
        if waiting.len() > 400 {
            let (id, paid) = waiting.pop_front().expect("non-empty");
            bandit.outcome(id, f64::from(u8::from(paid))).expect("pending");
        }
    }
    for (id, paid) in waiting {
        bandit.outcome(id, f64::from(u8::from(paid))).expect("pending");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{decisions} decisions in {secs:.2} s: {:.0} decisions/s ({:.1} µs each)",
        decisions as f64 / secs,
        secs * 1e6 / decisions as f64
    );
}
