//! The adaptive channel and send-time policy: a contextual Thompson-sampling bandit over
//! (channel, local hour) arms that learns from payments, per debtor, with delayed outcomes.
//!
//! # Using it
//! ```
//! use linfa::ParamGuard;
//! use mahnwerk_models::bandit::{Bandit, BanditParams, Context, Request};
//!
//! let mut bandit = Bandit::new(BanditParams::new().hash_bits(16).check()?, 42);
//! let context = Context::new().num("amount", 123.4).num("stage", 1.0).cat("segment", "b2c");
//! let request = Request::new(&context, &["email", "sms"], &[9, 10, 18, 19]).debtor("C-1001");
//! let decision = bandit.decide(&request)?;
//! assert!(["email", "sms"].contains(&decision.channel(&request)));
//! // ... up to 72 hours later, in any order with other outcomes:
//! bandit.outcome(decision.id, 1.0)?;
//! # Ok::<(), mahnwerk_models::bandit::BanditError>(())
//! ```
//!
//! # The model, and why
//! **What is learned.** The probability that a reminder on channel `c` at local hour `h` gets the
//! invoice paid within the attribution window, as a logistic regression:
//! `P(pay) = sigmoid(population(x, c, h) + own(debtor, c, h))`. Logistic, not linear on the
//! probability: payment probabilities are small and multiplicative (attention x timing x
//! willingness), which is additive in log-odds, and a logistic posterior stays inside `[0, 1]`.
//!
//! **The population part** is hashed features (see [`features`]): the arm's parts (channel, hour,
//! hour bucket, the exact pair) crossed with every context feature (so channel x segment, channel
//! x stage, hour bucket x segment, ... without naming them). Hashing lets unknown context keys in
//! without a schema and bounds memory at `2^hash_bits` slots whatever the callers send; the
//! context vector is scaled to unit length, so that fifty keys do not make the prior fifty times
//! wider. Richer population crosses (channel x bucket x context, pair x context) were tried on
//! the benchmark and collected no more: with a few tens of thousands of outcomes the population
//! part is limited by data, not by its form.
//!
//! **The debtor's own part** (see [`debtors`]) is a random effect with a full covariance: an
//! intercept (how readily this debtor pays at all), one effect per channel (a dead inbox, a phone
//! that is always read) and a smooth daily curve, `2K` Fourier coefficients of the day (default
//! `K = 3`: peaks about four hours wide, shared by all of the debtor's channels). With a zero
//! prior mean and variance `debtor_prior_variance` (the curve: `debtor_hour_variance`, ten times
//! narrower, because a curve shared by all channels, letters included, is bent by a few outcomes
//! where they happened to fall) a debtor with no history is scored exactly as the population, and each outcome moves its effects by the joint Laplace step, so the estimate
//! shrinks toward the population in proportion to how little is known. The covariance is what
//! makes the few outcomes of one debtor count: a debtor who never pays lowers the intercept, not
//! each channel separately, and a miss on email at 09:00 is shared out between "email" and
//! "mornings" by how uncertain each still is, then corrected when an SMS at 09:00 pays. The
//! previous model held these effects as hashed features with a diagonal posterior (and hour
//! buckets instead of a curve); on `mahnwerk-train bench-policies` (seeds 1 to 3) it collected
//! 71.5 % of the oracle's payments over the last quarter, this one 73.6 %; over seeds 1 to 7
//! the last-quarter payment rate rose from 31.0 % to 32.1 % (LinUCB at its best: 30.9 %).
//!
//! **How far this can go.** The benchmark also runs a Bayes oracle that knows the simulator's
//! generative model exactly and updates a posterior over each debtor's hidden traits: it reaches
//! about 80 % of the oracle, the population oracle (the same knowledge, no personal data) about
//! 75 %. The rest is what the oracle reads from the hidden traits and twenty reminders per debtor
//! cannot reveal (the exact hour of a debtor's peak, a channel noticed 80 % or 95 % of the time).
//!
//! **Uncertainty and exploration.** The population posterior is a diagonal Gaussian over the
//! weights, the debtor's a full Gaussian over its effects; both are updated online, one outcome
//! at a time, by one joint Laplace step (Chapelle & Li (2011), "An Empirical Evaluation of
//! Thompson Sampling"; see [`weights`]). Decisions are Thompson sampling, with an exact logged
//! propensity and an `epsilon` floor (see [`thompson`]). Because every population weight belongs
//! to exactly one block (shared, channel, bucket, hour, pair), sampling 89 block sums and one
//! draw of the debtor's effects replaces sampling some 1200 weights for 65 arms. A diagonal
//! posterior over many weights that always fire together is too wide along the arms it has seen,
//! and a debtor is reminded too rarely for exploring its own effects to pay, so the draws are
//! narrowed (`sample_scale`, default 0.25; plain sampling collects 9 % fewer payments on the
//! benchmark), while keeping the propensities that off-policy evaluation needs. The `epsilon`
//! floor (default 0.002) keeps every arm's propensity above zero; it is small because each
//! uniformly drawn arm is mostly a push message at a dead hour: at 0.02 it was most of the
//! learner's gap to a simple per-debtor LinUCB on the benchmark.
//!
//! **Objective.** By default (`lambda = 1`) the arm with the highest sampled `P(pay) *
//! amount_weight - lambda * cost_eur`: the expected amount collected minus what the reminder
//! costs, so a letter at 1.20 EUR wins only where it earns that back. A request without costs
//! (or `lambda = 0`) gets the arm with the highest sampled `P(pay)`.
//!
//! **Delayed, out-of-order outcomes.** [`Bandit::decide`] keeps the decision's hashed features
//! under a [`DecisionId`]; [`Bandit::outcome`] records the outcome whenever it comes (an unknown
//! id is an error value) and learns from outcomes in the order the decisions were made, holding
//! one back until the older decisions have theirs (at most `reorder_window` decisions; see
//! `pending`). Payments are known within hours and misses only when the 72 h window closes;
//! learned as they came, they made a newly tried arm look better than it was, and on worlds with
//! many decisions per window that was most of the learner's gap to a simple per-debtor LinUCB.
//! Each population weight's precision is capped (`max_data_precision`), so old outcomes are
//! forgotten exponentially and a channel that stops working is dropped within a bounded number
//! of outcomes (`models/tests/bandit_drift.rs`). [`Bandit::expire`] drops decisions older than `pending_ttl_secs`;
//! [`Bandit::observe`] learns from a decision made elsewhere (a decision-log line), and
//! [`Bandit::observe_weighted`] from one that counts a given number of times (importance weights
//! for a log another policy wrote; see [`weights`]).
//!
//! **Warm start** from a batch logistic regression on logged decisions ([`fit_prior`], or
//! [`fit_prior_weighted`] with sample weights and in passes over a log of any length) and
//! **snapshots** ([`Snapshot`]) complete the life cycle.
//!
//! # Layout
//! `params` (checked hyper-parameters) · `context` (the caller's features) · `request` (what is
//! asked and answered) · `default_arm` (an arm trusted before data) · `hashing` and `features` (the population's feature space) · `weights`
//! (its posterior and the update) · `debtors` (each debtor's own effects) · `thompson` (sampling
//! and propensity) and `normals` (its standard normal draws) · `pending` · `learner` (the bandit itself) · `snapshot` · `prior` (warm
//! start) and `weighted_prior` (the same with sample weights, by Newton's method) · `error`.

mod context;
pub mod debtors;
pub mod default_arm;
mod error;
pub mod features;
mod hashing;
mod learner;
mod normals;
mod params;
mod pending;
mod prior;
mod request;
mod snapshot;
pub mod thompson;
mod weighted_prior;
pub mod weights;

pub use context::{Context, FeatureValue};
pub use error::BanditError;
pub use learner::{ArmEstimate, Bandit, BanditRng, BanditStats};
pub use params::{BanditParams, ValidBanditParams};
pub use prior::{fit_prior, Prior, MAX_CELLS};
pub use request::{Decision, DecisionId, LoggedDecision, Request};
pub use snapshot::{Snapshot, SNAPSHOT_VERSION};
pub use weighted_prior::{
    fit_prior_weighted, Visit, WeightedPrior, MAX_NEWTON_STEPS, MAX_PRIOR_WEIGHTS, NEWTON_TOLERANCE,
};
