//! Micro-benchmarks of the bandit: one decision over 65 arms (5 channels x 13 hours) with 50
//! context keys (25 numeric, 25 categorical: 75 hashed features), and one update, on a model
//! that has already learned from 20 000 outcomes; and one decision on a fresh model, where no
//! arm can be ruled out. Targets (issue #4): under 20 µs median each.
//!
//! `cargo bench -p mahnwerk-models --bench bandit`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, Request};

const CHANNELS: [&str; 5] = ["email", "sms", "whatsapp", "messenger", "letter"];
const HOURS: [u8; 13] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

fn context(i: u64) -> Context {
    let mut c = Context::new();
    for k in 0..25u64 {
        c = c.num(format!("num_{k}"), ((i * 31 + k * 7) % 1000) as f64 * 1.37);
        c = c.cat(format!("cat_{k}"), format!("v{}", (i + k) % 5));
    }
    c
}

fn debtors() -> Vec<String> {
    (0..1000).map(|i| format!("C-{i:04}")).collect()
}

/// A bandit that has seen 20 000 outcomes on varied contexts.
fn trained() -> Bandit {
    let draws: u32 = std::env::var("DRAWS").ok().and_then(|s| s.parse().ok()).unwrap_or(32);
    let mut bandit =
        Bandit::new(BanditParams::new().propensity_draws(draws).check().expect("defaults are valid"), 1);
    let debtors = debtors();
    for i in 0..20_000u64 {
        let ctx = context(i % 97);
        let request = Request::new(&ctx, &CHANNELS, &HOURS).debtor(&debtors[(i % 1000) as usize]);
        let d = bandit.decide(&request).expect("valid request");
        let reward = if d.channel_index == 1 && d.hour >= 18 { 1.0 } else { f64::from(i % 7 == 0) };
        bandit.outcome(d.id, reward).expect("pending");
    }
    bandit
}

fn bench(c: &mut Criterion) {
    let contexts: Vec<Context> = (0..97).map(context).collect();
    let debtors = debtors();
    let mut bandit = trained();

    // Worst case for the sampler: with no data every arm can win, so none is skipped.
    let mut fresh = Bandit::new(BanditParams::new().check().expect("defaults are valid"), 2);
    let mut i = 0usize;
    c.bench_function("decide/fresh model, 65 arms, 50 context keys", |b| {
        b.iter(|| {
            i += 1;
            let request = Request::new(&contexts[i % 97], &CHANNELS, &HOURS).debtor(&debtors[i % 1000]);
            black_box(fresh.decide(black_box(&request)).expect("valid request"))
        })
    });

    c.bench_function("decide/65 arms, 50 context keys", |b| {
        b.iter(|| {
            i += 1;
            let request = Request::new(&contexts[i % 97], &CHANNELS, &HOURS).debtor(&debtors[i % 1000]);
            black_box(bandit.decide(black_box(&request)).expect("valid request"))
        })
    });

    c.bench_function("update/one outcome, 50 context keys", |b| {
        b.iter_custom(|iters| {
            let ids: Vec<_> = (0..iters as usize)
                .map(|i| {
                    let request =
                        Request::new(&contexts[i % 97], &CHANNELS, &HOURS).debtor(&debtors[i % 1000]);
                    bandit.decide(&request).expect("valid request").id
                })
                .collect();
            let start = Instant::now();
            for (k, id) in ids.into_iter().enumerate() {
                bandit.outcome(id, f64::from(k % 3 == 0)).expect("pending");
            }
            start.elapsed()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
