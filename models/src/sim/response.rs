//! The ground truth: how likely a reminder on a channel, at an hour, at a stage, gets an invoice paid.
//!
//! `pay_probability = attention(channel) x hour factor x payer(stage) x persuasion(segment,
//! channel, stage) x drift`, capped at [`MAX_PAY_PROBABILITY`]. Attention and the hour profile
//! are personal (drawn per debtor); payer and persuasion are shared tables, so a learner can pool
//! across debtors but still has to personalise.
//!
//! The default model is the repository's original world. Two knobs make other worlds (see
//! [`worlds`](super::worlds)): [`HourEffect`] (how much the send hour matters) and [`Drift`] (a
//! channel that stops, or starts, working for a segment from some day on), so that a learner can
//! be checked on ground it was not tuned on.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::channel::SimChannel;
use super::debtor::{PayerType, Segment, SimDebtor};
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

/// How much the send hour matters. The hour factor of a push message is
/// `1 - min(1, 0.9 strength) (1 - profile^sharpness)`, of an email the same with 0.6 in place of
/// 0.9; letters only care about the postal collection time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HourEffect {
    /// `1.0` is the default world; `0.2` makes the hour hardly matter; above `1.1` the push
    /// channels' floor reaches zero. Range `[0, 2]`.
    pub strength: f64,
    /// Exponent on the debtor's hour profile: `1.0` is the default; `3.0` makes the peaks narrow,
    /// so that sending two hours off costs most of the effect. Range `[0.2, 8]`.
    pub sharpness: f64,
}

impl Default for HourEffect {
    fn default() -> Self {
        HourEffect { strength: 1.0, sharpness: 1.0 }
    }
}

/// A channel whose effect on a segment changes from one day on (an SMS sender blocked by the
/// carriers, a new WhatsApp template that works): its pay probability is multiplied by `factor`
/// from `from_day` on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub channel: SimChannel,
    /// `None`: every segment.
    pub segment: Option<Segment>,
    /// In days since the start of the simulation.
    pub from_day: f64,
    /// `0.0` stops the channel working, `1.0` changes nothing. Range `[0, 10]`.
    pub factor: f64,
}

/// The response model: the shared tables plus the world's [`HourEffect`] and [`Drift`]s. The
/// default is the repository's original world.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseModel {
    hours: HourEffect,
    drifts: Vec<Drift>,
}

