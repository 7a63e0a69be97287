//! Each decision's [`Term`] for one candidate: its importance weight and the cross-fitted reward
//! model's predictions, for the payment rate and, where the log allows it, for the amount
//! collected minus the channel cost.

use crate::ope::reward_model::{cross_fit, fold_of, Arm, RewardModel};
use crate::ope::Term;

use super::prepare::{Decision, Prepared, Target};

/// What one message costs, in EUR: the service's defaults (`[learn] costs_eur`, from the
/// channel capabilities in `channels/src/capabilities.rs`).
pub const COSTS_EUR: [(&str, f64); 5] =
    [("email", 0.001), ("sms", 0.075), ("whatsapp", 0.06), ("messenger", 0.0), ("letter", 1.20)];

/// The cross-fitted reward models of a prepared log.
pub struct Models(Vec<RewardModel>);

impl Models {
    pub fn fit(prepared: &Prepared) -> Models {
        let observations: Vec<_> = prepared.decisions.iter().map(Decision::observation).collect();
        Models(cross_fit(&observations))
    }

    /// The payment probability of `arm` on decision `i`, from the model that did not see it.
    pub fn predict(&self, i: usize, decision: &Decision, arm: Arm) -> f64 {
        self.0[fold_of(i)].predict(&decision.situation, arm)
    }
}

/// The weight of the logged arm under `target`.
fn weight(decision: &Decision, target: &Target) -> f64 {
    let p: f64 = target.iter().filter(|(a, _)| *a == decision.arm).map(|(_, p)| p).sum();
    p / decision.propensity
}

/// Terms for the payment rate (value = reward).
pub fn payment_terms(prepared: &Prepared, models: &Models, targets: &[Target]) -> Vec<Term> {
    prepared
        .decisions
        .iter()
        .zip(targets)
        .enumerate()
        .map(|(i, (d, target))| Term {
            weight: weight(d, target),
            value: d.reward,
            predicted_logged: models.predict(i, d, d.arm),
            predicted_target: target.iter().map(|(a, p)| p * models.predict(i, d, *a)).sum(),
        })
        .collect()
}

/// Per channel index, its cost in EUR; `Err` names what is missing for net figures.
pub fn channel_costs(prepared: &Prepared) -> Result<Vec<f64>, String> {
    if let Some(d) = prepared.decisions.iter().find(|d| d.amount.is_none()) {
        return Err(format!("line {} has no context.amount", d.line));
    }
    prepared
        .channels
        .names()
        .iter()
        .map(|name| {
            COSTS_EUR
                .iter()
                .find(|(c, _)| c == name)
                .map(|(_, eur)| *eur)
                .ok_or_else(|| format!("no cost is known for channel {name:?}"))
        })
        .collect()
}

/// Terms for the amount collected minus the channel cost (value = amount x reward - cost).
pub fn net_terms(prepared: &Prepared, models: &Models, targets: &[Target], costs: &[f64]) -> Vec<Term> {
    prepared
        .decisions
        .iter()
        .zip(targets)
        .enumerate()
        .map(|(i, (d, target))| {
            let amount = d.amount.unwrap_or(0.0);
            let net = |arm: Arm, paid: f64| amount * paid - costs[usize::from(arm.channel)];
            Term {
                weight: weight(d, target),
                value: net(d.arm, d.reward),
                predicted_logged: net(d.arm, models.predict(i, d, d.arm)),
                predicted_target: target.iter().map(|(a, p)| p * net(*a, models.predict(i, d, *a))).sum(),
            }
        })
        .collect()
}

/// The share of decisions on which the target would choose differently from the log: `1 -
/// mean pi(logged arm)`.
pub fn differs(prepared: &Prepared, targets: &[Target]) -> f64 {
    let agree: f64 = prepared
        .decisions
        .iter()
        .zip(targets)
        .map(|(d, t)| t.iter().filter(|(a, _)| *a == d.arm).map(|(_, p)| p).sum::<f64>())
        .sum();
    1.0 - agree / prepared.decisions.len() as f64
}
