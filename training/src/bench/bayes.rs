//! Two reference policies that know the simulator's generative model but not the person: what a
//! creditor could do at best without personal data (`population oracle`), and at best with the
//! debtor's own outcomes (`Bayes oracle`). Not policies anyone can run; they show how much of the
//! oracle's lead any learner could hope to close.
//!
//! Both hold particles: debtors drawn from a large reference population (another seed, so never
//! the debtors being reminded) that look the same to a creditor (segment, age group, contacts
//! held). The population oracle picks the arm with the highest mean pay probability over the
//! particles; the Bayes oracle weights each debtor's particles by the likelihood of that
//! debtor's outcomes so far (the exact posterior over the hidden traits, up to the particle
//! sample) and picks the arm with the highest posterior mean. Greedy, so not quite Bayes-optimal;
//! with the exact prior, exploring is worth little.

use std::collections::HashMap;
use std::rc::Rc;

use mahnwerk_models::sim::{self, AgeGroup, Population, Segment, SimChannel, SimConfig, SimDebtor};

use super::policy::{Policy, Query};

/// Particles per debtor: with 2000 instead, the Bayes oracle's expected rate at seed 1 moved by
/// 0.1 points.
const PARTICLES: usize = 400;
const REFERENCE_DEBTORS: usize = 60_000;

type Look = (Segment, Option<AgeGroup>, Vec<SimChannel>);

/// The reference population, indexed by how its debtors look to a creditor.
pub struct Reference {
    population: Population,
    by_look: HashMap<Look, Vec<usize>>,
}

impl Reference {
    /// Drawn from `world`'s config and answering by its model, so the references know the
    /// generative model of the world they are run in.
    pub fn new(seed: u64, world: &sim::World) -> anyhow::Result<Rc<Reference>> {
        let config = SimConfig { debtors: REFERENCE_DEBTORS, ..world.config.clone() };
        let population =
            Population::generate_with(seed.wrapping_add(0x7e57_0000), &config, world.model.clone())?;
        let mut by_look: HashMap<Look, Vec<usize>> = HashMap::new();
        for (i, d) in population.debtors().iter().enumerate() {
            by_look.entry(look(d)).or_default().push(i);
        }
        Ok(Rc::new(Reference { population, by_look }))
    }

    /// Up to [`PARTICLES`] reference debtors that look like `key`, spread evenly over all that do;
    /// if none does, those of the same segment.
    fn particles(&self, key: &Look) -> Vec<usize> {
        let fallback: Vec<usize>;
        let all = match self.by_look.get(key) {
            Some(all) => all,
            None => {
                let debtors = self.population.debtors();
                fallback = (0..debtors.len()).filter(|&i| debtors[i].segment == key.0).collect();
                &fallback
            }
        };
        let n = all.len().min(PARTICLES);
        (0..n).map(|k| all[k * all.len() / n]).collect()
    }
}

fn look(d: &SimDebtor) -> Look {
    (d.segment, d.age_group, d.contact.channels())
}

struct Belief {
    particles: Vec<usize>,
    log_weights: Vec<f64>,
}

pub struct Bayes {
    personal: bool,
    reference: Rc<Reference>,
    beliefs: HashMap<String, Belief>,
    pending: HashMap<usize, (String, SimChannel, u8, u8, f64)>,
}

impl Bayes {
    /// The population oracle (`personal` false) or the Bayes oracle.
    pub fn new(reference: Rc<Reference>, personal: bool) -> Self {
        Bayes { personal, reference, beliefs: HashMap::new(), pending: HashMap::new() }
    }
}

impl Policy for Bayes {
    fn name(&self) -> &'static str {
        if self.personal {
            "Bayes oracle"
        } else {
            "population oracle"
        }
    }

    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8) {
        let f = query.facts;
        let reference = &self.reference;
        let belief = self.beliefs.entry(f.debtor_id.clone()).or_insert_with(|| {
            let particles = reference.particles(&(f.segment, f.age_group, f.channels.clone()));
            Belief { log_weights: vec![0.0; particles.len()], particles }
        });
        let top = belief.log_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = belief.log_weights.iter().map(|l| (l - top).exp()).collect();
        let (model, debtors) = (reference.population.model(), reference.population.debtors());
        let mut best = (f64::NEG_INFINITY, (query.channels[0], query.hours[0]));
        for &c in query.channels {
            for &h in query.hours {
                let value: f64 = belief
                    .particles
                    .iter()
                    .zip(&weights)
                    .map(|(&p, w)| w * model.pay_probability_on(&debtors[p], c, h, f.stage, query.day))
                    .sum();
                if value > best.0 {
                    best = (value, (c, h));
                }
            }
        }
        if self.personal {
            self.pending.insert(query.round, (f.debtor_id.clone(), best.1 .0, best.1 .1, f.stage, query.day));
        }
        best.1
    }

    fn outcome(&mut self, round: usize, reward: f64) {
        let Some((debtor, c, h, stage, day)) = self.pending.remove(&round) else { return };
        let (model, debtors) = (self.reference.population.model(), self.reference.population.debtors());
        let Some(belief) = self.beliefs.get_mut(&debtor) else { return };
        for (&p, lw) in belief.particles.iter().zip(belief.log_weights.iter_mut()) {
            let q = model.pay_probability_on(&debtors[p], c, h, stage, day);
            *lw += if reward >= 0.5 { q.max(1e-9).ln() } else { (1.0 - q).max(1e-9).ln() };
        }
    }
}
