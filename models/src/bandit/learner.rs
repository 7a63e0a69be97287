//! The learner: decides among allowed arms, holds pending decisions, learns from outcomes that
//! arrive late and in any order.

use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::debtors::{self, Debtors};
use super::features::{self, channel_hash, Encoded};
use super::pending::{Pending, PendingDecision, Resolved};
use super::thompson::{Blocks, Objective};
use super::weights::{laplace_step, sigmoid, Gauss, Weights};
use super::{BanditError, Decision, DecisionId, LoggedDecision, Request, ValidBanditParams};

/// The bandit's random number generator: seedable and the same stream on every platform.
pub type BanditRng = rand_chacha::ChaCha8Rng;

/// Counters since the model was created (carried through snapshots).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanditStats {
    pub decisions: u64,
    /// Outcomes and logged decisions learned from. Grows by one per update, so it also serves as
    /// the model's version number.
    pub updates: u64,
    /// Pending decisions dropped by [`Bandit::expire`].
    pub expired: u64,
    /// Pending decisions dropped because [`max_pending`](super::BanditParams::max_pending) was reached.
    pub evicted: u64,
}

/// What the posterior believes about one arm, for inspection and reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArmEstimate {
    pub channel_index: usize,
    pub hour: u8,
    /// Posterior mean and standard deviation of the log-odds of payment.
    pub mean_logit: f64,
    pub sd_logit: f64,
    /// Posterior mean of the probability of payment (probit approximation of the logistic-normal
    /// integral).
    pub p_pay: f64,
}

/// A contextual Thompson-sampling bandit over (channel, hour) arms. See the [module
/// docs](super) for the model.
#[derive(Debug, Clone)]
pub struct Bandit {
    pub(super) params: ValidBanditParams,
    pub(super) weights: Weights,
    pub(super) debtors: Debtors,
    pub(super) pending: Pending,
    pub(super) next_id: u64,
    pub(super) stats: BanditStats,
    rng: BanditRng,
    // Buffers reused between calls: a decision allocates only the pending entry it keeps.
    enc: Encoded,
    blocks: Blocks,
    features: Vec<(u64, f32)>,
    update_scratch: Vec<(usize, f64, f64)>,
    debtor_scratch: debtors::Pending,
}

impl Bandit {
    /// A bandit with no data: every weight at its prior.
    pub fn new(params: ValidBanditParams, seed: u64) -> Self {
        let weights = Weights::new(&params);
        Self::from_parts(params, weights, Pending::default(), 1, BanditStats::default(), seed)
    }

    pub(super) fn from_parts(
        params: ValidBanditParams,
        weights: Weights,
        pending: Pending,
        next_id: u64,
        stats: BanditStats,
        seed: u64,
    ) -> Self {
        Bandit {
            debtors: Debtors::new(&params),
            params,
            weights,
            pending,
            next_id,
            stats,
            rng: BanditRng::seed_from_u64(seed),
            enc: Encoded::default(),
            blocks: Blocks::default(),
            features: Vec::new(),
            update_scratch: Vec::new(),
            debtor_scratch: debtors::Pending::default(),
        }
    }

    pub fn params(&self) -> &ValidBanditParams {
        &self.params
    }

    pub fn stats(&self) -> BanditStats {
        self.stats
    }

    /// Number of decisions not learned from yet: waiting for their outcome, or holding it until
    /// older decisions have theirs (see [`outcome`](Self::outcome)).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Sets the cost weight of the objective (see [`BanditParams::lambda`](super::BanditParams::lambda)),
    /// whatever the model was created or snapshotted with: the weight is the deployment's choice
    /// of what a euro spent is worth, not something learned, so a scheduler applies its own to
    /// every snapshot it loads. Range `[0, 1e6]`.
    pub fn set_lambda(&mut self, lambda: f64) -> Result<(), BanditError> {
        if !(0.0..=1e6).contains(&lambda) {
            return Err(BanditError::param("lambda", format!("must be in [0, 1e6], got {lambda}")));
        }
        self.params.lambda = lambda;
        Ok(())
    }

    /// Sets the uniform exploration floor (see [`BanditParams::epsilon`](super::BanditParams::epsilon)),
    /// whatever the model was created or snapshotted with: like the cost weight it is the
    /// deployment's choice (how much of its traffic it spends so that other policies can be
    /// evaluated on its log), not something learned. Range `[0, 1]`.
    pub fn set_epsilon(&mut self, epsilon: f64) -> Result<(), BanditError> {
        // Written so that NaN fails too.
        if !(0.0..=1.0).contains(&epsilon) {
            return Err(BanditError::param("epsilon", format!("must be in [0, 1], got {epsilon}")));
        }
        self.params.epsilon = epsilon;
        Ok(())
    }

