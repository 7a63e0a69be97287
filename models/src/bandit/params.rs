//! The bandit's hyper-parameters, checked once (`BanditParams` -> `ValidBanditParams`, as in linfa).

use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

use super::BanditError;

/// Hyper-parameters as the caller sets them; [`ParamGuard::check`] turns them into
/// [`ValidBanditParams`], the only form the bandit accepts. Every setter states its default and
/// range; [`BanditParams::default`] is a sensible start for dunning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BanditParams(ValidBanditParams);

/// Checked hyper-parameters. See [`BanditParams`] for what each one means. A field missing when
/// deserialising takes its default, so an older snapshot reads far enough to be refused by its
/// version rather than by a missing field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidBanditParams {
    pub(crate) hash_bits: u8,
    pub(crate) hour_bucket: u8,
    pub(crate) prior_variance: f64,
    pub(crate) debtor_prior_variance: f64,
    pub(crate) debtor_hour_variance: f64,
    pub(crate) debtor_harmonics: u8,
    pub(crate) max_debtors: usize,
    pub(crate) epsilon: f64,
    pub(crate) sample_scale: f64,
    pub(crate) propensity_draws: u32,
    pub(crate) lambda: f64,
    pub(crate) pending_ttl_secs: u64,
    pub(crate) max_pending: usize,
    pub(crate) reorder_window: u64,
    pub(crate) max_data_precision: f64,
}

impl Default for ValidBanditParams {
    fn default() -> Self {
        ValidBanditParams {
            hash_bits: 20,
            hour_bucket: 3,
            prior_variance: 1.0,
            debtor_prior_variance: 1.0,
            debtor_hour_variance: 0.1,
            debtor_harmonics: 3,
            max_debtors: 200_000,
            epsilon: 0.002,
            sample_scale: 0.25,
            propensity_draws: 32,
            lambda: 1.0,
            pending_ttl_secs: 7 * 24 * 3600,
            max_pending: 100_000,
            reorder_window: 5_000,
            max_data_precision: 100.0,
        }
    }
}

impl BanditParams {
    /// The defaults listed on each setter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of bits of the hashed weight space: `2^bits` slots, 8 bytes each.
    ///
    /// Default `20` (1 Mi slots, 8 MiB). Range `12..=26`. Raise it when the distinct context
    /// values x (1 + channels + hour buckets) approach the slot count, so that features rarely
    /// share a slot. Debtors are not hashed (see [`max_debtors`](Self::max_debtors)).
    pub fn hash_bits(mut self, bits: u8) -> Self {
        self.0.hash_bits = bits;
        self
    }

    /// Width in hours of the hour buckets that carry the population's context x hour crosses
    /// (bucket = `hour / width`).
    ///
    /// Default `3`. Range `1..=24`. Wider buckets pool more evidence per context value, narrower
    /// ones resolve the daily rhythm more finely.
    pub fn hour_bucket(mut self, width: u8) -> Self {
        self.0.hour_bucket = width;
        self
    }

    /// Prior variance of every population weight (in logit units squared): how far one feature may
    /// move the log-odds before any data.
    ///
    /// Default `1.0`. Range `(0, 100]`.
    pub fn prior_variance(mut self, variance: f64) -> Self {
        self.0.prior_variance = variance;
        self
    }

    /// Prior variance of each of a debtor's own effects (intercept, channel effects, and the daily
    /// curve at any hour), in logit units squared. Smaller means stronger shrinkage of a debtor
    /// with little history toward the population.
    ///
    /// Default `1.0`: a debtor may plausibly differ from the population by a factor of e in the
    /// odds on one channel. On `mahnwerk-train bench-policies` (seeds 1 to 7) 0.25 collected 3 %
    /// fewer payments in the last quarter; 0.5 and 2 were within 1 % of 1.0. Range `(0, 100]`.
    pub fn debtor_prior_variance(mut self, variance: f64) -> Self {
        self.0.debtor_prior_variance = variance;
        self
    }

    /// Prior variance of a debtor's own daily curve at any hour (logit units squared), against
    /// [`debtor_prior_variance`](Self::debtor_prior_variance) for its intercept and channels.
    /// The curve is shared by all of the debtor's channels, letters included, and twenty
    /// reminders a year say little about a debtor's hours: a wide prior lets a few outcomes bend
    /// it where they happened to fall. Tuned on the benchmark worlds `default`, `sharp-hours` and
    /// `dead-channel` (seeds 1 to 3): `0.1` collected 0.5, 0.1 and 0.6 points more in the last
    /// quarter than `1.0` there (`0.3` in between). On the worlds not tuned on it gained up to
    /// 0.5 points, but lost 0.7 in `many-small` (80 reminders per debtor, where a debtor's own
    /// hours can be learned) and 0.6 in `b2c-heavy`.
    ///
    /// Default `0.1` (a debtor's curve may plausibly differ from the population's by 0.3 logits
    /// at any hour). Range `(0, 100]`.
    pub fn debtor_hour_variance(mut self, variance: f64) -> Self {
        self.0.debtor_hour_variance = variance;
        self
    }

