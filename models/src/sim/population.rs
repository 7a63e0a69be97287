//! A seeded population of debtors: the simulator's world, reproducible from a seed and a config.

use serde::{Deserialize, Serialize};

use super::config::{SimConfig, SimError};
use super::debtor::SimDebtor;
use super::generate::draw_debtor;
use super::invoice::{draw_invoices, SimInvoice};
use super::response::ResponseModel;
use super::sample::{stream_rng, Domain};

/// Every debtor of one simulation run, with the config and seed that made them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Population {
    seed: u64,
    config: SimConfig,
    debtors: Vec<SimDebtor>,
    // The ground truth is code, not data; it is not part of a serialized population.
    #[serde(skip)]
    model: ResponseModel,
}

impl Population {
    /// Draws `config.debtors` debtors from `seed`. The same seed and config give the same
    /// population on every platform; debtor `i` depends only on the seed, the config and `i`, so
    /// growing `debtors` keeps the existing ones.
    pub fn generate(seed: u64, config: &SimConfig) -> Result<Population, SimError> {
        Self::generate_with(seed, config, ResponseModel::default())
    }

    /// [`generate`](Self::generate) with another ground truth (see [`worlds`](super::worlds)).
    pub fn generate_with(
        seed: u64,
        config: &SimConfig,
        model: ResponseModel,
    ) -> Result<Population, SimError> {
        config.validate()?;
        let debtors = (0..config.debtors)
            .map(|i| draw_debtor(i, config, &mut stream_rng(seed, Domain::Debtors, i)))
            .collect();
        Ok(Population { seed, config: config.clone(), debtors, model })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The debtors in id order: `debtors()[i].id` is `SIM-{i+1:06}`.
    pub fn debtors(&self) -> &[SimDebtor] {
        &self.debtors
    }

    /// The ground truth of how these debtors respond to reminders.
    pub fn model(&self) -> &ResponseModel {
        &self.model
    }

    /// The invoices these debtors receive over `config.horizon_days`, sorted by issue day (then
    /// debtor, then number). A separate seed from the population's, so one population can be run
    /// against several invoice streams; the same seed always gives the same invoices.
    pub fn invoices(&self, seed: u64) -> Vec<SimInvoice> {
        let mut invoices = Vec::new();
        for (index, debtor) in self.debtors.iter().enumerate() {
            let mut rng = stream_rng(seed, Domain::Invoices, index);
            invoices.extend(draw_invoices(index, debtor, self.config.horizon_days, &mut rng));
        }
        invoices.sort_by(|a, b| {
            (a.issued_day, a.debtor_index, &a.invoice_number).cmp(&(
                b.issued_day,
                b.debtor_index,
                &b.invoice_number,
            ))
        });
        invoices
    }
}