    /// Restarts the random stream: the same state and seed give the same decisions.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = BanditRng::seed_from_u64(seed);
    }

    /// Chooses one allowed arm by Thompson sampling (see [`thompson`](super::thompson)) and holds
    /// the decision until [`outcome`](Self::outcome) reports its reward.
    pub fn decide(&mut self, request: &Request<'_>) -> Result<Decision, BanditError> {
        let decision = self.choose(request)?;
        let channel = self.blocks.channel_hashes[decision.channel_index];
        let kept = PendingDecision::new(request.at, &self.enc, channel, decision.hour);
        if let Some(dropped) = self.pending.insert(decision.id, kept, self.params.max_pending) {
            self.settle(dropped);
        }
        Ok(decision)
    }

    /// Chooses as [`decide`](Self::decide) does, but keeps nothing for an outcome: for a copy of
    /// the model that only decides while the learning happens elsewhere, from logged decisions
    /// ([`observe`](Self::observe)). Reporting an outcome for its id is an unknown-id error.
    pub fn choose(&mut self, request: &Request<'_>) -> Result<Decision, BanditError> {
        request.validate()?;
        self.enc.encode(request.context, request.debtor);
        self.blocks.compute(
            &self.weights,
            &self.debtors,
            &self.enc,
            request,
            self.params.hour_bucket,
            self.params.sample_scale,
        );
        if let Some(default) = request.default_arm {
            self.blocks.lead_default(default, request.default_lead, self.params.prior_variance);
        }
        let objective = Objective { lambda: self.params.lambda, amount_weight: request.amount_weight };
        let (arm, propensity) =
            self.blocks.choose(&mut self.rng, objective, self.params.propensity_draws, self.params.epsilon);

        let n_hours = request.hours.len();
        let (channel_index, hour) = (arm / n_hours, request.hours[arm % n_hours]);
        let id = DecisionId(self.next_id);
        self.next_id += 1;
        self.stats.decisions += 1;
        Ok(Decision { id, channel_index, hour, propensity })
    }

    /// Learns from the outcome of decision `id`: `reward` 1 if the invoice was paid within the
    /// attribution window, 0 if the window closed without payment (values in between are read as
    /// a soft label). Outcomes may come in any order; each id counts once. They are learned in
    /// the order the decisions were made: an outcome is held until every older decision has its
    /// own, or until the older one is more than
    /// [`reorder_window`](super::BanditParams::reorder_window) decisions old (the argument is in
    /// `pending`: payments are known days before misses, and learned as they come they made the
    /// estimates swing).
    pub fn outcome(&mut self, id: DecisionId, reward: f64) -> Result<(), BanditError> {
        check_reward(reward)?;
        match self.pending.resolve(id, reward) {
            Resolved::Unknown => return Err(BanditError::UnknownDecision(id)),
            Resolved::Now(decision) => self.settle(decision),
            Resolved::Held => {}
        }
        let next = DecisionId(self.next_id);
        while let Some(decision) = self.pending.pop_ready(next, self.params.reorder_window) {
            self.settle(decision);
        }
        Ok(())
    }

    /// Learns from a decision leaving the pending store if it has an outcome; otherwise counts it
    /// as evicted.
    fn settle(&mut self, decision: PendingDecision) {
        match decision.reward {
            Some(reward) => {
                let (enc, channel, hour) = decision.encoded();
                self.learn(&enc, channel, hour, reward, 1.0);
            }
            None => self.stats.evicted += 1,
        }
    }

    /// Learns from a decision made elsewhere (another scheduler, a replayed decision log). A line
    /// whose reward is still `None` teaches nothing and is skipped. The same as
    /// [`observe_weighted`](Self::observe_weighted) with weight 1.
    pub fn observe(&mut self, logged: &LoggedDecision) -> Result<(), BanditError> {
        self.observe_weighted(logged, 1.0)
    }

    /// Learns from a logged decision that counts `weight` times: its likelihood enters the
    /// Laplace step raised to the power `weight`, so the step's gradient and curvature are scaled
    /// by it (see [`weights`](super::weights)). Weight 1 is [`observe`](Self::observe) exactly;
    /// weight 0 teaches nothing and is skipped, like a pending line. For importance weights: a
    /// log written by another policy, reweighted towards the arms it chose rarely.
    ///
    /// A weight that is negative or not finite is an `InvalidRequest` naming `weight`, and
    /// nothing is learned.
    pub fn observe_weighted(&mut self, logged: &LoggedDecision, weight: f64) -> Result<(), BanditError> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(BanditError::request("weight", format!("must be finite and >= 0, got {weight}")));
        }
        let Some(reward) = logged.reward else { return Ok(()) };
        check_reward(reward)?;
        logged.validate()?;
        if weight == 0.0 {
            return Ok(());
        }
        let mut enc = std::mem::take(&mut self.enc);
        enc.encode(&logged.context, logged.debtor.as_deref());
        self.learn(&enc, channel_hash(&logged.channel), logged.hour, reward, weight);
        self.enc = enc;
        Ok(())
    }

    /// One joint Laplace step on the population weights and the debtor's own effects, the
    /// observation counting `weight` times.
    fn learn(&mut self, enc: &Encoded, channel: u64, hour: u8, reward: f64, weight: f64) {
        self.features.clear();
        features::chosen(enc, channel, hour, self.params.hour_bucket, |h, x| self.features.push((h, x)));
        let population = self.weights.prepare(&self.features, &mut self.update_scratch);
        let own = self.debtors.prepare(enc.debtor, channel, hour, &mut self.debtor_scratch);
        let step = laplace_step(
            Gauss { mean: population.mean + own.mean, var: population.var + own.var },
            reward,
            weight,
        );
        self.weights.apply(step, &self.update_scratch);
        self.debtors.apply(step, &self.debtor_scratch);
        self.stats.updates += 1;
    }

    /// Number of debtors whose own effects are held.
    pub fn debtors(&self) -> usize {
        self.debtors.len()
    }

    /// Drops the pending decisions made at or before `now - pending_ttl_secs` (same clock as
    /// [`Request::at`]); their outcomes, should they come, are then unknown ids. Returns how many
    /// had no outcome; those that held one are learned from.
    pub fn expire(&mut self, now: u64) -> usize {
        let mut dropped = 0;
        for decision in self.pending.expire(now, self.params.pending_ttl_secs) {
            match decision.reward {
                Some(reward) => {
                    let (enc, channel, hour) = decision.encoded();
                    self.learn(&enc, channel, hour, reward, 1.0);
                }
                None => dropped += 1,
            }
        }
        let next = DecisionId(self.next_id);
        while let Some(decision) = self.pending.pop_ready(next, self.params.reorder_window) {
            self.settle(decision);
        }
        self.stats.expired += dropped as u64;
        dropped
    }

    /// The policy's probability of each arm (channel-major, see [`Request::arm`]) for this
    /// request, estimated from `draws` posterior samples: standard error at most `0.5 /
    /// sqrt(draws)` on the Thompson part. Uses the bandit's random stream but changes no state.
    pub fn probabilities(&mut self, request: &Request<'_>, draws: u32) -> Result<Vec<f64>, BanditError> {
        request.validate()?;
        if draws == 0 {
            return Err(BanditError::request("draws", "must be at least 1"));
        }
        self.enc.encode(request.context, request.debtor);
        self.blocks.compute(
            &self.weights,
            &self.debtors,
            &self.enc,
            request,
            self.params.hour_bucket,
            self.params.sample_scale,
        );
        if let Some(default) = request.default_arm {
            self.blocks.lead_default(default, request.default_lead, self.params.prior_variance);
        }
        let objective = Objective { lambda: self.params.lambda, amount_weight: request.amount_weight };
        self.blocks.ensemble(&mut self.rng, objective, draws, None);
        let eps = self.params.epsilon;
        let floor = eps / request.arms() as f64;
        Ok(self
            .blocks
            .counts
            .iter()
            .map(|&n| (1.0 - eps) * f64::from(n) / f64::from(draws) + floor)
            .collect())
    }

    /// The posterior of every arm's probability of payment (channel-major), without sampling.
    pub fn estimates(&mut self, request: &Request<'_>) -> Result<Vec<ArmEstimate>, BanditError> {
        request.validate()?;
        self.enc.encode(request.context, request.debtor);
        self.blocks.compute(
            &self.weights,
            &self.debtors,
            &self.enc,
            request,
            self.params.hour_bucket,
            self.params.sample_scale,
        );
        let n_hours = request.hours.len();
        Ok((0..self.blocks.arm_count())
            .map(|i| {
                let g = self.blocks.arm_score(i);
                ArmEstimate {
                    channel_index: i / n_hours,
                    hour: request.hours[i % n_hours],
                    mean_logit: g.mean,
                    sd_logit: g.var.sqrt(),
                    p_pay: sigmoid(g.mean / (1.0 + std::f64::consts::PI * g.var / 8.0).sqrt()),
                }
            })
            .collect())
    }
}

pub(crate) fn check_reward(reward: f64) -> Result<(), BanditError> {
    if (0.0..=1.0).contains(&reward) {
        Ok(())
    } else {
        Err(BanditError::InvalidReward(reward))
    }
}
