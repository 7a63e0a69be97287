//! The policies a simulated log can be written by, each reporting the exact probability with
//! which it chose its arm (the log's `propensity`).
//!
//! - `uniform`: every allowed (channel, hour) with the same probability `1 / arms`. The log every
//!   other policy can be evaluated on.
//! - `fixed`: the service's fixed schedule (`src/schedule/policy.rs`, `FixedPolicy`): the plan's
//!   first allowed channel at 10:00, propensity 1. Off-policy evaluation of anything that would
//!   choose differently is impossible on such a log, and `evaluate` refuses it.
//! - `adaptive`: the repository's learner ([`mahnwerk_models::bandit::Bandit`], default
//!   parameters), asked as the service asks it with `[learn] lambda = 0` (no costs,
//!   the open amount as `amount_weight`), logging its own Thompson-sampling propensity (exact,
//!   with the `epsilon` floor 0.02 over the allowed arms). It learns from each outcome right after
//!   deciding; the service learns up to 72 hours later, which changes what it learns, not
//!   whether the logged propensities are right.

use std::fmt;
use std::str::FromStr;

use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, DecisionId, Request};
use mahnwerk_models::sim::{SimChannel, SimRng};
use rand::Rng;

/// Which policy writes the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoggingPolicy {
    Uniform,
    Fixed,
    Adaptive,
}

impl LoggingPolicy {
    /// The log's `policy_version` for decisions of this policy. `uniform-v1` is the simulator's
    /// own: the service never writes it.
    pub fn version(self) -> &'static str {
        match self {
            LoggingPolicy::Uniform => "uniform-v1",
            LoggingPolicy::Fixed => "fixed-v1",
            LoggingPolicy::Adaptive => "bandit-v0",
        }
    }
}

impl FromStr for LoggingPolicy {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "uniform" => Ok(LoggingPolicy::Uniform),
            "fixed" => Ok(LoggingPolicy::Fixed),
            "adaptive" => Ok(LoggingPolicy::Adaptive),
            other => anyhow::bail!("--policy: unknown policy {other:?}, expected uniform, fixed or adaptive"),
        }
    }
}

impl fmt::Display for LoggingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoggingPolicy::Uniform => "uniform",
            LoggingPolicy::Fixed => "fixed",
            LoggingPolicy::Adaptive => "adaptive",
        })
    }
}

/// One choice: the arm and the probability with which it was chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    pub channel: SimChannel,
    pub hour: u8,
    pub propensity: f64,
}

/// What a logging policy is asked.
pub struct Ask<'a> {
    pub context: &'a Context,
    pub debtor: &'a str,
    pub channels: &'a [SimChannel],
    pub hours: &'a [u8],
    pub amount: f64,
}

/// A running logging policy: its own random stream and, for `adaptive`, the learner.
pub struct Logger {
    policy: LoggingPolicy,
    rng: SimRng,
    bandit: Option<Bandit>,
    /// The adaptive policy's last decision, waiting for its outcome.
    last: Option<DecisionId>,
}

impl Logger {
    pub fn new(policy: LoggingPolicy, seed: u64) -> anyhow::Result<Logger> {
        let bandit = match policy {
            LoggingPolicy::Adaptive => Some(Bandit::new(BanditParams::new().check()?, seed)),
            _ => None,
        };
        Ok(Logger { policy, rng: mahnwerk_models::sim::rng(seed ^ 0x10_6617), bandit, last: None })
    }

    /// Chooses an allowed arm.
    pub fn choose(&mut self, ask: &Ask<'_>) -> anyhow::Result<Choice> {
        let arms = ask.channels.len() * ask.hours.len();
        anyhow::ensure!(arms > 0, "a reminder without an allowed arm");
        match self.policy {
            LoggingPolicy::Uniform => {
                let arm = self.rng.gen_range(0..arms);
                Ok(Choice {
                    channel: ask.channels[arm / ask.hours.len()],
                    hour: ask.hours[arm % ask.hours.len()],
                    propensity: 1.0 / arms as f64,
                })
            }
            LoggingPolicy::Fixed => {
                let hour = ask.hours.iter().copied().find(|&h| h >= 10).unwrap_or(ask.hours[0]);
                Ok(Choice { channel: ask.channels[0], hour, propensity: 1.0 })
            }
            LoggingPolicy::Adaptive => {
                let bandit = self.bandit.as_mut().expect("an adaptive logger holds a bandit");
                let names: Vec<&str> = ask.channels.iter().map(|c| c.as_str()).collect();
                let request = Request::new(ask.context, &names, ask.hours)
                    .debtor(ask.debtor)
                    .amount_weight(if ask.amount > 0.0 { ask.amount } else { 1.0 });
                let decision = bandit.decide(&request)?;
                self.last = Some(decision.id);
                Ok(Choice {
                    channel: ask.channels[decision.channel_index],
                    hour: decision.hour,
                    propensity: decision.propensity,
                })
            }
        }
    }

    /// The outcome of the last choice: the adaptive policy learns from it, the others ignore it.
    pub fn outcome(&mut self, reward: f64) -> anyhow::Result<()> {
        if let (Some(bandit), Some(id)) = (self.bandit.as_mut(), self.last.take()) {
            bandit.outcome(id, reward)?;
        }
        Ok(())
    }
}