impl ResponseModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// The same model with another [`HourEffect`] (values outside the ranges are clamped into them).
    pub fn with_hours(mut self, hours: HourEffect) -> Self {
        let clean =
            |x: f64, lo: f64, hi: f64, default: f64| if x.is_nan() { default } else { x.clamp(lo, hi) };
        self.hours = HourEffect {
            strength: clean(hours.strength, 0.0, 2.0, 1.0),
            sharpness: clean(hours.sharpness, 0.2, 8.0, 1.0),
        };
        self
    }

    /// The same model with one more [`Drift`] (a factor outside `[0, 10]` is clamped into it).
    pub fn with_drift(mut self, mut drift: Drift) -> Self {
        drift.factor = if drift.factor.is_nan() { 1.0 } else { drift.factor.clamp(0.0, 10.0) };
        self.drifts.push(drift);
        self
    }

    pub fn hours(&self) -> HourEffect {
        self.hours
    }

    pub fn drifts(&self) -> &[Drift] {
        &self.drifts
    }

    /// Probability in `[0, MAX_PAY_PROBABILITY]` that this reminder leads to payment within
    /// [`ATTRIBUTION_WINDOW_HOURS`], before any [`Drift`] (day 0). `stage` counts from 1 (0 is
    /// read as 1, anything above [`LAST_STAGE`] as `LAST_STAGE`). An hour outside `0..=23`
    /// reaches nobody and gives 0.
    pub fn pay_probability(&self, debtor: &SimDebtor, channel: SimChannel, local_hour: u8, stage: u8) -> f64 {
        self.pay_probability_on(debtor, channel, local_hour, stage, 0.0)
    }

    /// [`pay_probability`](Self::pay_probability) of a reminder sent on `day` (days since the
    /// start of the simulation), with the drifts that apply by then.
    pub fn pay_probability_on(
        &self,
        debtor: &SimDebtor,
        channel: SimChannel,
        local_hour: u8,
        stage: u8,
        day: f64,
    ) -> f64 {
        if local_hour > 23 {
            return 0.0;
        }
        let stage = stage_index(stage);
        let attention = debtor.attention.get(channel);
        let hour = self.hour_factor(debtor, channel, local_hour);
        let payer = PAYER_BY_STAGE[debtor.payer.index()][stage];
        let persuasion = PERSUASION[debtor.segment.index()][stage][channel.index()];
        let drift: f64 = self
            .drifts
            .iter()
            .filter(|d| {
                d.channel == channel && d.segment.is_none_or(|s| s == debtor.segment) && day >= d.from_day
            })
            .map(|d| d.factor)
            .product();
        let p = attention * hour * payer * persuasion * drift;
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
        self.respond_on(debtor, channel, local_hour, stage, 0.0, rng)
    }

    /// [`respond`](Self::respond) to a reminder sent on `day`: pays with exactly
    /// [`pay_probability_on`](Self::pay_probability_on).
    pub fn respond_on<R: Rng + ?Sized>(
        &self,
        debtor: &SimDebtor,
        channel: SimChannel,
        local_hour: u8,
        stage: u8,
        day: f64,
        rng: &mut R,
    ) -> Response {
        let p = self.pay_probability_on(debtor, channel, local_hour, stage, day);
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

impl ResponseModel {
    /// How much the send hour matters on each channel. Push messages (SMS, WhatsApp, Messenger)
    /// are seen when sent or buried by morning, so they follow the hour profile closely; an email
    /// waits in the inbox, so the hour matters less; a letter is read when it arrives, so only the
    /// postal collection time matters. With the default [`HourEffect`] this is `0.1 + 0.9
    /// profile` for push and `0.4 + 0.6 profile` for email.
    fn hour_factor(&self, debtor: &SimDebtor, channel: SimChannel, local_hour: u8) -> f64 {
        let profile = debtor.hour_profile[usize::from(local_hour)];
        let HourEffect { strength, sharpness } = self.hours;
        // Exactly the profile in the default world, so its figures do not move by rounding.
        let shaped = if sharpness == 1.0 { profile } else { profile.powf(sharpness) };
        // `floor` is the factor at the debtor's deadest hour in the default world.
        let follow = |floor: f64| {
            let floor = if strength == 1.0 { floor } else { 1.0 - ((1.0 - floor) * strength).min(1.0) };
            floor + (1.0 - floor) * shaped
        };
        match channel {
            SimChannel::Sms | SimChannel::Whatsapp | SimChannel::Messenger => follow(0.1),
            SimChannel::Email => follow(0.4),
            SimChannel::Letter if local_hour <= LAST_POST_HOUR => 1.0,
            SimChannel::Letter => 0.9,
        }
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
    fn drift_applies_from_its_day_to_its_segment_and_hours_can_be_flattened() {
        use crate::sim::{Population, SimConfig};
        let population =
            Population::generate(3, &SimConfig { debtors: 200, ..SimConfig::default() }).unwrap();
        let drift =
            Drift { channel: SimChannel::Sms, segment: Some(Segment::Consumer), from_day: 10.0, factor: 0.0 };
        let model = ResponseModel::new().with_drift(drift);
        let flat = ResponseModel::new().with_hours(HourEffect { strength: 0.0, sharpness: 1.0 });
        let plain = ResponseModel::new();
        for d in population.debtors() {
            let before = model.pay_probability_on(d, SimChannel::Sms, 19, 2, 9.9);
            assert_eq!(before, plain.pay_probability(d, SimChannel::Sms, 19, 2));
            let after = model.pay_probability_on(d, SimChannel::Sms, 19, 2, 10.0);
            match d.segment {
                Segment::Consumer => assert_eq!(after, 0.0),
                Segment::Business => assert_eq!(after, before),
            }
            let at = |h| flat.pay_probability(d, SimChannel::Whatsapp, h, 1);
            assert_eq!(at(3), at(19));
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
