//! Named worlds of different structure, so that a policy is judged on ground it was not tuned on.
//!
//! A learner tuned on one simulator learns that simulator's quirks as well as the problem; the
//! benchmark therefore runs it on several worlds that differ in what matters: how much the send
//! hour counts, how many offered channels are dead, whether a channel stops working mid-year, how
//! many reminders each debtor gets and how large the invoices are, and the mix of consumers and
//! businesses. Each world is a [`SimConfig`], a [`ResponseModel`] and a number of debtors for a
//! benchmark script of the default length (20,000 reminders, about 280 days).

use super::channel::SimChannel;
use super::config::SimConfig;
use super::debtor::Segment;
use super::response::{Drift, HourEffect, ResponseModel};

/// One world: what to draw and how the debtors answer.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// Short name for the command line and tables, e.g. `"drift"`.
    pub name: &'static str,
    /// One line saying what is different here.
    pub about: &'static str,
    /// The population to draw (its `debtors` is the default below).
    pub config: SimConfig,
    /// The ground truth.
    pub model: ResponseModel,
}

/// Day from which the `drift` world's channels change: half way through a benchmark script of
/// 20,000 reminders at the default spacing (about 280 days).
pub const DRIFT_DAY: f64 = 140.0;

impl World {
    /// Every world, the repository's original first.
    pub fn all() -> Vec<World> {
        let base = SimConfig::default;
        let model = ResponseModel::default;
        vec![
            World {
                name: "default",
                about: "the repository's simulator: 30 % businesses, 12 % dead contacts, ~20 reminders per debtor",
                config: base(),
                model: model(),
            },
            World {
                name: "sharp-hours",
                about: "the hour matters a lot: narrow peaks (profile cubed), push messages off-peak reach almost nobody",
                config: base(),
                model: model().with_hours(HourEffect { strength: 1.1, sharpness: 3.0 }),
            },
            World {
                name: "flat-hours",
                about: "the hour hardly matters (a sixth of the default's effect)",
                config: base(),
                model: model().with_hours(HourEffect { strength: 0.15, sharpness: 1.0 }),
            },
            World {
                name: "dead-channel",
                about: "most debtors (80 %) have one offered channel besides the letter that nobody reads",
                config: SimConfig { one_dead_channel_share: 0.8, ..base() },
                model: model(),
            },
            World {
                name: "drift",
                about: "from day 140 consumers' SMS stops working (x0.05) and businesses' email halves",
                config: base(),
                model: model()
                    .with_drift(Drift {
                        channel: SimChannel::Sms,
                        segment: Some(Segment::Consumer),
                        from_day: DRIFT_DAY,
                        factor: 0.05,
                    })
                    .with_drift(Drift {
                        channel: SimChannel::Email,
                        segment: Some(Segment::Business),
                        from_day: DRIFT_DAY,
                        factor: 0.5,
                    }),
            },
            World {
                name: "few-large",
                about: "4,000 debtors with ~5 reminders each, invoices four times as large",
                config: SimConfig { debtors: 4000, invoices_per_debtor: (1, 2), amount_factor: 4.0, ..base() },
                model: model(),
            },
            World {
                name: "many-small",
                about: "250 debtors with ~80 reminders each, invoices a third as large",
                config: SimConfig {
                    debtors: 250,
                    invoices_per_debtor: (12, 24),
                    amount_factor: 0.3,
                    ..base()
                },
                model: model(),
            },
            World {
                name: "b2b-heavy",
                about: "80 % businesses: office hours, email and letters",
                config: SimConfig { business_share: 0.8, ..base() },
                model: model(),
            },
            World {
                name: "b2c-heavy",
                about: "3 % businesses, 20 % dead contacts",
                config: SimConfig { business_share: 0.03, dead_contact_rate: 0.2, ..base() },
                model: model(),
            },
        ]
    }

    /// The world called `name`, if there is one.
    pub fn named(name: &str) -> Option<World> {
        Self::all().into_iter().find(|w| w.name == name)
    }

    /// Every world's name, in [`all`](Self::all) order.
    pub fn names() -> Vec<&'static str> {
        Self::all().iter().map(|w| w.name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_world_is_valid_and_named_once() {
        let names = World::names();
        for (i, world) in World::all().iter().enumerate() {
            assert_eq!(world.config.validate(), Ok(()), "{}", world.name);
            assert!(!names[..i].contains(&world.name), "{} twice", world.name);
            assert_eq!(World::named(world.name).as_ref(), Some(world));
        }
        assert_eq!(World::named("default").map(|w| w.model), Some(ResponseModel::default()));
        assert!(World::named("nowhere").is_none());
    }
}
