//! The scheduler's adaptive [`Policy`]: Thompson sampling over the allowed (channel, hour) arms
//! with the newest model snapshot the learner wrote, hot-reloaded while the scheduler runs.
//!
//! The scheduler's copy of the model only decides; it never learns. Learning happens in one
//! place, the learner role, from the outcome events of every scheduler's decisions, so that any
//! number of schedulers stay consistent: each one reloads the snapshot when its version changes
//! ([`AdaptivePolicy::reload_from`], polled by [`keep_reloading`]). A decision is logged with the
//! version it was made by (`bandit-v{version}`, `bandit-v0` before the first snapshot).

use crate::domain::{ChannelKind, PolicyVersion};
use crate::schedule::{Decision, DecisionRequest, FixedPolicy, Policy};
use crate::shutdown::Shutdown;
use crate::store::{PolicySnapshotRecord, Store};
use anyhow::Context as _;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, FeatureValue, Request, Snapshot};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The model in use and the snapshot version it came from (0: no snapshot yet).
struct Loaded {
    bandit: Bandit,
    version: i64,
}

/// The adaptive policy. Cheap to share: the scheduler and its reload task hold the same `Arc`.
pub struct AdaptivePolicy {
    loaded: Mutex<Loaded>,
    seed: u64,
    lambda: f64,
    epsilon: f64,
    costs_eur: BTreeMap<ChannelKind, f64>,
    earlier_stage_share: f64,
    default_arm_lead: f64,
    hour_step: u8,
}

impl AdaptivePolicy {
    /// A policy with no data yet (every arm at the prior), sampling from `seed`. `lambda` and
    /// `costs_eur` set the cost-aware objective (see `[learn]` in the configuration); the
    /// exploration floor is `[learn] epsilon`'s default until [`with_epsilon`](Self::with_epsilon).
    pub fn new(seed: u64, lambda: f64, costs_eur: BTreeMap<ChannelKind, f64>) -> Self {
        let epsilon = crate::config::LearnConfig::default().epsilon;
        Self {
            loaded: Mutex::new(Loaded { bandit: fresh_bandit(seed, lambda, epsilon), version: 0 }),
            seed,
            lambda,
            epsilon,
            costs_eur,
            earlier_stage_share: 1.0,
            default_arm_lead: 0.0,
            hour_step: 1,
        }
    }

    /// How many logits the plan's default arm (what [`FixedPolicy`] would send) leads every
    /// other arm before data (`[learn] default_arm_lead`; 0, no lead, until set). See
    /// `mahnwerk_models::bandit::default_arm`.
    pub fn with_default_arm_lead(mut self, lead: f64) -> Self {
        self.default_arm_lead = lead;
        self
    }

    /// Offer the model only every `step`-th allowed hour, counted from the fixed schedule's hour
    /// (`[learn] hour_step`; 1, every hour, until set).
    pub fn with_hour_step(mut self, step: u8) -> Self {
        self.hour_step = step.max(1);
        self
    }

