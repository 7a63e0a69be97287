//! The oracle: the arm a policy would pick if it knew the ground truth, for measuring regret.

use super::channel::SimChannel;
use super::debtor::SimDebtor;
use super::response::ResponseModel;

/// A (channel, local hour) pair: what a policy chooses for one reminder.
pub type Arm = (SimChannel, u8);

impl ResponseModel {
    /// The allowed arm with the highest [`pay_probability`](Self::pay_probability), and that
    /// probability; `None` if nothing is allowed. Ties go to the smallest arm (channel in
    /// [`SimChannel::ALL`] order, then earliest hour), so the answer does not depend on the order
    /// of `allowed`.
    pub fn best_arm(&self, debtor: &SimDebtor, allowed: &[Arm], stage: u8) -> Option<(Arm, f64)> {
        self.best_arm_on(debtor, allowed, stage, 0.0)
    }

    /// [`best_arm`](Self::best_arm) for a reminder sent on `day`, with the model's drifts by then.
    pub fn best_arm_on(
        &self,
        debtor: &SimDebtor,
        allowed: &[Arm],
        stage: u8,
        day: f64,
    ) -> Option<(Arm, f64)> {
        allowed
            .iter()
            .map(|&(channel, hour)| {
                ((channel, hour), self.pay_probability_on(debtor, channel, hour, stage, day))
            })
            .reduce(|best, candidate| {
                let better = candidate.1.total_cmp(&best.1).then_with(|| best.0.cmp(&candidate.0));
                if better.is_gt() {
                    candidate
                } else {
                    best
                }
            })
    }

    /// The allowed arm with the highest pay probability, ties broken as in
    /// [`best_arm`](Self::best_arm).
    ///
    /// # Panics
    /// If `allowed` is empty. The pipeline always allows a letter; use `best_arm` where that is
    /// not guaranteed.
    pub fn oracle_arm(&self, debtor: &SimDebtor, allowed: &[Arm], stage: u8) -> Arm {
        self.best_arm(debtor, allowed, stage).expect("oracle_arm needs at least one allowed arm").0
    }
}

/// Every arm of `channels` x `hours`, channel-major: a convenient `allowed` set.
pub fn arms(channels: &[SimChannel], hours: impl IntoIterator<Item = u8> + Clone) -> Vec<Arm> {
    channels.iter().flat_map(|&c| hours.clone().into_iter().map(move |h| (c, h))).collect()
}
