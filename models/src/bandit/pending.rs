//! Decisions whose outcome has not arrived yet: what the update will need, kept until the outcome
//! comes (in any order), the entry expires, or the store is full.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::features::Encoded;
use super::DecisionId;

/// Enough to rebuild the chosen arm's features: the hashed context, the debtor, the arm. Hashes,
/// not slots, so the entry does not depend on the table size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PendingDecision {
    pub(crate) at: u64,
    pub(crate) ctx: Vec<(u64, f32)>,
    pub(crate) debtor: Option<u64>,
    pub(crate) channel: u64,
    pub(crate) hour: u8,
}

impl PendingDecision {
    pub(crate) fn new(at: u64, enc: &Encoded, channel: u64, hour: u8) -> Self {
        PendingDecision { at, ctx: enc.ctx.clone(), debtor: enc.debtor, channel, hour }
    }

    pub(crate) fn encoded(self) -> (Encoded, u64, u8) {
        (Encoded { ctx: self.ctx, debtor: self.debtor }, self.channel, self.hour)
    }
}

/// Pending decisions by id. Ids grow with time, so the first entry is the oldest.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Pending {
    entries: BTreeMap<DecisionId, PendingDecision>,
}

impl Pending {
    /// Holds `decision`; if that makes more than `max`, drops the oldest and returns 1.
    pub(crate) fn insert(&mut self, id: DecisionId, decision: PendingDecision, max: usize) -> u64 {
        self.entries.insert(id, decision);
        let mut dropped = 0;
        while self.entries.len() > max {
            self.entries.pop_first();
            dropped += 1;
        }
        dropped
    }

    pub(crate) fn take(&mut self, id: DecisionId) -> Option<PendingDecision> {
        self.entries.remove(&id)
    }

    /// Drops every entry made at or before `now - ttl`; returns how many.
    pub(crate) fn expire(&mut self, now: u64, ttl: u64) -> usize {
        let Some(cutoff) = now.checked_sub(ttl) else { return 0 };
        let before = self.entries.len();
        self.entries.retain(|_, d| d.at > cutoff);
        before - self.entries.len()
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
        Pending { entries: iter.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: u64) -> PendingDecision {
        PendingDecision { at: t, ctx: vec![], debtor: None, channel: 0, hour: 9 }
    }

    #[test]
    fn the_oldest_goes_first_when_full() {
        let mut p = Pending::default();
        assert_eq!(p.insert(DecisionId(1), at(0), 2), 0);
        assert_eq!(p.insert(DecisionId(2), at(0), 2), 0);
        assert_eq!(p.insert(DecisionId(3), at(0), 2), 1);
        assert!(p.take(DecisionId(1)).is_none());
        assert!(p.take(DecisionId(3)).is_some());
    }

    #[test]
    fn expiry_keeps_what_is_younger_than_the_ttl() {
        let mut p = Pending::default();
        p.insert(DecisionId(1), at(100), 10);
        p.insert(DecisionId(2), at(150), 10);
        assert_eq!(p.expire(199, 100), 0);
        assert_eq!(p.expire(200, 100), 1);
        assert_eq!(p.len(), 1);
        assert_eq!(p.expire(u64::MAX, u64::MAX), 0);
    }
}
