//! The ground truth: how likely a reminder on a channel, at an hour, at a stage, gets an invoice paid.
//!
//! `pay_probability = attention(channel) x hour factor x payer(stage) x persuasion(segment,
//! channel, stage)`, capped at [`MAX_PAY_PROBABILITY`]. Attention and the hour profile are
//! personal (drawn per debtor); payer and persuasion are shared tables, so a learner can pool
//! across debtors but still has to personalise.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::channel::SimChannel;
use super::debtor::{PayerType, SimDebtor};
use super::invoice::SimInvoice;
use super::sample::truncated_exponential;

/// A payment counts for a reminder if it lands within this many hours of sending.
pub const ATTRIBUTION_WINDOW_HOURS: f64 = 72.0;

/// Even the best arm leaves some debtors unmoved (holidays, a lost letter).
pub const MAX_PAY_PROBABILITY: f64 = 0.95;

/// Stages beyond this behave like it (pre-collection notice).
pub const LAST_STAGE: u8 = 4;

/// Probability of paying once a reminder is noticed and persuasive, by payer type and stage
/// (columns: stage 1..=4). Slow payers respond to firmness, Struggling payers barely at all.
const PAYER_BY_STAGE: [[f64; 4]; 5] = [
    [0.85, 0.90, 0.90, 0.90], // Punctual: the rare unpaid invoice was an oversight
    [0.75, 0.75, 0.70, 0.70], // Forgetful
    [0.10, 0.25, 0.45, 0.60], // Slow
    [0.04, 0.07, 0.12, 0.18], // Struggling
    [0.00, 0.00, 0.00, 0.00], // Never
];

/// How convincing a noticed message on each channel is (columns: email, SMS, WhatsApp, Messenger,
/// letter), by segment and stage (rows: stage 1..=4). Within the 72 h window a letter loses a day
/// or two in the post, so it is weak early, but a formal letter is what late stages need.
/// Businesses pay from email and letters and find chat messages unserious.
const PERSUASION: [[[f64; 5]; 4]; 2] = [
    // Consumer
    [
        [0.85, 0.95, 1.00, 0.85, 0.45],
        [0.85, 0.90, 0.95, 0.80, 0.60],
        [0.80, 0.80, 0.85, 0.70, 0.90],
        [0.75, 0.70, 0.75, 0.60, 1.00],
    ],
    // Business
    [
        [1.00, 0.55, 0.50, 0.30, 0.70],
        [1.00, 0.55, 0.50, 0.30, 0.80],
        [0.95, 0.50, 0.45, 0.25, 1.00],
        [0.90, 0.45, 0.40, 0.20, 1.00],
    ],
];

/// Letters posted by this local hour leave with the day's mail; later ones lose a day.
const LAST_POST_HOUR: u8 = 15;

/// What a debtor does after one reminder, within the attribution window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "response")]
pub enum Response {
    /// Pays this many hours after the reminder was sent, in `0..72`.
    Pays {
        after_hours: f64,
    },
    Ignores,
}

/// The response model. Holds no state today; it is a value so that the ground truth can become
/// configurable later without changing call sites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseModel {
    _private: (),
}

