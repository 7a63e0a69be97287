//! Versioned, serialisable model state: what a learner writes and every scheduler reloads.
//!
//! A snapshot holds the checked parameters, the posterior slots that differ from the prior (a
//! sparse list, so a young model is small), each debtor's own effects, the pending decisions, the
//! next decision id and the counters. It holds no random state: each process that loads it chooses its seed, and the same
//! snapshot and seed give the same decisions.

use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

use super::debtors::DebtorState;
use super::learner::{Bandit, BanditStats};
use super::pending::{Pending, PendingDecision};
use super::weights::Weights;
use super::{BanditError, BanditParams, DecisionId, ValidBanditParams};

/// The snapshot format this build writes. Version 2 moved the debtors' effects out of the hashed
/// slots into their own list. Version 1 is still read: its population weights and pending
/// decisions carry over, its per-debtor weights are left in slots nothing reads any more, and
/// every debtor starts again from the population.
pub const SNAPSHOT_VERSION: u32 = 2;

/// The oldest snapshot format this build reads.
const OLDEST_READABLE: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format version; [`Bandit::from_snapshot`] refuses one newer than [`SNAPSHOT_VERSION`] or
    /// older than version 1.
    pub version: u32,
    params: ValidBanditParams,
    stats: BanditStats,
    next_id: u64,
    /// Touched slots as three parallel arrays: slot index, posterior mean, data precision.
    slots: Vec<u32>,
    means: Vec<f32>,
    precisions: Vec<f32>,
    /// Per debtor (hash of the id): its effects' mean and covariance.
    #[serde(default)]
    debtors: Vec<(u64, DebtorState)>,
    pending: Vec<(DecisionId, PendingDecision)>,
}

impl Snapshot {
    pub fn params(&self) -> &ValidBanditParams {
        &self.params
    }

    pub fn stats(&self) -> BanditStats {
        self.stats
    }
}

impl Bandit {
    /// The whole learned state (not the random stream).
    pub fn snapshot(&self) -> Snapshot {
        let (mut slots, mut means, mut precisions) = (Vec::new(), Vec::new(), Vec::new());
        for (slot, mean, precision) in self.weights.touched() {
            slots.push(slot);
            means.push(mean);
            precisions.push(precision);
        }
        Snapshot {
            version: SNAPSHOT_VERSION,
            params: self.params.clone(),
            stats: self.stats,
            next_id: self.next_id,
            slots,
            means,
            precisions,
            debtors: {
                let mut debtors: Vec<(u64, DebtorState)> =
                    self.debtors.states().map(|(d, s)| (*d, s.clone())).collect();
                // Oldest first, so a snapshot of the same state is the same text.
                debtors.sort_by_key(|(_, s)| s.touched);
                debtors
            },
            pending: self.pending.iter().map(|(id, d)| (*id, d.clone())).collect(),
        }
    }

    /// Restores a bandit from `snapshot`, drawing from `seed`. The parameters are checked again,
    /// so a hand-edited snapshot cannot smuggle in a bad value.
    pub fn from_snapshot(snapshot: Snapshot, seed: u64) -> Result<Bandit, BanditError> {
        if !(OLDEST_READABLE..=SNAPSHOT_VERSION).contains(&snapshot.version) {
            return Err(BanditError::SnapshotVersion {
                found: snapshot.version,
                supported: SNAPSHOT_VERSION,
            });
        }
        let params = BanditParams::from(snapshot.params).check()?;
        let n = snapshot.slots.len();
        if snapshot.means.len() != n || snapshot.precisions.len() != n {
            return Err(BanditError::InvalidSnapshot("slots, means and precisions differ in length".into()));
        }
        let mut weights = Weights::new(&params);
        for ((&slot, &mean), &precision) in
            snapshot.slots.iter().zip(&snapshot.means).zip(&snapshot.precisions)
        {
            if slot as usize >= weights.len() {
                return Err(BanditError::InvalidSnapshot(format!("slot {slot} out of range")));
            }
            if !(mean.is_finite() && precision.is_finite() && precision >= 0.0) {
                return Err(BanditError::InvalidSnapshot(format!("slot {slot} holds {mean}, {precision}")));
            }
            weights.set(slot as usize, mean, precision);
        }
        if let Some((id, _)) = snapshot.pending.iter().find(|(id, _)| id.0 >= snapshot.next_id) {
            return Err(BanditError::InvalidSnapshot(format!("pending decision {id} is not below next_id")));
        }
        let pending: Pending = snapshot.pending.into_iter().collect();
        let mut bandit = Bandit::from_parts(params, weights, pending, snapshot.next_id, snapshot.stats, seed);
        let base = bandit.debtors.base();
        for (debtor, state) in snapshot.debtors {
            if !state.is_consistent(base) {
                return Err(BanditError::InvalidSnapshot(format!(
                    "debtor {debtor:#x} has an inconsistent state"
                )));
            }
            bandit.debtors.restore(debtor, state);
        }
        Ok(bandit)
    }
}
