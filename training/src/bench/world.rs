//! One benchmark world: which reminders are sent when (the script), what the creditor knows
//! about each, and how the simulated debtor answers, with the same random numbers for every policy.
//!
//! # Why a fixed script of recurring debtors
//! Each round is one reminder: a debtor drawn uniformly from the population, a dunning stage, an
//! amount scattered around the debtor's usual invoice, and a point in time. Rounds are spread
//! evenly so that each debtor is reminded about every [`REMINDER_INTERVAL_DAYS`] on average (a
//! recurring customer of a utility or telco with a monthly invoice and a few stages each); the
//! default 1000 debtors and 20 000 rounds are about 20 reminders per debtor over nine months.
//!
//! The alternative, walking each invoice through stages 1..4 until it is paid, was rejected for
//! the benchmark: there the questions a policy is asked depend on its earlier answers. A policy
//! that collects at stage 1 is never asked about stage 3, so its per-reminder payment rate counts
//! other, harder reminders than a weaker policy's, the rates stop being comparable, and the
//! common random numbers are lost at the first payment the policies disagree on. A fixed script
//! asks every policy exactly the same questions, so a difference in payments is the policy's
//! alone. What it gives up: a real creditor would stop reminding about a paid invoice; here each
//! round is read as a reminder about one of the debtor's recurring invoices, so the debtor keeps
//! coming back, which is the case that personalisation is for.
//!
//! Stages follow the attrition of a dunning book ([`STAGE_WEIGHTS`]: many first reminders, few
//! pre-collection notices), not the uniform mix of the models crate's quick test.
//!
//! # Time and delayed outcomes
//! Round `r` happens at hour `r * hours_per_round`. The reminder leaves at the next occurrence of
//! the chosen local hour (the scheduler plans ahead), a payment lands `after_hours` later (drawn
//! by the response model: hours for push messages, days for letters), and an unpaid reminder's
//! reward 0 is known only when the 72 h attribution window closes. The policy learns each
//! outcome at the first round at or after that moment, so outcomes arrive 0 to 96 hours (about
//! 290 rounds at the default sizes) late and out of order.
//!
//! # Common random numbers
//! The script comes from one stream of the seed, and round `r`'s answer from its own stream
//! `(seed, r)`: whichever arm a policy picks, the uniform that decides payment is the same, so a
//! policy that picks an arm with a higher pay probability is paid whenever a worse one would be.

use anyhow::Context as _;
use mahnwerk_models::sim::{
    self, rng, AgeGroup, Population, Response, Segment, SimChannel, SimConfig, SimDebtor,
    ATTRIBUTION_WINDOW_HOURS,
};

use super::draw::Draw;

/// On average each debtor is reminded every this many days.
pub const REMINDER_INTERVAL_DAYS: f64 = 14.0;

/// Share of reminders at stages 1..=4.
pub const STAGE_WEIGHTS: [f64; 4] = [0.4, 0.3, 0.2, 0.1];

/// The local hours a reminder may be sent at (quiet hours outside).
pub const HOURS: [u8; 13] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

/// Cost in EUR of one message per channel: bulk email, an SMS segment, a WhatsApp utility
/// template, Messenger (free within the 24 h window, otherwise not allowed), a printed and
/// posted letter. Fixed here for the benchmark; configurable later.
pub const COST_EUR: [(SimChannel, f64); 5] = [
    (SimChannel::Email, 0.001),
    (SimChannel::Sms, 0.075),
    (SimChannel::Whatsapp, 0.06),
    (SimChannel::Messenger, 0.0),
    (SimChannel::Letter, 1.20),
];

pub fn cost_eur(channel: SimChannel) -> f64 {
    COST_EUR.iter().find(|(c, _)| *c == channel).map_or(0.0, |&(_, eur)| eur)
}

/// What the creditor knows when it sends a reminder. The hidden traits (payer type, attention,
/// hour profile) are not here.
#[derive(Debug, Clone)]
pub struct Facts {
    pub debtor_id: String,
    pub segment: Segment,
    /// Creditors of consumers usually hold a date of birth (contracts, credit checks).
    pub age_group: Option<AgeGroup>,
    pub country: String,
    pub language: String,
    pub stage: u8,
    pub days_overdue: u32,
    pub amount_eur: f64,
    /// The channels the creditor holds a contact for, in [`SimChannel::ALL`] order.
    pub channels: Vec<SimChannel>,
}

/// One round of the script.
#[derive(Debug, Clone)]
pub struct Reminder {
    pub debtor: usize,
    pub at_hours: f64,
    pub facts: Facts,
}

/// A population and the reminders sent to it.
pub struct World {
    seed: u64,
    population: Population,
    script: Vec<Reminder>,
    hours_per_round: f64,
}

