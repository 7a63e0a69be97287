//! Decisions whose outcome has not been learned from yet: what the update will need, kept until
//! the outcome comes (in any order) and every older decision's has come too, or the entry
//! expires, or the store is full.
//!
//! # Why outcomes wait for older ones
//! A payment is known within hours of a push message, a miss only when the attribution window
//! closes, 72 hours later. Learned in the order they arrive, an arm that has just started to be
//! tried shows its payments days before its misses, looks better than it is, is chosen more,
//! which brings more early payments: the estimates swing, and more so the more decisions fall
//! into one window. On the benchmark world with 4,000 debtors (about 860 decisions per window)
//! this cost the learner 3 points of payment rate against the same learner fed every outcome
//! after the same fixed delay. So an outcome is held until every older decision has its outcome
//! (then they are learned in decision order), or until the older one without an outcome is more
//! than `reorder_window` decisions old, when it stops holding the others up (an outcome that
//! never comes must not stop learning).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::features::Encoded;
use super::DecisionId;

/// Enough to rebuild the chosen arm's features: the hashed context, the debtor, the arm. Hashes,
/// not slots, so the entry does not depend on the table size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PendingDecision {
    pub(crate) at: u64,
    /// The outcome, once reported, while older decisions are still waiting for theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reward: Option<f64>,
    pub(crate) ctx: Vec<(u64, f32)>,
    pub(crate) debtor: Option<u64>,
    pub(crate) channel: u64,
    pub(crate) hour: u8,
}

impl PendingDecision {
    pub(crate) fn new(at: u64, enc: &Encoded, channel: u64, hour: u8) -> Self {
        PendingDecision { at, reward: None, ctx: enc.ctx.clone(), debtor: enc.debtor, channel, hour }
    }

    pub(crate) fn encoded(self) -> (Encoded, u64, u8) {
        (Encoded { ctx: self.ctx, debtor: self.debtor }, self.channel, self.hour)
    }
}

/// What [`Pending::resolve`] did with an outcome.
#[derive(Debug, PartialEq)]
pub(crate) enum Resolved {
    /// No such decision waiting (never made, already learned from, expired or evicted).
    Unknown,
    /// Held until older decisions have theirs; [`Pending::pop_ready`] hands it out.
    Held,
    /// Its decision no longer waits for older ones: learn from it now.
    Now(PendingDecision),
}

/// Pending decisions by id. Ids grow with time, so the first entry is the oldest.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Pending {
    entries: BTreeMap<DecisionId, PendingDecision>,
    /// Decisions below this id no longer hold later outcomes up (see the module docs).
    cursor: DecisionId,
}

impl Pending {
    /// Holds `decision`; if that makes more than `max`, removes and returns the oldest (whose
    /// outcome, if it has one, the caller still learns from).
    pub(crate) fn insert(
        &mut self,
        id: DecisionId,
        decision: PendingDecision,
        max: usize,
    ) -> Option<PendingDecision> {
        self.entries.insert(id, decision);
        if self.entries.len() > max {
            self.entries.pop_first().map(|(_, d)| d)
        } else {
            None
        }
    }

    /// Records the outcome of decision `id`.
    pub(crate) fn resolve(&mut self, id: DecisionId, reward: f64) -> Resolved {
        match self.entries.get_mut(&id) {
            None => Resolved::Unknown,
            Some(d) if d.reward.is_some() => Resolved::Unknown,
            Some(_) if id < self.cursor => {
                let mut d = self.entries.remove(&id).expect("found above");
                d.reward = Some(reward);
                Resolved::Now(d)
            }
            Some(d) => {
                d.reward = Some(reward);
                Resolved::Held
            }
        }
    }

    /// The oldest held outcome that nothing older holds up any more, removed: every decision
    /// before it has its outcome, or was made more than `window` decisions before `next_id`.
    pub(crate) fn pop_ready(&mut self, next_id: DecisionId, window: u64) -> Option<PendingDecision> {
        loop {
            let (&id, d) = self.entries.range(self.cursor..).next()?;
            if d.reward.is_some() {
                return self.entries.remove(&id);
            }
            if next_id.0.saturating_sub(id.0) > window {
                self.cursor = DecisionId(id.0 + 1);
            } else {
                return None;
            }
        }
    }