    /// The share of decisions taken uniformly at random (`[learn] epsilon`, validated with the
    /// configuration), for the model in use and every snapshot loaded later.
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self.loaded
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .bandit
            .set_epsilon(epsilon)
            .expect("learn.epsilon was validated with the config");
        self
    }

    /// What a payment before the plan's last stage is worth, as a share of the open amount
    /// (`[learn] earlier_stage_share`; 1 until set).
    pub fn with_earlier_stage_share(mut self, share: f64) -> Self {
        self.earlier_stage_share = share;
        self
    }

    /// The snapshot version decisions are made with (0 before the first snapshot).
    pub fn snapshot_version(&self) -> i64 {
        self.lock().version
    }

    /// Replaces the model with `record`'s. A snapshot that does not parse is an error and the
    /// current model stays.
    pub fn install(&self, record: &PolicySnapshotRecord) -> anyhow::Result<()> {
        let snapshot: Snapshot = serde_json::from_str(&record.body)
            .with_context(|| format!("policy snapshot v{} does not parse", record.version))?;
        // A different stream per version, so that reloading never replays the same draws.
        let seed = self.seed ^ (record.version as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut bandit = Bandit::from_snapshot(snapshot, seed)
            .with_context(|| format!("policy snapshot v{} was refused", record.version))?;
        // The cost weight and the exploration floor are this deployment's `[learn] lambda` and
        // `epsilon`, not whatever the snapshot was written with (a published model, an initial
        // model from `mahnwerk-train fit`).
        bandit.set_lambda(self.lambda).context("learn.lambda was validated with the config")?;
        bandit.set_epsilon(self.epsilon).context("learn.epsilon was validated with the config")?;
        *self.lock() = Loaded { bandit, version: record.version };
        Ok(())
    }

    /// Loads the store's newest snapshot if it is newer than the one in use; returns whether it did.
    pub async fn reload_from(&self, store: &dyn Store) -> anyhow::Result<bool> {
        let Some(latest) = store.latest_policy_version().await? else { return Ok(false) };
        if latest <= self.snapshot_version() {
            return Ok(false);
        }
        let Some(record) = store.latest_policy_snapshot().await? else { return Ok(false) };
        self.install(&record)?;
        metrics::gauge!(crate::observe::names::POLICY_VERSION).set(record.version as f64);
        tracing::info!(version = record.version, updates = record.updates, "policy snapshot loaded");
        Ok(true)
    }

    fn lock(&self) -> MutexGuard<'_, Loaded> {
        // A panic while holding the lock cannot leave a half-written model (the swap is one
        // assignment), so a poisoned lock is safe to use.
        self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A model with no data, deciding with this deployment's cost weight and exploration floor
/// (both validated with the configuration).
pub(crate) fn fresh_bandit(seed: u64, lambda: f64, epsilon: f64) -> Bandit {
    use linfa::ParamGuard;
    let params = BanditParams::new()
        .lambda(lambda)
        .epsilon(epsilon)
        .check()
        .expect("learn.lambda and learn.epsilon were validated with the config");
    Bandit::new(params, seed)
}

impl Policy for AdaptivePolicy {
    fn version(&self) -> PolicyVersion {
        PolicyVersion::bandit(self.snapshot_version())
    }

    fn decide(&self, request: &DecisionRequest<'_>) -> Decision {
        let grid;
        let request = if self.hour_step > 1 {
            grid = hour_grid(request.hours, FixedPolicy.decide(request).hour, self.hour_step);
            &DecisionRequest { hours: &grid, ..*request }
        } else {
            request
        };
        let context = to_context(request.context);
        let names: Vec<&str> = request.channels.iter().map(|c| c.as_str()).collect();
        let costs: Vec<f64> = if self.lambda > 0.0 {
            request.channels.iter().map(|c| self.costs_eur.get(c).copied().unwrap_or(0.0)).collect()
        } else {
            Vec::new()
        };
        let amount = if request.amount.is_finite() && request.amount > 0.0 { request.amount } else { 1.0 };
        // Only at the last stage is the whole amount at stake; before it, a reminder that is not
        // paid is followed by the next stage, which reaches the same debtor again.
        let share = if request.last_stage { 1.0 } else { self.earlier_stage_share };
        let amount = (amount * share).max(f64::MIN_POSITIVE);
        let mut bandit_request = Request::new(&context, &names, request.hours)
            .debtor(request.debtor)
            .costs(&costs)
            .amount_weight(amount);
        if self.default_arm_lead > 0.0 {
            // The plan's default is the fixed schedule's choice, by the one rule that makes it.
            let fixed = FixedPolicy.decide(request);
            let channel = request.channels.iter().position(|&c| c == fixed.channel);
            let hour = request.hours.iter().position(|&h| h == fixed.hour);
            if let (Some(c), Some(h)) = (channel, hour) {
                bandit_request =
                    bandit_request.default_arm(c * request.hours.len() + h, self.default_arm_lead);
            }
        }
        let mut loaded = self.lock();
        let version = PolicyVersion::bandit(loaded.version);
        // This copy never learns (the learner role does, from outcome events): it only chooses.
        match loaded.bandit.choose(&bandit_request) {
            Ok(decision) => Decision {
                channel: request.channels[decision.channel_index],
                hour: decision.hour,
                propensity: decision.propensity,
                policy_version: version,
            },
            Err(error) => {
                // Only a malformed request gets here (the planner never sends one); the fixed
                // schedule is a safe answer and says so in the logged version.
                tracing::error!(%error, debtor = request.debtor, "adaptive policy refused a request; fixed schedule used");
                FixedPolicy.decide(request)
            }
        }
    }
}

/// The allowed hours `anchor ± k × step`: fewer arms to learn, the anchor (an allowed hour) kept.
fn hour_grid(hours: &[u8], anchor: u8, step: u8) -> Vec<u8> {
    let grid: Vec<u8> = hours
        .iter()
        .copied()
        .filter(|&h| (i16::from(h) - i16::from(anchor)).rem_euclid(i16::from(step)) == 0)
        .collect();
    if grid.is_empty() {
        hours.to_vec()
    } else {
        grid
    }
}

/// The planner's JSON context as the learner's features: numbers stay numbers, strings and
/// booleans are categories, anything else (null, arrays, objects) is left out.
pub fn to_context(map: &Map<String, Value>) -> Context {
    let mut context = Context::new();
    for (key, value) in map {
        match value {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    context.push(key.as_str(), FeatureValue::Num(x));
                }
            }
            Value::String(s) => context.push(key.as_str(), FeatureValue::Cat(s.clone())),
            Value::Bool(b) => context.push(key.as_str(), FeatureValue::Cat(b.to_string())),
            Value::Null | Value::Array(_) | Value::Object(_) => {}
        }
    }
    context
}

