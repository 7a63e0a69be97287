//! Disjoint LinUCB (Li, Chu, Langford & Schapire 2010, Algorithm 1) on a small explicit feature
//! vector of what the creditor knows: a ridge regression of the reward per arm and an upper
//! confidence bound on it. No per-debtor features: the population-level linear baseline.
//!
//! Each of the (up to 65) arms `(channel, hour)` keeps `A^-1` (ridge, `A = I + sum x x^T`) and
//! `b = sum reward x`; the chosen arm maximises `theta . x + ALPHA sqrt(x^T A^-1 x)` with
//! `theta = A^-1 b`. `A^-1` is kept up to date by the Sherman-Morrison formula, so an update is
//! `O(d^2)` and a decision `O(arms d^2)`. Ties go to the first arm.

use std::collections::HashMap;

use mahnwerk_models::sim::{AgeGroup, SimChannel};

use super::policy::{Policy, Query};
use super::world::Facts;

/// Width of the confidence bound. Li et al. use `1 + sqrt(ln(2 / delta) / 2)`, about 2 for
/// delta = 0.05; on payment rates of a few tens of percent that explores for most of the run.
/// Of 0.02, 0.05, 0.1, 0.15, 0.25, 0.5, 1 and 2, 0.1 collected the most over the last quarter
/// of the default simulation (seeds 1 to 7), so the baseline is LinUCB at its best.
pub const ALPHA: f64 = 0.1;

/// Features: bias, business, young, senior, stage 2, 3, 4, log amount, held email, phone,
/// WhatsApp, Messenger.
const D: usize = 12;

fn features(f: &Facts) -> [f64; D] {
    let b = |x: bool| f64::from(u8::from(x));
    let held = |c: SimChannel| b(f.channels.contains(&c));
    [
        1.0,
        b(f.segment.index() == 1),
        b(f.age_group == Some(AgeGroup::Young)),
        b(f.age_group == Some(AgeGroup::Senior)),
        b(f.stage == 2),
        b(f.stage == 3),
        b(f.stage >= 4),
        f.amount_eur.max(1.0).ln() / 10.0,
        held(SimChannel::Email),
        held(SimChannel::Sms),
        held(SimChannel::Whatsapp),
        held(SimChannel::Messenger),
    ]
}

struct Arm {
    a_inv: [[f64; D]; D],
    b: [f64; D],
}

impl Arm {
    fn new() -> Self {
        let mut a_inv = [[0.0; D]; D];
        for (i, row) in a_inv.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        Arm { a_inv, b: [0.0; D] }
    }

    fn a_inv_x(&self, x: &[f64; D]) -> [f64; D] {
        let mut out = [0.0; D];
        for (o, row) in out.iter_mut().zip(&self.a_inv) {
            *o = row.iter().zip(x).map(|(a, x)| a * x).sum();
        }
        out
    }

    fn ucb(&self, x: &[f64; D]) -> f64 {
        let ax = self.a_inv_x(x);
        let mean: f64 = ax.iter().zip(&self.b).map(|(t, b)| t * b).sum();
        let width: f64 = ax.iter().zip(x).map(|(a, x)| a * x).sum();
        mean + ALPHA * width.max(0.0).sqrt()
    }

    fn update(&mut self, x: &[f64; D], reward: f64) {
        let ax = self.a_inv_x(x);
        let denominator = 1.0 + ax.iter().zip(x).map(|(a, x)| a * x).sum::<f64>();
        for (i, row) in self.a_inv.iter_mut().enumerate() {
            for (j, a) in row.iter_mut().enumerate() {
                *a -= ax[i] * ax[j] / denominator;
            }
        }
        for (b, x) in self.b.iter_mut().zip(x) {
            *b += reward * x;
        }
    }
}

#[derive(Default)]
pub struct LinUcb {
    arms: HashMap<(SimChannel, u8), Arm>,
    pending: HashMap<usize, ((SimChannel, u8), [f64; D])>,
}

impl Policy for LinUcb {
    fn name(&self) -> &'static str {
        "LinUCB"
    }

    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8) {
        let x = features(query.facts);
        let mut best = (f64::NEG_INFINITY, (query.channels[0], query.hours[0]));
        for &c in query.channels {
            for &h in query.hours {
                let value = self.arms.entry((c, h)).or_insert_with(Arm::new).ucb(&x);
                if value > best.0 {
                    best = (value, (c, h));
                }
            }
        }
        self.pending.insert(query.round, (best.1, x));
        best.1
    }

    fn outcome(&mut self, round: usize, reward: f64) {
        if let Some((arm, x)) = self.pending.remove(&round) {
            self.arms.entry(arm).or_insert_with(Arm::new).update(&x, reward);
        }
    }
}
