//! The choice of channel and local hour for one reminder. A [`Policy`] only ever sees the
//! channels and hours that are allowed for this debtor right now (reachable, consented, within
//! the plan's stage, outside quiet hours), and must answer with one of them and the probability
//! with which it chose it (the logged propensity the learner needs later).

use crate::domain::{ChannelKind, PolicyVersion};
use serde_json::{Map, Value};

/// What the policy is asked.
#[derive(Debug, Clone)]
pub struct DecisionRequest<'a> {
    /// The debtor's key across tenants, `tenant/debtor-id`: what personal learning is keyed by.
    pub debtor: &'a str,
    /// Numeric and categorical features: stage, amount, days overdue, segment, language, …
    pub context: &'a Map<String, Value>,
    /// Allowed channels, in the plan's order of preference. Never empty.
    pub channels: &'a [ChannelKind],
    /// Allowed local hours (0-23). Never empty.
    pub hours: &'a [u8],
    /// The open amount, for a cost-aware objective (`P(pay) x amount - lambda x cost`).
    pub amount: f64,
    /// Whether this is the plan's last stage: no later reminder follows if this one is not
    /// paid, so the whole open amount is at stake (see `[learn] earlier_stage_share`).
    pub last_stage: bool,
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub channel: ChannelKind,
    pub hour: u8,
    /// Probability with which this (channel, hour) was chosen.
    pub propensity: f64,
    /// The model that decided, recorded with the reminder so its outcome can be traced to it.
    /// Part of the answer, not a separate call: a policy that reloads between two calls must not
    /// log one version for another's decision.
    pub policy_version: PolicyVersion,
}

pub trait Policy: Send + Sync + 'static {
    /// The version decisions are made with right now (for reports and logs).
    fn version(&self) -> PolicyVersion;

    fn decide(&self, request: &DecisionRequest<'_>) -> Decision;
}

/// The plan's first allowed channel at 10:00 local time (or the first allowed hour after it):
/// what a fixed dunning schedule does, and the baseline the adaptive policy is measured against.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedPolicy;

impl FixedPolicy {
    pub const HOUR: u8 = 10;
}

impl Policy for FixedPolicy {
    fn version(&self) -> PolicyVersion {
        PolicyVersion::fixed()
    }

    fn decide(&self, request: &DecisionRequest<'_>) -> Decision {
        let hour = request
            .hours
            .iter()
            .copied()
            .find(|&h| h >= Self::HOUR)
            .or_else(|| request.hours.first().copied())
            .unwrap_or(Self::HOUR);
        let channel = request.channels.first().copied().unwrap_or(ChannelKind::Email);
        Decision { channel, hour, propensity: 1.0, policy_version: self.version() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_policy_takes_first_channel_at_ten() {
        let context = Map::new();
        let request = DecisionRequest {
            debtor: "C-1",
            context: &context,
            channels: &[ChannelKind::Sms, ChannelKind::Email],
            hours: &[8, 9, 10, 11, 18],
            amount: 10.0,
            last_stage: false,
        };
        let d = FixedPolicy.decide(&request);
        assert_eq!((d.channel, d.hour, d.propensity), (ChannelKind::Sms, 10, 1.0));
        let late = DecisionRequest { hours: &[18, 19], ..request };
        assert_eq!(FixedPolicy.decide(&late).hour, 18);
    }
}
