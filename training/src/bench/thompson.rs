//! The mahnwerk learner ([`mahnwerk_models::bandit::Bandit`], default parameters) asked exactly as
//! the service asks it: the planner's context keys plus the age group, the debtor's id, the
//! allowed channels and hours, each channel's cost and the open amount.

use std::collections::HashMap;

use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, DecisionId, Request};
use mahnwerk_models::sim::{AgeGroup, Segment, SimChannel};

use super::policy::{Policy, Query};
use super::world::{cost_eur, Facts};

pub struct Thompson {
    bandit: Bandit,
    pending: HashMap<usize, DecisionId>,
}

impl Thompson {
    pub fn new(seed: u64) -> anyhow::Result<Self> {
        Ok(Thompson { bandit: Bandit::new(BanditParams::new().check()?, seed), pending: HashMap::new() })
    }
}

/// The context the service's planner sends (`src/schedule/planner.rs`), plus the age group,
/// which a creditor of consumers usually knows from the date of birth.
pub fn context(f: &Facts) -> Context {
    let segment = match f.segment {
        Segment::Consumer => "b2c",
        Segment::Business => "b2b",
    };
    let mut context = Context::new()
        .num("stage", f64::from(f.stage))
        .num("amount", f.amount_eur)
        .num("days_overdue", f64::from(f.days_overdue))
        .cat("segment", segment)
        .cat("language", f.language.as_str())
        .cat("currency", "EUR")
        .cat("country", f.country.as_str());
    if let Some(age) = f.age_group {
        let age = match age {
            AgeGroup::Young => "young",
            AgeGroup::Middle => "middle",
            AgeGroup::Senior => "senior",
        };
        context = context.cat("age_group", age);
    }
    context
}

impl Policy for Thompson {
    fn name(&self) -> &'static str {
        "mahnwerk"
    }

    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8) {
        let names: Vec<&str> = query.channels.iter().map(|c| c.as_str()).collect();
        let costs: Vec<f64> = query.channels.iter().map(|&c| cost_eur(c)).collect();
        let context = context(query.facts);
        // As the service asks it: the open amount is what a payment is worth, the channel's
        // price what the reminder costs (`src/learn/policy.rs`).
        let request = Request::new(&context, &names, query.hours)
            .debtor(&query.facts.debtor_id)
            .costs(&costs)
            .amount_weight(query.facts.amount_eur.max(1.0));
        let decision = self.bandit.decide(&request).expect("the benchmark sends valid requests");
        self.pending.insert(query.round, decision.id);
        (query.channels[decision.channel_index], decision.hour)
    }

    fn outcome(&mut self, round: usize, reward: f64) {
        if let Some(id) = self.pending.remove(&round) {
            self.bandit.outcome(id, reward).expect("a pending decision");
        }
    }
}
