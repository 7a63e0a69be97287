//! The reminders a simulated log is about: which debtor, at which stage, for how much, with
//! which channels allowed, and on which day, drawn from a seed as the service's planner would
//! see them. The ground truth ([`Script::pay_probability`]) stays here, out of the log.
//!
//! Each reminder goes to a debtor drawn uniformly from the population (recurring customers, as
//! in `bench-policies`), at a stage drawn from the attrition of a dunning book
//! ([`STAGE_WEIGHTS`]), with an amount scattered around the debtor's usual invoice. The allowed
//! channels are the contacts the creditor holds, in the service's default plan order (email,
//! SMS, WhatsApp, Messenger, letter), and the allowed hours the service's 8 to 19.

use mahnwerk_models::sim::{Population, ResponseModel, Segment, SimChannel, SimDebtor, SimRng, World};
use rand::Rng;

/// Share of reminders at stages 1..=4.
pub const STAGE_WEIGHTS: [f64; 4] = [0.4, 0.3, 0.2, 0.1];

/// The local hours the service allows today (docs/decision-log.md: `hours`).
pub const HOURS: [u8; 12] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];

/// Each debtor is reminded about every this many days, so a log of `n` decisions spans
/// `n * REMINDER_INTERVAL_DAYS / debtors` days (what the drift world's day counts against).
const REMINDER_INTERVAL_DAYS: f64 = 14.0;

/// One reminder to decide on: what the creditor knows (no hidden traits) and when.
#[derive(Debug, Clone)]
pub struct Reminder {
    /// Index into the population's debtors.
    pub debtor: usize,
    pub stage: u8,
    pub days_overdue: u32,
    pub amount_eur: f64,
    /// The allowed channels, in plan order.
    pub channels: Vec<SimChannel>,
    /// Days since the start of the log, when the reminder is planned.
    pub day: f64,
}

/// A population, its ground truth, and the reminders of one log.
pub struct Script {
    population: Population,
    reminders: Vec<Reminder>,
}

impl Script {
    /// `decisions` reminders in `world`, the debtors drawn from `debtors_seed` and the reminders
    /// from `seed`: two logs with the same `debtors_seed` are about the same people (fit a model
    /// on one, evaluate it on the other).
    pub fn new(world: &World, debtors_seed: u64, seed: u64, decisions: usize) -> anyhow::Result<Script> {
        let population = Population::generate_with(debtors_seed, &world.config, world.model.clone())?;
        let debtors = population.debtors().len();
        let days_per_reminder = REMINDER_INTERVAL_DAYS / debtors as f64;
        let mut rng = mahnwerk_models::sim::rng(seed ^ 0x5c21_7a11);
        let reminders = (0..decisions)
            .map(|i| {
                let index = rng.gen_range(0..debtors);
                reminder(index, &population.debtors()[index], i as f64 * days_per_reminder, &mut rng)
            })
            .collect();
        Ok(Script { population, reminders })
    }

    pub fn reminders(&self) -> &[Reminder] {
        &self.reminders
    }

    pub fn model(&self) -> &ResponseModel {
        self.population.model()
    }

    pub fn debtor(&self, reminder: &Reminder) -> &SimDebtor {
        &self.population.debtors()[reminder.debtor]
    }

    /// The ground truth: the probability that `reminder` sent on `channel` at local `hour` gets
    /// the invoice paid within the attribution window. Never written to the log; the `informed`
    /// logging policy alone may look at it.
    pub fn pay_probability(&self, reminder: &Reminder, channel: SimChannel, hour: u8) -> f64 {
        self.population.model().pay_probability_on(
            self.debtor(reminder),
            channel,
            hour,
            reminder.stage,
            reminder.day,
        )
    }
}

fn reminder(index: usize, debtor: &SimDebtor, day: f64, rng: &mut SimRng) -> Reminder {
    let mut x: f64 = rng.gen();
    let mut stage = 4;
    for (s, w) in STAGE_WEIGHTS.iter().enumerate() {
        if x < *w {
            stage = s as u8 + 1;
            break;
        }
        x -= w;
    }
    // The first reminder a week after the due day, then one every two weeks.
    let days_overdue = 7 + 14 * (u32::from(stage) - 1) + rng.gen_range(0..7);
    let (low, high) = match debtor.segment {
        Segment::Consumer => (20.0, 500.0),
        Segment::Business => (200.0, 20_000.0),
    };
    // Log-normal scatter around the debtor's usual amount (Box-Muller).
    let (u1, u2): (f64, f64) = (rng.gen(), rng.gen());
    let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let amount = (debtor.amount_scale_cents as f64 / 100.0 * (0.35 * z).exp()).clamp(low, high);
    Reminder {
        debtor: index,
        stage,
        days_overdue,
        amount_eur: (amount * 100.0).round() / 100.0,
        channels: debtor.contact.channels(),
        day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seeds_give_the_same_reminders_and_letters_are_always_allowed() {
        let world = World::named("default").unwrap();
        let a = Script::new(&world, 1, 2, 500).unwrap();
        let b = Script::new(&world, 1, 2, 500).unwrap();
        let other = Script::new(&world, 1, 3, 500).unwrap();
        let key = |s: &Script| s.reminders().iter().map(|r| (r.debtor, r.stage)).collect::<Vec<_>>();
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&other));
        for r in a.reminders() {
            assert!(r.channels.contains(&SimChannel::Letter));
            assert!((1..=4).contains(&r.stage));
            assert!(r.amount_eur >= 20.0);
        }
    }
}