impl ResponseModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Probability in `[0, MAX_PAY_PROBABILITY]` that this reminder leads to payment within
    /// [`ATTRIBUTION_WINDOW_HOURS`]. `stage` counts from 1 (0 is read as 1, anything above
    /// [`LAST_STAGE`] as `LAST_STAGE`). An hour outside `0..=23` reaches nobody and gives 0.
    pub fn pay_probability(&self, debtor: &SimDebtor, channel: SimChannel, local_hour: u8, stage: u8) -> f64 {
        if local_hour > 23 {
            return 0.0;
        }
        let stage = stage_index(stage);
        let attention = debtor.attention.get(channel);
        let hour = hour_factor(debtor, channel, local_hour);
        let payer = PAYER_BY_STAGE[debtor.payer.index()][stage];
        let persuasion = PERSUASION[debtor.segment.index()][stage][channel.index()];
        let p = attention * hour * payer * persuasion;
        // Debtor fields are public; a hand-built debtor with NaN or out-of-range values must not
        // leak an impossible probability.
        if p.is_nan() {
            0.0
        } else {
            p.clamp(0.0, MAX_PAY_PROBABILITY)
        }
    }

    /// Draws whether this reminder gets paid, and if so how many hours after sending. Pays with
    /// exactly [`pay_probability`](Self::pay_probability).
    pub fn respond<R: Rng + ?Sized>(
        &self,
        debtor: &SimDebtor,
        channel: SimChannel,
        local_hour: u8,
        stage: u8,
        rng: &mut R,
    ) -> Response {
        let p = self.pay_probability(debtor, channel, local_hour, stage);
        if rng.gen::<f64>() < p {
            Response::Pays { after_hours: payment_delay_hours(channel, rng) }
        } else {
            Response::Ignores
        }
    }

    /// The day, counted in days after `invoice.due_day`, on which the debtor pays with no reminder
    /// at all, or `None` if never. `Some(0)` means on or before the due day. Punctual debtors
    /// mostly pay by then; others occasionally remember on their own, weeks later. An invoice
    /// much larger than the debtor's usual makes everyone a little slower to pay unprompted.
    pub fn unprompted_payment_day<R: Rng + ?Sized>(
        &self,
        debtor: &SimDebtor,
        invoice: &SimInvoice,
        rng: &mut R,
    ) -> Option<u32> {
        let (chance, on_time_share, late_days) = match debtor.payer {
            PayerType::Punctual => (0.90, 0.70, 1..=5),
            PayerType::Forgetful => (0.15, 0.0, 7..=30),
            PayerType::Slow => (0.25, 0.0, 10..=45),
            PayerType::Struggling => (0.10, 0.0, 20..=90),
            PayerType::Never => return None,
        };
        let unusually_large = invoice.amount_cents > 2 * debtor.amount_scale_cents;
        let chance = if unusually_large { chance * 0.8 } else { chance };
        if !rng.gen_bool(chance) {
            return None;
        }
        if on_time_share > 0.0 && rng.gen_bool(on_time_share) {
            return Some(0);
        }
        Some(rng.gen_range(late_days))
    }
}

/// Row of the stage tables for a 1-based stage.
fn stage_index(stage: u8) -> usize {
    usize::from(stage.clamp(1, LAST_STAGE)) - 1
}

/// How much the send hour matters on each channel. Push messages (SMS, WhatsApp, Messenger) are
/// seen when sent or buried by morning, so they follow the hour profile closely; an email waits
/// in the inbox, so the hour matters less; a letter is read when it arrives, so only the postal
/// collection time matters.
fn hour_factor(debtor: &SimDebtor, channel: SimChannel, local_hour: u8) -> f64 {
    let profile = debtor.hour_profile[usize::from(local_hour)];
    match channel {
        SimChannel::Sms | SimChannel::Whatsapp | SimChannel::Messenger => 0.1 + 0.9 * profile,
        SimChannel::Email => 0.4 + 0.6 * profile,
        SimChannel::Letter if local_hour <= LAST_POST_HOUR => 1.0,
        SimChannel::Letter => 0.9,
    }
}

/// Hours from sending to payment, given that payment happens within the window: push messages
/// are acted on within hours, emails within the day, letters after one to two days in the post.
fn payment_delay_hours<R: Rng + ?Sized>(channel: SimChannel, rng: &mut R) -> f64 {
    let (transit, mean) = match channel {
        SimChannel::Sms | SimChannel::Whatsapp => (0.0, 3.0),
        SimChannel::Messenger => (0.0, 5.0),
        SimChannel::Email => (0.0, 10.0),
        SimChannel::Letter => (rng.gen_range(18.0..44.0), 12.0),
    };
    transit + truncated_exponential(rng, mean, ATTRIBUTION_WINDOW_HOURS - transit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng;

    #[test]
    fn delays_stay_in_the_window_and_letters_are_slow() {
        let mut r = rng(11);
        for channel in SimChannel::ALL {
            let delays: Vec<f64> = (0..5_000).map(|_| payment_delay_hours(channel, &mut r)).collect();
            assert!(delays.iter().all(|d| (0.0..ATTRIBUTION_WINDOW_HOURS).contains(d)));
            let mean = delays.iter().sum::<f64>() / delays.len() as f64;
            if channel == SimChannel::Letter {
                assert!(delays.iter().all(|&d| d >= 18.0));
                assert!(mean > 30.0, "{mean}");
            } else {
                assert!(mean < 12.0, "{channel}: {mean}");
            }
        }
    }

    #[test]
    fn stages_are_one_based_and_capped() {
        assert_eq!(stage_index(0), 0);
        assert_eq!(stage_index(1), 0);
        assert_eq!(stage_index(4), 3);
        assert_eq!(stage_index(200), 3);
    }

    #[test]
    fn tables_hold_probabilities() {
        let all = PAYER_BY_STAGE.iter().flatten().chain(PERSUASION.iter().flatten().flatten());
        for &p in all {
            assert!((0.0..=1.0).contains(&p));
        }
    }
}
