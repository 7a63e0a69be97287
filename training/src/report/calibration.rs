//! The calibration of the payment model the evaluation uses (the doubly robust estimator's
//! reward model, `ope::reward_model`): each settled decision's predicted probability of payment,
//! from a model fitted on the other folds (held out, as `evaluate` cross-fits it), against what
//! was paid, in ten bins of the prediction; and the Brier score beside that of always
//! predicting the overall rate.

use super::read::Obs;
use super::stats::Rate;
use crate::evaluate::prepare::Names;
use crate::ope::reward_model::{cross_fit, fold_of, Arm, Observation, Situation};

/// Bins of the predicted probability: [0, 0.1), …, [0.9, 1].
pub const BINS: usize = 10;

/// The settled decisions as the reward model sees them, names interned as they arrive.
#[derive(Default)]
pub struct Observations {
    observations: Vec<Observation>,
    channels: Names,
    segments: Names,
    debtors: Names,
    /// Decisions left out: more channels or segments than the model's indices hold.
    pub left_out: u64,
}

/// One bin of the reliability curve.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Sum of the predictions in the bin.
    pub predicted: f64,
    /// The decisions and what they were paid.
    pub observed: Rate,
}

impl Bin {
    pub fn mean_predicted(&self) -> Option<f64> {
        (self.observed.n > 0).then(|| self.predicted / self.observed.n as f64)
    }
}

/// The reliability curve and the scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    pub bins: [Bin; BINS],
    /// Mean squared error of the held-out predictions.
    pub brier: f64,
    /// The same for predicting the overall payment rate every time: what the model must beat.
    pub brier_constant: f64,
    pub n: usize,
}

impl Observations {
    /// Adds a settled decision; a pending one is not for calibration.
    pub fn add(&mut self, obs: &Obs) {
        let Some(reward) = obs.reward else { return };
        let (Ok(channel), Ok(segment)) =
            (u8::try_from(self.channels.id(&obs.channel)), u16::try_from(self.segments.id(&obs.segment)))
        else {
            self.left_out += 1;
            return;
        };
        let debtor = obs.debtor.as_deref().map(|d| self.debtors.id(d) as u32);
        let stage = u8::try_from(obs.stage).unwrap_or(u8::MAX);
        self.observations.push(Observation {
            situation: Situation { segment, stage, debtor },
            arm: Arm { channel, hour: obs.hour },
            reward,
        });
    }

    /// Cross-fits the model and compares its held-out predictions with the outcomes; `None`
    /// without settled decisions.
    pub fn calibrate(&self) -> Option<Calibration> {
        let n = self.observations.len();
        if n == 0 {
            return None;
        }
        let models = cross_fit(&self.observations);
        let overall = self.observations.iter().map(|o| o.reward).sum::<f64>() / n as f64;
        let mut bins = [Bin::default(); BINS];
        let (mut brier, mut brier_constant) = (0.0, 0.0);
        for (i, o) in self.observations.iter().enumerate() {
            let p = models[fold_of(i)].predict(&o.situation, o.arm);
            let bin = &mut bins[((p * BINS as f64) as usize).min(BINS - 1)];
            bin.predicted += p;
            bin.observed.n += 1;
            bin.observed.paid += o.reward;
            brier += (p - o.reward).powi(2);
            brier_constant += (overall - o.reward).powi(2);
        }
        Some(Calibration { bins, brier: brier / n as f64, brier_constant: brier_constant / n as f64, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(channel: &str, debtor: &str, reward: f64) -> Obs {
        Obs {
            at: "2026-03-02T09:00:00Z".parse().unwrap(),
            channel: channel.into(),
            hour: 10,
            stage: 1,
            segment: "b2c".into(),
            reward: Some(reward),
            amount: None,
            cost_eur: None,
            hours_to_pay: None,
            policy: "bandit".into(),
            debtor: Some(debtor.into()),
        }
    }

    #[test]
    fn a_model_that_knows_the_payers_beats_the_overall_rate() {
        // Half the debtors always pay, half never: the held-out predictions separate them (each
        // debtor's factor is learned from their other decisions), the overall rate cannot.
        let mut observations = Observations::default();
        for round in 0..20 {
            // 41 debtors, so that each one's decisions fall into every fold.
            for d in 0..41 {
                let pays = if d % 2 == 0 { 1.0 } else { 0.0 };
                observations.add(&obs(
                    if round % 2 == 0 { "sms" } else { "email" },
                    &format!("t/C-{d}"),
                    pays,
                ));
            }
        }
        let mut pending = obs("sms", "t/C-1", 0.0);
        pending.reward = None;
        observations.add(&pending);
        let calibration = observations.calibrate().unwrap();
        assert_eq!(calibration.n, 820, "the pending decision is left out");
        let overall = 21.0 / 41.0;
        assert!((calibration.brier_constant - overall * (1.0 - overall)).abs() < 1e-9, "{calibration:?}");
        assert!(calibration.brier < 0.1, "{calibration:?}");
        let counted: u64 = calibration.bins.iter().map(|b| b.observed.n).sum();
        assert_eq!(counted, 820);
        // The low bins hold the non-payers, the high ones the payers.
        let low = &calibration.bins[0];
        let high = &calibration.bins[BINS - 1];
        assert_eq!((low.observed.paid, high.observed.paid), (0.0, high.observed.n as f64), "{calibration:?}");
    }

    #[test]
    fn nothing_settled_is_no_calibration() {
        assert_eq!(Observations::default().calibrate(), None);
    }
}
