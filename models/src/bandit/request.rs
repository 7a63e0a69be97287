//! What a caller asks (`Request`: context, debtor, allowed channels and hours, costs) and what the
//! bandit answers (`Decision`: arm, propensity, and an id to report the outcome against).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{BanditError, Context};

/// Names one decision, so its outcome can be reported later, in any order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DecisionId(pub u64);

impl fmt::Display for DecisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One decision to make. The allowed arms are every `channels x hours` pair (the policy
/// protocol's shape): the caller has already removed what consent, reachability and quiet hours
/// forbid.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub context: &'a Context,
    /// The debtor's stable id, for per-debtor personalisation; `None` scores with the population.
    pub debtor: Option<&'a str>,
    /// Allowed channels by wire name (`"email"`, `"sms"`, ...). Any non-empty, distinct names.
    pub channels: &'a [&'a str],
    /// Allowed local hours, each `0..=23`, distinct.
    pub hours: &'a [u8],
    /// Cost in EUR of one message per channel, parallel to `channels`; empty means free. Used
    /// only when `lambda > 0`.
    pub costs_eur: &'a [f64],
    /// What a payment is worth in the objective `P(pay) * amount_weight - lambda * cost` (e.g.
    /// the open amount in EUR). Default `1.0`; must be finite and positive.
    pub amount_weight: f64,
    /// The caller's clock in seconds (any epoch), to expire decisions whose outcome never came.
    pub at: u64,
    /// An arm (index, channel-major) every other arm starts `default_lead` logits behind, the
    /// lead fading with each arm's own evidence (see [`default_arm`](super::default_arm)).
    /// Default none.
    pub default_arm: Option<usize>,
    /// See `default_arm`. In `[0, 10]`.
    pub default_lead: f64,
}

impl<'a> Request<'a> {
    pub fn new(context: &'a Context, channels: &'a [&'a str], hours: &'a [u8]) -> Self {
        Request {
            context,
            debtor: None,
            channels,
            hours,
            costs_eur: &[],
            amount_weight: 1.0,
            at: 0,
            default_arm: None,
            default_lead: 0.0,
        }
    }

    pub fn debtor(mut self, id: &'a str) -> Self {
        self.debtor = Some(id);
        self
    }

    pub fn costs(mut self, eur: &'a [f64]) -> Self {
        self.costs_eur = eur;
        self
    }

    pub fn amount_weight(mut self, weight: f64) -> Self {
        self.amount_weight = weight;
        self
    }

    pub fn at(mut self, secs: u64) -> Self {
        self.at = secs;
        self
    }

    /// Trusts arm `index` (channel-major, see [`arm`](Self::arm)) before data: every other arm
    /// starts `lead` logits behind it (see [`default_arm`](super::default_arm)).
    pub fn default_arm(mut self, index: usize, lead: f64) -> Self {
        self.default_arm = Some(index);
        self.default_lead = lead;
        self
    }

    /// Number of allowed arms.
    pub fn arms(&self) -> usize {
        self.channels.len() * self.hours.len()
    }

    /// The `(channel, hour)` of arm `index`, channel-major (the order of
    /// [`Bandit::probabilities`](super::Bandit::probabilities)).
    pub fn arm(&self, index: usize) -> (&'a str, u8) {
        let h = self.hours.len();
        (self.channels[index / h], self.hours[index % h])
    }

    pub(crate) fn cost(&self, channel: usize) -> f64 {
        self.costs_eur.get(channel).copied().unwrap_or(0.0)
    }

    pub(crate) fn validate(&self) -> Result<(), BanditError> {
        if self.channels.is_empty() {
            return Err(BanditError::request("channels", "must name at least one channel"));
        }
        for (i, c) in self.channels.iter().enumerate() {
            if c.is_empty() {
                return Err(BanditError::request("channels", "must not contain an empty name"));
            }
            if self.channels[..i].contains(c) {
                return Err(BanditError::request("channels", format!("lists {c:?} twice")));
            }
        }
        if self.hours.is_empty() {
            return Err(BanditError::request("hours", "must allow at least one hour"));
        }
        for (i, h) in self.hours.iter().enumerate() {
            if *h > 23 {
                return Err(BanditError::request("hours", format!("must be in 0..=23, got {h}")));
            }
            if self.hours[..i].contains(h) {
                return Err(BanditError::request("hours", format!("lists {h} twice")));
            }
        }
        if !self.costs_eur.is_empty() && self.costs_eur.len() != self.channels.len() {
            return Err(BanditError::request(
                "costs_eur",
                format!("has {} entries for {} channels", self.costs_eur.len(), self.channels.len()),
            ));
        }
        if let Some(c) = self.costs_eur.iter().find(|c| !(c.is_finite() && **c >= 0.0)) {
            return Err(BanditError::request("costs_eur", format!("must be finite and >= 0, got {c}")));
        }
        super::default_arm::validate(self.default_arm, self.default_lead, self.arms())?;
        if !(self.amount_weight.is_finite() && self.amount_weight > 0.0) {
            return Err(BanditError::request(
                "amount_weight",
                format!("must be finite and > 0, got {}", self.amount_weight),
            ));
        }
        Ok(())
    }
}

/// The bandit's answer: one allowed arm and the probability with which it was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Report the outcome with [`Bandit::outcome`](super::Bandit::outcome) under this id.
    pub id: DecisionId,
    /// Index into the request's `channels`.
    pub channel_index: usize,
    pub hour: u8,
    /// Probability in `(0, 1]` that the policy, as run, chose this arm (see
    /// [`thompson`](super::thompson)).
    pub propensity: f64,
}

impl Decision {
    /// The chosen channel's name, looked up in the request that made this decision.
    pub fn channel<'a>(&self, request: &Request<'a>) -> &'a str {
        request.channels[self.channel_index]
    }
}

/// One decision as the decision log records it, as far as learning needs it: the log line's other
/// fields (`id`, `at`, `propensity`, `policy_version`, ...) are ignored when deserializing one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedDecision {
    #[serde(default)]
    pub debtor: Option<String>,
    #[serde(default)]
    pub context: Context,
    pub channel: String,
    pub hour: u8,
    /// `None` (`null` in the log) while the outcome is pending.
    pub reward: Option<f64>,
}

impl LoggedDecision {
    pub(crate) fn validate(&self) -> Result<(), BanditError> {
        if self.channel.is_empty() {
            return Err(BanditError::request("channel", "must not be empty"));
        }
        if self.hour > 23 {
            return Err(BanditError::request("hour", format!("must be in 0..=23, got {}", self.hour)));
        }
        Ok(())
    }
}
