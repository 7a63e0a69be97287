//! The doubly robust estimator's reward model: the probability that a reminder on an arm gets
//! paid, as shrunken cell means times a per-debtor factor, fitted on the log itself with
//! cross-fitting.
//!
//! # The model
//! Cells from coarse to fine: the channel; channel x segment x stage; that x a three-hour
//! bucket; that x the exact hour. Each cell's mean is shrunk toward its parent's with the
//! weight of [`CELL_PRIOR`] decisions, so a sparse cell says little and a full one speaks for
//! itself. On top, each debtor's factor `(paid + 1) / (expected + 1)` (their payments over what
//! the cells expected of them, shrunk toward 1 by one expected payment), because who the debtor
//! is matters more than any arm (some never pay, some always do), and the simulator and real
//! payers both combine the two multiplicatively. Simple, fast on a million decisions, and it
//! need not be right: the doubly robust estimate stays unbiased with a wrong model; a better one
//! only narrows the interval.
//!
//! # Cross-fitting
//! A model fitted on a decision's own reward would predict it too well and eat into the
//! correction term that keeps the estimate unbiased. So the decisions are split into
//! [`FOLDS`] folds by position, and each fold is predicted by a model fitted on the others
//! (Chernozhukov et al. 2018).

use std::collections::HashMap;

/// Number of cross-fitting folds.
pub const FOLDS: usize = 5;

/// A cell's mean counts as this many decisions at its parent's mean.
const CELL_PRIOR: f64 = 10.0;

/// A debtor's factor starts from one expected payment at factor 1.
const DEBTOR_PRIOR: f64 = 1.0;

/// A (channel, hour) arm, the channel as an index into the log's channel names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arm {
    pub channel: u8,
    pub hour: u8,
}

/// What the model knows of a decision besides its arm: indices into the log's segment names
/// and debtor keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    pub segment: u16,
    pub stage: u8,
    pub debtor: Option<u32>,
}

/// One logged decision to learn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub situation: Situation,
    pub arm: Arm,
    /// In `[0, 1]`.
    pub reward: f64,
}

/// A fitted model. [`predict`](Self::predict) is a probability in `[0, 1]`.
#[derive(Debug, Clone, Default)]
pub struct RewardModel {
    global: f64,
    /// (sum of rewards, count) per cell, all levels in one map (the level is part of the key).
    cells: HashMap<u64, (f64, f64)>,
    debtors: HashMap<u32, f64>,
}

const LEVELS: u64 = 4;

fn cell_key(level: u64, s: &Situation, a: Arm) -> u64 {
    let (segment, stage, hour) = match level {
        0 => (0, 0, 0),
        1 => (u64::from(s.segment), u64::from(s.stage), 0),
        2 => (u64::from(s.segment), u64::from(s.stage), u64::from(a.hour / 3)),
        _ => (u64::from(s.segment), u64::from(s.stage), u64::from(a.hour)),
    };
    level | u64::from(a.channel) << 8 | stage << 16 | hour << 24 | segment << 32
}

impl RewardModel {
    /// Fits the model to `observations`.
    pub fn fit<'a>(observations: impl Iterator<Item = &'a Observation> + Clone) -> RewardModel {
        let mut model = RewardModel::default();
        let (mut total, mut n) = (0.0, 0.0);
        for o in observations.clone() {
            total += o.reward;
            n += 1.0;
            for level in 0..LEVELS {
                let cell = model.cells.entry(cell_key(level, &o.situation, o.arm)).or_insert((0.0, 0.0));
                cell.0 += o.reward;
                cell.1 += 1.0;
            }
        }
        model.global = if n > 0.0 { total / n } else { 0.0 };
        let mut debtors: HashMap<u32, (f64, f64)> = HashMap::new();
        for o in observations {
            if let Some(debtor) = o.situation.debtor {
                let expected = model.cell_mean(&o.situation, o.arm);
                let entry = debtors.entry(debtor).or_insert((0.0, 0.0));
                entry.0 += o.reward;
                entry.1 += expected;
            }
        }
        model.debtors = debtors
            .into_iter()
            .map(|(d, (paid, expected))| (d, (paid + DEBTOR_PRIOR) / (expected + DEBTOR_PRIOR)))
            .collect();
        model
    }

    /// The shrunken mean of the finest cell.
    fn cell_mean(&self, s: &Situation, a: Arm) -> f64 {
        let mut mean = self.global;
        for level in 0..LEVELS {
            if let Some(&(sum, n)) = self.cells.get(&cell_key(level, s, a)) {
                mean = (sum + CELL_PRIOR * mean) / (n + CELL_PRIOR);
            }
        }
        mean
    }

    /// The probability that `arm` gets paid in `situation`.
    pub fn predict(&self, situation: &Situation, arm: Arm) -> f64 {
        let factor = situation.debtor.and_then(|d| self.debtors.get(&d)).copied().unwrap_or(1.0);
        (self.cell_mean(situation, arm) * factor).clamp(0.0, 1.0)
    }
}

/// One model per fold, each fitted on every other fold: decision `i` is predicted by
/// `models[fold_of(i)]`.
pub fn cross_fit(observations: &[Observation]) -> Vec<RewardModel> {
    (0..FOLDS)
        .map(|fold| {
            RewardModel::fit(
                observations.iter().enumerate().filter(move |(i, _)| fold_of(*i) != fold).map(|(_, o)| o),
            )
        })
        .collect()
}

/// The fold of decision `i`.
pub fn fold_of(i: usize) -> usize {
    i % FOLDS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(channel: u8, debtor: u32, reward: f64) -> Observation {
        Observation {
            situation: Situation { segment: 0, stage: 1, debtor: Some(debtor) },
            arm: Arm { channel, hour: 10 },
            reward,
        }
    }

    #[test]
    fn learns_the_arm_and_the_debtor_and_shrinks_sparse_cells() {
        // Channel 0 pays half the time, channel 1 never; debtor 9 never pays at all.
        let mut data = Vec::new();
        for i in 0..400 {
            data.push(obs(0, i % 20, f64::from(u8::from(i % 2 == 0 && i % 20 != 9))));
            data.push(obs(1, i % 20, 0.0));
        }
        let model = RewardModel::fit(data.iter());
        let situation = |debtor| Situation { segment: 0, stage: 1, debtor };
        let email = model.predict(&situation(None), Arm { channel: 0, hour: 10 });
        let sms = model.predict(&situation(None), Arm { channel: 1, hour: 10 });
        assert!((0.45..0.55).contains(&email) && sms < 0.02, "{email} {sms}");
        let never = model.predict(&situation(Some(9)), Arm { channel: 0, hour: 10 });
        assert!(never < 0.1, "{never}");
        // An arm never seen falls back to its channel, then to the whole log.
        let unseen = model.predict(&situation(None), Arm { channel: 7, hour: 3 });
        assert!((unseen - 0.25).abs() < 1e-9, "{unseen}");
    }

    #[test]
    fn cross_fitting_never_uses_a_decisions_own_reward() {
        // Only fold 0 pays: a model that saw fold 0 would predict its decisions well, the
        // cross-fitted one has only the other folds' zeros; fold 1's model sees fold 0's ones.
        let data: Vec<Observation> =
            (0..100).map(|i| obs(0, 0, f64::from(u8::from(fold_of(i) == 0)))).collect();
        let models = cross_fit(&data);
        let s = data[0].situation;
        assert!(models[0].predict(&s, data[0].arm) < 0.1);
        let other = models[1].predict(&s, data[1].arm);
        assert!((0.15..0.35).contains(&other), "{other}");
    }
}