    /// Number of harmonics `K` of each debtor's own daily curve: `2K` Fourier coefficients of the
    /// day (periods 24 h, 12 h, 8 h, ... ), so the curve resolves peaks about `12 / K` hours wide.
    /// `0` gives debtors no hour preference of their own.
    ///
    /// Default `3`. Range `0..=6`.
    pub fn debtor_harmonics(mut self, harmonics: u8) -> Self {
        self.0.debtor_harmonics = harmonics;
        self
    }

    /// Most debtors whose own effects are held; beyond it the one updated longest ago is dropped
    /// and scored as a newcomer again. A debtor costs about 500 bytes (5 channels, 3 harmonics).
    ///
    /// Default `200000` (about 100 MB). Range `>= 1`.
    pub fn max_debtors(mut self, max: usize) -> Self {
        self.0.max_debtors = max;
        self
    }

    /// Share of decisions taken uniformly at random among the allowed arms, so that every allowed
    /// arm has propensity at least `epsilon / arms`. `1.0` is the uniform random policy. The floor
    /// keeps off-policy evaluation of any other policy possible (if expensive: an arm the policy
    /// avoids is seen once in `arms / epsilon` decisions) and tries arms the posterior has written
    /// off. It is also the learner's plainest exploration cost: a uniform arm among ~65 is
    /// usually a push message at a dead hour. Thompson sampling explores by itself; what the
    /// floor adds costs payments. On `mahnwerk-train bench-policies` (worlds `default`,
    /// `sharp-hours`, `dead-channel` and `b2b-heavy`, seeds 1 to 3, each run with three seeds of
    /// the learner's own random stream) the mean last-quarter payment rate was 32.47 % at `0.02`
    /// (the previous default), 32.75 % at `0.01`, 32.78 % at `0.005`, 32.94 % at `0.002` and
    /// 32.84 % at `0`; about 0.1 points per 0.01 of `epsilon`. Spending the floor on channels
    /// instead (a uniformly drawn channel at its best hour) cost as much: 0.01 of it took 0.27
    /// points.
    ///
    /// Default `0.002` (a floor of 3.1e-5 per arm among 65). Range `[0, 1]`.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.0.epsilon = epsilon;
        self
    }

    /// Multiplier of the posterior standard deviation when sampling: `1.0` is plain Thompson
    /// sampling, smaller values sample closer to the posterior mean and exploit more (the role of
    /// Chapelle & Li's `alpha`). The diagonal posterior is wider than the exact one along the
    /// arms it has seen (it ignores the correlations between the many weights of one arm), so
    /// plain sampling over-explores; and a debtor is reminded too rarely for exploring its own
    /// effects to pay off. On `mahnwerk-train bench-policies` (seeds 1 to 7) `1.0` collected 9 %
    /// fewer payments in the last quarter than `0.25`, `0.5` 2 % fewer, `0.15` as many. The
    /// `epsilon` floor keeps exploring whatever this is.
    ///
    /// Default `0.25`. Range `(0, 1]`.
    pub fn sample_scale(mut self, scale: f64) -> Self {
        self.0.sample_scale = scale;
        self
    }

    /// Number of posterior draws `M` per decision. The policy acts on one of them picked uniformly
    /// at random, so the logged propensity `(1 - epsilon) * wins / M + epsilon / arms` is exact for
    /// the policy as run; as an estimate of plain Thompson sampling's probability it has standard
    /// error at most `0.5 / sqrt(M)`. Cost grows linearly in `M`.
    ///
    /// Default `32`. Range `1..=4096`.
    pub fn propensity_draws(mut self, draws: u32) -> Self {
        self.0.propensity_draws = draws;
        self
    }

    /// Weight of channel cost in the objective `P(pay) * amount_weight - lambda * cost_eur`, with
    /// the request's [`amount_weight`](super::Request::amount_weight) the open amount and its
    /// [`costs`](super::Request::costs) each channel's price in EUR: the expected amount
    /// collected minus what the reminder costs. `1` counts a euro spent as a euro collected, so a
    /// letter at 1.20 EUR is chosen over a free email only where it raises the chance of payment
    /// by `1.20 / amount` or more (1.5 points on an 80 EUR invoice). `0` maximises the probability
    /// of payment whatever the cost. A request without costs is free, so this then changes
    /// nothing.
    ///
    /// Default `1.0`. Range `[0, 1e6]`.
    pub fn lambda(mut self, lambda: f64) -> Self {
        self.0.lambda = lambda;
        self
    }

    /// Age in seconds (of the caller's clock, see [`Request::at`](super::Request::at)) after which
    /// a pending decision may be dropped by [`Bandit::expire`](super::Bandit::expire) without an
    /// update. Should exceed the attribution window plus the outcome pipeline's delay.
    ///
    /// Default `604800` (7 days; the attribution window is 72 h). Range `>= 1`.
    pub fn pending_ttl_secs(mut self, secs: u64) -> Self {
        self.0.pending_ttl_secs = secs;
        self
    }

    /// Most pending decisions held; beyond it the oldest is dropped (counted in
    /// [`BanditStats::evicted`](super::BanditStats)). Bounds memory at roughly 100 bytes plus 12
    /// per context feature per decision.
    ///
    /// Default `100000`. Range `>= 1`.
    pub fn max_pending(mut self, max: usize) -> Self {
        self.0.max_pending = max;
        self
    }
}

