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
//! - `informed`: a policy that knows each debtor as the simulator does (its ground truth, which
//!   no model sees): the reminder's best arm with probability `1 - explore`, otherwise any
//!   allowed arm alike, logging that exact propensity. The log a creditor's own rules of thumb,
//!   or a human collector, leave behind: it chose on what the model cannot see, the case
//!   `mahnwerk-train fit --importance-weights` is for (docs/analysts.md).

use std::fmt;
use std::str::FromStr;

use linfa::ParamGuard;
use mahnwerk_models::bandit::{Bandit, BanditParams, Context, DecisionId, Request};
use mahnwerk_models::sim::{SimChannel, SimRng};
use rand::Rng;

/// Which policy writes the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoggingPolicy {
    Uniform,
    Fixed,
    Adaptive,
    /// Knows each debtor's true pay rates; explores uniformly with probability `explore`.
    Informed {
        explore: f64,
    },
}

/// `informed`'s exploration share unless `informed:<share>` says otherwise.
pub const INFORMED_EXPLORE: f64 = 0.2;

impl LoggingPolicy {
    /// The log's `policy_version` for decisions of this policy. `uniform-v1` is the simulator's
    /// own: the service never writes it.
    pub fn version(self) -> &'static str {
        match self {
            LoggingPolicy::Uniform => "uniform-v1",
            LoggingPolicy::Fixed => "fixed-v1",
            LoggingPolicy::Adaptive => "bandit-v0",
            LoggingPolicy::Informed { .. } => "informed-v1",
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
            "informed" => Ok(LoggingPolicy::Informed { explore: INFORMED_EXPLORE }),
            other => match other.strip_prefix("informed:") {
                Some(share) => {
                    let explore: f64 = share.parse().map_err(|_| {
                        anyhow::anyhow!("--policy: informed:{share}: the exploration share is not a number")
                    })?;
                    anyhow::ensure!(
                        (0.0..=1.0).contains(&explore),
                        "--policy: informed:{share}: the exploration share must be between 0 and 1"
                    );
                    Ok(LoggingPolicy::Informed { explore })
                }
                None => anyhow::bail!(
                    "--policy: unknown policy {other:?}, expected uniform, fixed, adaptive, informed or informed:<share>"
                ),
            },
        }
    }
}

impl fmt::Display for LoggingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoggingPolicy::Uniform => f.write_str("uniform"),
            LoggingPolicy::Fixed => f.write_str("fixed"),
            LoggingPolicy::Adaptive => f.write_str("adaptive"),
            LoggingPolicy::Informed { explore } => write!(f, "informed:{explore}"),
        }
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
    /// Each arm's true pay rate, channel-major like the arms (`channels × hours`): only the
    /// `informed` policy reads it.
    pub truth: &'a [f64],
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
            LoggingPolicy::Informed { explore } => {
                anyhow::ensure!(ask.truth.len() == arms, "the informed policy needs each arm's pay rate");
                let best = (0..arms).max_by(|a, b| ask.truth[*a].total_cmp(&ask.truth[*b])).unwrap_or(0);
                let explored = self.rng.gen::<f64>() < explore;
                let arm = if explored { self.rng.gen_range(0..arms) } else { best };
                let uniform = explore / arms as f64;
                let propensity = if arm == best { 1.0 - explore + uniform } else { uniform };
                Ok(Choice {
                    channel: ask.channels[arm / ask.hours.len()],
                    hour: ask.hours[arm % ask.hours.len()],
                    propensity,
                })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn informed_is_named_with_or_without_its_share_and_a_bad_share_names_the_option() {
        assert_eq!("informed".parse::<LoggingPolicy>().unwrap(), LoggingPolicy::Informed { explore: 0.2 });
        assert_eq!(
            "informed:0.05".parse::<LoggingPolicy>().unwrap(),
            LoggingPolicy::Informed { explore: 0.05 }
        );
        for bad in ["informed:", "informed:x", "informed:1.5", "informed:-0.1", "oracle"] {
            let error = bad.parse::<LoggingPolicy>().unwrap_err().to_string();
            assert!(error.starts_with("--policy"), "{bad}: {error}");
        }
        assert_eq!(LoggingPolicy::Informed { explore: 0.05 }.to_string(), "informed:0.05");
    }

    /// The informed policy takes the truly best arm unless it explores, and logs exactly the
    /// probability of what it took: over many draws the best arm's share is its propensity.
    #[test]
    fn the_informed_policy_logs_the_probability_it_chose_with() {
        let explore = 0.3;
        let mut logger = Logger::new(LoggingPolicy::Informed { explore }, 5).unwrap();
        let context = Context::new();
        let channels = [SimChannel::Email, SimChannel::Sms];
        let hours = [9, 14];
        let truth = [0.1, 0.2, 0.4, 0.3]; // the best: SMS at 9
        let ask = Ask {
            context: &context,
            debtor: "t/d",
            channels: &channels,
            hours: &hours,
            amount: 1.0,
            truth: &truth,
        };
        let draws = 20_000;
        let mut best = 0;
        for _ in 0..draws {
            let choice = logger.choose(&ask).unwrap();
            if (choice.channel, choice.hour) == (SimChannel::Sms, 9) {
                best += 1;
                assert!((choice.propensity - (1.0 - explore + explore / 4.0)).abs() < 1e-12);
            } else {
                assert!((choice.propensity - explore / 4.0).abs() < 1e-12);
            }
        }
        let share = f64::from(best) / f64::from(draws);
        assert!((share - 0.775).abs() < 0.02, "the best arm's share {share}");
        let no_truth = Ask { truth: &[], ..ask };
        assert!(logger.choose(&no_truth).is_err(), "without the truth it refuses");
    }
}
