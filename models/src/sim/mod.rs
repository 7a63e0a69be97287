//! A seeded, honest world of debtors to run the dunning pipeline and its learners against.
//!
//! # What it models
//! - [`Population::generate`] draws debtors from a seed and a [`SimConfig`]: consumers and
//!   businesses, five [`PayerType`]s, a locale (timezone, language, country), the contacts the
//!   creditor holds, and hidden per-person traits: attention per channel (zero where the contact
//!   is missing or dead) and responsiveness by local hour.
//! - [`Population::invoices`] spreads each debtor's (possibly several, recurring) invoices over
//!   the horizon, with line items that sum to the amount.
//! - [`ResponseModel`] is the ground truth: [`ResponseModel::pay_probability`] of a reminder on a
//!   channel at an hour and stage, [`ResponseModel::respond`] to draw an outcome,
//!   [`ResponseModel::unprompted_payment_day`] for payments nobody asked for, and
//!   [`ResponseModel::oracle_arm`] for the best allowed arm.
//!
//! The best channel and hour differ by segment and by person, some debtors never pay, some pay
//! before any reminder: a learner that beats a fixed schedule here has learned something real.
//! [`World::all`] names worlds of different structure (sharp or flat hours, dead channels, drift,
//! few large or many small invoices, business- or consumer-heavy), so that a learner tuned on one
//! is also judged on the others.
//!
//! # Reproducibility
//! Everything random takes a seed or a caller's RNG ([`SimRng`], ChaCha8, stable across
//! platforms and `rand` patch releases). Debtor `i` and its invoices depend only on the seed,
//! the config and `i`.
//!
//! # Layout
//! `catalogue` (a shop's products and who buys what, for the recommender) · `channel` (the five media) · `config` (what to simulate) · `debtor` (the debtor type) ·
//! `generate` and `hours` (drawing a debtor) · `population` · `invoice` · `response` (ground
//! truth) · `oracle` · `worlds` (named variations) · `sample` (helpers).

pub mod catalogue;
mod channel;
mod config;
mod debtor;
mod generate;
mod hours;
mod invoice;
mod oracle;
mod population;
mod response;
mod sample;
mod worlds;

use rand::SeedableRng;

pub use channel::{ParseSimChannelError, PerChannel, SimChannel};
pub use config::{PayerMix, SimConfig, SimError};
pub use debtor::{AgeGroup, Contact, PayerType, Segment, SimDebtor};
pub use invoice::{SimInvoice, SimLine};
pub use oracle::{arms, Arm};
pub use population::Population;
pub use response::{
    Drift, HourEffect, Response, ResponseModel, ATTRIBUTION_WINDOW_HOURS, LAST_STAGE, MAX_PAY_PROBABILITY,
};
pub use worlds::{World, DRIFT_DAY};

/// The simulator's random number generator: seedable, fast, and the same stream on every platform.
pub type SimRng = rand_chacha::ChaCha8Rng;

/// A [`SimRng`] seeded from `seed`, for the caller's own draws ([`ResponseModel::respond`] etc.).
pub fn rng(seed: u64) -> SimRng {
    SimRng::seed_from_u64(seed)
}