impl World {
    /// The script of `rounds` reminders in the named world ([`sim::World`]), with its own number
    /// of debtors unless `debtors` overrides it.
    pub fn new(
        seed: u64,
        rounds: usize,
        world: &sim::World,
        debtors: Option<usize>,
    ) -> anyhow::Result<World> {
        let config = SimConfig { debtors: debtors.unwrap_or(world.config.debtors), ..world.config.clone() };
        let debtors = config.debtors;
        let population = Population::generate_with(seed, &config, world.model.clone())
            .context("generating the population")?;
        let hours_per_round = 24.0 * REMINDER_INTERVAL_DAYS / debtors as f64;
        let mut draw = Draw::new(seed ^ 0x5c21_7000);
        let script = (0..rounds)
            .map(|r| {
                let index = draw.below(debtors);
                let debtor = &population.debtors()[index];
                Reminder {
                    debtor: index,
                    at_hours: r as f64 * hours_per_round,
                    facts: facts(debtor, config.amount_factor, &mut draw),
                }
            })
            .collect();
        Ok(World { seed, population, script, hours_per_round })
    }

    pub fn debtors(&self) -> usize {
        self.population.debtors().len()
    }

    /// The day (since the start) on which round `round`'s reminder leaves at local `hour`: the
    /// next occurrence of that hour, as the scheduler plans it.
    pub fn send_day(&self, round: usize, hour: u8) -> f64 {
        let at = self.script[round].at_hours;
        let wait = (f64::from(hour) - at.rem_euclid(24.0)).rem_euclid(24.0);
        (at + wait) / 24.0
    }

    pub fn population(&self) -> &Population {
        &self.population
    }

    pub fn script(&self) -> &[Reminder] {
        &self.script
    }

    pub fn debtor(&self, reminder: &Reminder) -> &SimDebtor {
        &self.population.debtors()[reminder.debtor]
    }

    /// How round `round`'s reminder on `channel` at local `hour` is answered, and the round at
    /// which the policy learns the outcome.
    pub fn answer(&self, round: usize, channel: SimChannel, hour: u8) -> (Response, usize) {
        let reminder = &self.script[round];
        let mut rng = rng(self.seed ^ 0x0a45_3e00);
        rng.set_stream(round as u64);
        let debtor = self.debtor(reminder);
        let day = self.send_day(round, hour);
        let response =
            self.population.model().respond_on(debtor, channel, hour, reminder.facts.stage, day, &mut rng);
        let hour_of_day = reminder.at_hours.rem_euclid(24.0);
        let wait = (f64::from(hour) - hour_of_day).rem_euclid(24.0);
        let known_after = match response {
            Response::Pays { after_hours } => after_hours,
            Response::Ignores => ATTRIBUTION_WINDOW_HOURS,
        };
        let known_at = reminder.at_hours + wait + known_after;
        (response, (known_at / self.hours_per_round).ceil() as usize)
    }

    /// The probability that round `round`'s reminder on this arm gets paid (for expected rates).
    pub fn pay_probability(&self, round: usize, channel: SimChannel, hour: u8) -> f64 {
        let reminder = &self.script[round];
        let day = self.send_day(round, hour);
        self.population.model().pay_probability_on(
            self.debtor(reminder),
            channel,
            hour,
            reminder.facts.stage,
            day,
        )
    }
}

fn facts(debtor: &SimDebtor, amount_factor: f64, draw: &mut Draw) -> Facts {
    let mut x = draw.unit();
    let mut stage = 4;
    for (s, w) in STAGE_WEIGHTS.iter().enumerate() {
        if x < *w {
            stage = s as u8 + 1;
            break;
        }
        x -= w;
    }
    // A reminder every two weeks after the first, a week after the due day.
    let days_overdue = 7 + 14 * (u32::from(stage) - 1) + draw.below(7) as u32;
    let (low, high) = match debtor.segment {
        Segment::Consumer => (20.0 * amount_factor, 500.0 * amount_factor),
        Segment::Business => (200.0 * amount_factor, 20_000.0 * amount_factor),
    };
    // Invoices scatter log-normally around the debtor's usual amount (Box-Muller).
    let z = (-2.0 * (1.0 - draw.unit()).ln()).sqrt() * (std::f64::consts::TAU * draw.unit()).cos();
    let amount = (debtor.amount_scale_cents as f64 / 100.0 * (0.35 * z).exp()).clamp(low, high);
    Facts {
        debtor_id: debtor.id.clone(),
        segment: debtor.segment,
        age_group: debtor.age_group,
        country: debtor.country.clone(),
        language: debtor.language.clone(),
        stage,
        days_overdue,
        amount_eur: (amount * 100.0).round() / 100.0,
        channels: debtor.contact.channels(),
    }
}