    /// Removes and returns every entry made at or before `now - ttl`.
    pub(crate) fn expire(&mut self, now: u64, ttl: u64) -> Vec<PendingDecision> {
        let Some(cutoff) = now.checked_sub(ttl) else { return Vec::new() };
        let old: Vec<DecisionId> =
            self.entries.iter().filter(|(_, d)| d.at <= cutoff).map(|(id, _)| *id).collect();
        old.iter().filter_map(|id| self.entries.remove(id)).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&DecisionId, &PendingDecision)> {
        self.entries.iter()
    }
}

impl FromIterator<(DecisionId, PendingDecision)> for Pending {
    fn from_iter<I: IntoIterator<Item = (DecisionId, PendingDecision)>>(iter: I) -> Self {
        Pending { entries: iter.into_iter().collect(), cursor: DecisionId(0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: u64) -> PendingDecision {
        PendingDecision { at: t, reward: None, ctx: vec![], debtor: None, channel: 0, hour: 9 }
    }

    #[test]
    fn the_oldest_goes_first_when_full() {
        let mut p = Pending::default();
        assert!(p.insert(DecisionId(1), at(0), 2).is_none());
        assert!(p.insert(DecisionId(2), at(0), 2).is_none());
        assert!(p.insert(DecisionId(3), at(0), 2).is_some());
        assert_eq!(p.resolve(DecisionId(1), 1.0), Resolved::Unknown);
        assert_eq!(p.resolve(DecisionId(3), 1.0), Resolved::Held);
    }

    #[test]
    fn expiry_keeps_what_is_younger_than_the_ttl() {
        let mut p = Pending::default();
        p.insert(DecisionId(1), at(100), 10);
        p.insert(DecisionId(2), at(150), 10);
        assert_eq!(p.expire(199, 100).len(), 0);
        assert_eq!(p.expire(200, 100).len(), 1);
        assert_eq!(p.len(), 1);
        assert_eq!(p.expire(u64::MAX, u64::MAX).len(), 0);
    }

    #[test]
    fn outcomes_come_out_in_decision_order_and_a_missing_one_holds_up_only_so_long() {
        let mut p = Pending::default();
        for id in 1..=4 {
            p.insert(DecisionId(id), at(0), 10);
        }
        let next = DecisionId(5);
        assert_eq!(p.resolve(DecisionId(3), 1.0), Resolved::Held);
        assert_eq!(p.resolve(DecisionId(2), 0.0), Resolved::Held);
        assert!(p.pop_ready(next, 10).is_none(), "1 has no outcome yet");
        assert_eq!(p.resolve(DecisionId(1), 0.0), Resolved::Held);
        let order: Vec<Option<f64>> =
            std::iter::from_fn(|| p.pop_ready(next, 10)).map(|d| d.reward).collect();
        assert_eq!(order, [Some(0.0), Some(0.0), Some(1.0)]);
        // 4 never gets its outcome; 5 and 6 do. Within the window they wait, beyond it they go.
        p.insert(DecisionId(5), at(0), 10);
        p.insert(DecisionId(6), at(0), 10);
        assert_eq!(p.resolve(DecisionId(6), 1.0), Resolved::Held);
        assert!(p.pop_ready(DecisionId(7), 3).is_none());
        assert_eq!(p.pop_ready(DecisionId(8), 3).map(|d| d.reward), None, "5 still holds 6 up");
        assert_eq!(p.resolve(DecisionId(5), 0.0), Resolved::Held);
        assert_eq!(p.pop_ready(DecisionId(8), 3).map(|d| d.reward), Some(Some(0.0)));
        assert_eq!(p.pop_ready(DecisionId(8), 3).map(|d| d.reward), Some(Some(1.0)));
        // 4, passed over, is learned from at once should its outcome still come.
        assert!(matches!(p.resolve(DecisionId(4), 1.0), Resolved::Now(_)));
        assert_eq!(p.resolve(DecisionId(4), 1.0), Resolved::Unknown);
    }
}