/// Polls the store for a newer snapshot every `every` until shutdown. A failed poll is logged and
/// the current model stays in use.
pub async fn keep_reloading(
    policy: Arc<AdaptivePolicy>,
    store: Arc<dyn Store>,
    every: Duration,
    mut shutdown: Shutdown,
) {
    loop {
        if let Err(error) = policy.reload_from(store.as_ref()).await {
            tracing::warn!(error = format!("{error:#}"), "policy reload failed; keeping the current model");
        }
        if shutdown.sleep(every).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request<'a>(
        context: &'a Map<String, Value>,
        channels: &'a [ChannelKind],
        hours: &'a [u8],
    ) -> DecisionRequest<'a> {
        DecisionRequest { debtor: "acme/C-1", context, channels, hours, amount: 120.0, last_stage: false }
    }

    #[test]
    fn answers_only_allowed_arms_with_a_probability() {
        let policy = AdaptivePolicy::new(7, 0.0, crate::config::default_costs_eur());
        let context = json!({"stage": 1, "segment": "b2c", "vip": true}).as_object().unwrap().clone();
        let channels = [ChannelKind::Sms, ChannelKind::Letter];
        let hours = [9, 18];
        for _ in 0..200 {
            let d = policy.decide(&request(&context, &channels, &hours));
            assert!(channels.contains(&d.channel) && hours.contains(&d.hour), "{d:?}");
            assert!(d.propensity > 0.0 && d.propensity <= 1.0, "{d:?}");
            assert_eq!(d.policy_version, "bandit-v0");
        }
        assert_eq!(policy.lock().bandit.pending(), 0, "the scheduler's copy holds no decisions");
    }

    #[test]
    fn a_letter_must_earn_its_cost_and_earlier_stages_have_less_at_stake() {
        let policy =
            AdaptivePolicy::new(7, 1.0, crate::config::default_costs_eur()).with_earlier_stage_share(0.01);
        let context = json!({"stage": 1, "segment": "b2c"}).as_object().unwrap().clone();
        let channels = [ChannelKind::Email, ChannelKind::Letter];
        let letters = |last_stage: bool| {
            (0..400)
                .filter(|_| {
                    let asked = DecisionRequest { last_stage, ..request(&context, &channels, &[10]) };
                    policy.decide(&asked).channel == ChannelKind::Letter
                })
                .count()
        };
        let (earlier, last) = (letters(false), letters(true));
        // With nothing learned both channels look alike: at 120 EUR at stake a letter's 1.20 EUR
        // is within the noise of the sampled chances; at 1.20 EUR it is not.
        assert!(last > 40, "the last stage still tries letters: {last}");
        assert!(earlier < last / 4, "earlier stages rarely pay for a letter: {earlier} vs {last}");
    }

    #[test]
    fn epsilon_is_the_deployment_s_share_of_uniformly_drawn_arms() {
        let context = json!({"stage": 2, "segment": "b2c"}).as_object().unwrap().clone();
        let channels = [ChannelKind::Email, ChannelKind::Sms, ChannelKind::Letter];
        let hours = [9, 12, 18, 19];
        let uniform = AdaptivePolicy::new(3, 3.0, crate::config::default_costs_eur()).with_epsilon(1.0);
        for _ in 0..50 {
            let d = uniform.decide(&request(&context, &channels, &hours));
            assert!((d.propensity - 1.0 / 12.0).abs() < 1e-12, "{d:?}");
        }
        // Whatever arm is chosen, its logged propensity includes the floor `epsilon / arms`.
        let floor = |epsilon: f64| {
            let policy =
                AdaptivePolicy::new(3, 3.0, crate::config::default_costs_eur()).with_epsilon(epsilon);
            let d = policy.decide(&request(&context, &channels, &hours));
            let epsilon = policy.lock().bandit.params().epsilon();
            (d.propensity, epsilon)
        };
        let (propensity, epsilon) = floor(0.3);
        assert_eq!(epsilon, 0.3);
        assert!(propensity >= 0.3 / 12.0, "{propensity}");
    }

    #[test]
    fn installs_a_snapshot_and_reports_its_version() {
        let policy = AdaptivePolicy::new(7, 0.0, crate::config::default_costs_eur());
        let body = serde_json::to_string(&fresh_bandit(1, 0.0, 0.5).snapshot()).unwrap();
        let record = PolicySnapshotRecord {
            version: 4,
            created_at: "2026-12-01T10:00:00Z".parse().unwrap(),
            updates: 0,
            body,
        };
        policy.install(&record).unwrap();
        assert_eq!(policy.version(), "bandit-v4");
        assert_eq!(
            policy.lock().bandit.params().epsilon(),
            0.02,
            "the deployment's exploration floor, not the snapshot's 0.5"
        );
        let broken = PolicySnapshotRecord { version: 5, body: "{".into(), ..record };
        assert!(policy.install(&broken).unwrap_err().to_string().contains("v5"));
        assert_eq!(policy.snapshot_version(), 4, "a broken snapshot leaves the model in use");
    }

    #[test]
    fn the_hour_grid_keeps_the_anchor_and_every_step_th_hour_around_it() {
        let allowed: Vec<u8> = (8..=20).collect();
        assert_eq!(hour_grid(&allowed, 10, 1), allowed);
        assert_eq!(hour_grid(&allowed, 10, 2), vec![8, 10, 12, 14, 16, 18, 20]);
        assert_eq!(hour_grid(&allowed, 10, 3), vec![10, 13, 16, 19]);
        assert_eq!(hour_grid(&[9, 17], 9, 4), vec![9, 17]);
        assert_eq!(hour_grid(&[9, 11], 10, 2), vec![9, 11], "no hour on the grid: all of them");
        let policy = AdaptivePolicy::new(5, 3.0, crate::config::default_costs_eur()).with_hour_step(3);
        let context = json!({"stage": 1, "segment": "b2c"}).as_object().unwrap().clone();
        for _ in 0..100 {
            let d = policy.decide(&request(&context, &[ChannelKind::Email, ChannelKind::Sms], &allowed));
            assert!([10, 13, 16, 19].contains(&d.hour), "{d:?}");
        }
    }

    #[test]
    fn json_context_becomes_features() {
        let map = json!({"amount": 12.5, "segment": "b2b", "flag": false, "none": null, "list": [1]});
        let context = to_context(map.as_object().unwrap());
        let entries: Vec<(&str, &FeatureValue)> = context.iter().collect();
        assert_eq!(entries.len(), 3);
        assert!(entries.contains(&("amount", &FeatureValue::Num(12.5))));
        assert!(entries.contains(&("segment", &FeatureValue::Cat("b2b".into()))));
        assert!(entries.contains(&("flag", &FeatureValue::Cat("false".into()))));
    }
}