impl BanditParams {
    /// How many decisions an outcome may wait for an older decision's outcome. Outcomes are
    /// learned in the order the decisions were made, so that payments (known within hours) do not
    /// run days ahead of misses (known when the 72 h window closes); an older decision whose
    /// outcome has not come after this many later decisions stops holding the others up. `0`
    /// learns every outcome as it comes.
    ///
    /// Default `5000`: more than the decisions of one attribution window in every benchmark world
    /// (at most about 1,150 with 4,000 debtors), so there the order is exact; a service making
    /// more decisions per window gets part of the benefit. Range `0..=max_pending`-ish: anything
    /// up to `1e7` is accepted, and the pending store's own bound still applies.
    pub fn reorder_window(mut self, decisions: u64) -> Self {
        self.0.reorder_window = decisions;
        self
    }
}

impl BanditParams {
    /// Most precision (in 1 / logit units squared) that outcomes may add to one population
    /// weight. Without a cap a weight's posterior narrows for ever and, after a year of data, an
    /// SMS sender blocked today would take about as many misses to unlearn as it had payments
    /// before; with it, a weight forgets old outcomes exponentially and follows a world that
    /// changes within a bounded number of outcomes. The cap
    /// also keeps the posterior from claiming more certainty than a drifting world allows.
    ///
    /// Default `100` (a posterior standard deviation of at least 0.1 logits per weight). In the
    /// drift test (`models/tests/bandit_drift.rs`, other parameters at their defaults) the
    /// learner moves consumers off a blocked SMS within 324 of their outcomes (295 with the former
    /// `epsilon` 0.02); without a cap it
    /// takes 1,120 and still sends 17 % of their reminders by SMS 4,000 outcomes after the block.
    /// (Measured before `debtor_hour_variance` was narrowed: no cap never, `200` 714, `100` 442,
    /// `50` 278.) On the benchmark's worlds `100` and `200` collected as much as no cap (seeds 1
    /// to 3), `50` a little less.
    /// Range `[1, 1e9]`; `1e9` is no cap.
    pub fn max_data_precision(mut self, precision: f64) -> Self {
        self.0.max_data_precision = precision;
        self
    }
}

impl ValidBanditParams {
    pub fn hash_bits(&self) -> u8 {
        self.hash_bits
    }
    pub fn hour_bucket(&self) -> u8 {
        self.hour_bucket
    }
    pub fn prior_variance(&self) -> f64 {
        self.prior_variance
    }
    pub fn debtor_prior_variance(&self) -> f64 {
        self.debtor_prior_variance
    }
    pub fn debtor_hour_variance(&self) -> f64 {
        self.debtor_hour_variance
    }
    pub fn debtor_harmonics(&self) -> u8 {
        self.debtor_harmonics
    }
    pub fn max_debtors(&self) -> usize {
        self.max_debtors
    }
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }
    pub fn sample_scale(&self) -> f64 {
        self.sample_scale
    }
    pub fn propensity_draws(&self) -> u32 {
        self.propensity_draws
    }
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    pub fn pending_ttl_secs(&self) -> u64 {
        self.pending_ttl_secs
    }
    pub fn max_pending(&self) -> usize {
        self.max_pending
    }
    pub fn reorder_window(&self) -> u64 {
        self.reorder_window
    }
    pub fn max_data_precision(&self) -> f64 {
        self.max_data_precision
    }
}

impl ParamGuard for BanditParams {
    type Checked = ValidBanditParams;
    type Error = BanditError;

