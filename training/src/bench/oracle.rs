//! The oracle: reads the hidden traits and sends every reminder on the arm with the highest true
//! pay probability ([`ResponseModel::oracle_arm`]). Not a policy anyone can run; the ceiling.

use mahnwerk_models::sim::{arms, Population, SimChannel};

use super::policy::{Policy, Query};

pub struct Oracle {
    population: Population,
}

impl Oracle {
    pub fn new(population: Population) -> Self {
        Oracle { population }
    }
}

impl Policy for Oracle {
    fn name(&self) -> &'static str {
        "oracle"
    }

    fn decide(&mut self, query: &Query<'_>) -> (SimChannel, u8) {
        // Ids are `SIM-{index + 1:06}`.
        let index: usize = query.facts.debtor_id["SIM-".len()..].parse().expect("a simulator id");
        let debtor = &self.population.debtors()[index - 1];
        let allowed = arms(query.channels, query.hours.iter().copied());
        let best = self.population.model().best_arm_on(debtor, &allowed, query.facts.stage, query.day);
        best.expect("the benchmark allows at least one arm").0
    }
}