    fn check_ref(&self) -> Result<&ValidBanditParams, BanditError> {
        let p = &self.0;
        if !(12..=26).contains(&p.hash_bits) {
            return Err(BanditError::param("hash_bits", format!("must be in 12..=26, got {}", p.hash_bits)));
        }
        if !(1..=24).contains(&p.hour_bucket) {
            return Err(BanditError::param(
                "hour_bucket",
                format!("must be in 1..=24, got {}", p.hour_bucket),
            ));
        }
        variance("prior_variance", p.prior_variance)?;
        variance("debtor_prior_variance", p.debtor_prior_variance)?;
        variance("debtor_hour_variance", p.debtor_hour_variance)?;
        if p.debtor_harmonics > 6 {
            return Err(BanditError::param(
                "debtor_harmonics",
                format!("must be in 0..=6, got {}", p.debtor_harmonics),
            ));
        }
        if p.max_debtors == 0 {
            return Err(BanditError::param("max_debtors", "must be at least 1"));
        }
        // Written so that NaN fails too.
        if !(0.0..=1.0).contains(&p.epsilon) {
            return Err(BanditError::param("epsilon", format!("must be in [0, 1], got {}", p.epsilon)));
        }
        if !(p.sample_scale > 0.0 && p.sample_scale <= 1.0) {
            return Err(BanditError::param(
                "sample_scale",
                format!("must be in (0, 1], got {}", p.sample_scale),
            ));
        }
        if !(1..=4096).contains(&p.propensity_draws) {
            return Err(BanditError::param(
                "propensity_draws",
                format!("must be in 1..=4096, got {}", p.propensity_draws),
            ));
        }
        if !(0.0..=1e6).contains(&p.lambda) {
            return Err(BanditError::param("lambda", format!("must be in [0, 1e6], got {}", p.lambda)));
        }
        if p.pending_ttl_secs == 0 {
            return Err(BanditError::param("pending_ttl_secs", "must be at least 1"));
        }
        if p.max_pending == 0 {
            return Err(BanditError::param("max_pending", "must be at least 1"));
        }
        if !(1.0..=1e9).contains(&p.max_data_precision) {
            return Err(BanditError::param(
                "max_data_precision",
                format!("must be in [1, 1e9], got {}", p.max_data_precision),
            ));
        }
        if p.reorder_window > 10_000_000 {
            return Err(BanditError::param(
                "reorder_window",
                format!("must be in 0..=10000000, got {}", p.reorder_window),
            ));
        }
        Ok(p)
    }

    fn check(self) -> Result<ValidBanditParams, BanditError> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl From<ValidBanditParams> for BanditParams {
    /// Back to the unchecked form, e.g. to change one setting of a snapshot's parameters.
    fn from(valid: ValidBanditParams) -> Self {
        BanditParams(valid)
    }
}

fn variance(name: &'static str, v: f64) -> Result<(), BanditError> {
    if v > 0.0 && v <= 100.0 {
        Ok(())
    } else {
        Err(BanditError::param(name, format!("must be in (0, 100], got {v}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(params: BanditParams) -> &'static str {
        match params.check() {
            Err(BanditError::InvalidParam { name, .. }) => name,
            other => panic!("expected InvalidParam, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid_and_each_bad_value_is_named() {
        assert!(BanditParams::new().check().is_ok());
        let p = BanditParams::new;
        assert_eq!(name_of(p().hash_bits(30)), "hash_bits");
        assert_eq!(name_of(p().hour_bucket(0)), "hour_bucket");
        assert_eq!(name_of(p().prior_variance(0.0)), "prior_variance");
        assert_eq!(name_of(p().debtor_prior_variance(f64::NAN)), "debtor_prior_variance");
        assert_eq!(name_of(p().debtor_hour_variance(0.0)), "debtor_hour_variance");
        assert_eq!(name_of(p().debtor_harmonics(7)), "debtor_harmonics");
        assert_eq!(name_of(p().max_debtors(0)), "max_debtors");
        assert_eq!(name_of(p().epsilon(1.5)), "epsilon");
        assert_eq!(name_of(p().sample_scale(0.0)), "sample_scale");
        assert_eq!(name_of(p().propensity_draws(0)), "propensity_draws");
        assert_eq!(name_of(p().lambda(-1.0)), "lambda");
        assert_eq!(name_of(p().pending_ttl_secs(0)), "pending_ttl_secs");
        assert_eq!(name_of(p().max_pending(0)), "max_pending");
        assert_eq!(name_of(p().reorder_window(20_000_000)), "reorder_window");
        assert_eq!(name_of(p().max_data_precision(0.5)), "max_data_precision");
    }
}
