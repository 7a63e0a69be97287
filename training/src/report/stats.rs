//! The report's numbers, gathered in one pass over the log: payment rates with 95 % intervals
//! by channel, stage and (channel, local hour), days to pay by month and segment, the channel
//! mix by day, cost per collected unit of money by channel, and the learning curve (the payment
//! rate of the decisions of each day, per policy family).

use super::read::Obs;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Settled decisions and the sum of their rewards.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Rate {
    pub n: u64,
    pub paid: f64,
}

impl Rate {
    fn add(&mut self, reward: f64) {
        self.n += 1;
        self.paid += reward;
    }

    pub fn rate(&self) -> Option<f64> {
        (self.n > 0).then(|| self.paid / self.n as f64)
    }

    /// Wilson's 95 % interval: unlike the normal approximation it stays inside [0, 1] and is
    /// honest for small counts and rates near 0 or 1.
    pub fn ci95(&self) -> Option<(f64, f64)> {
        let p = self.rate()?;
        let (n, z) = (self.n as f64, 1.959_964);
        let denominator = 1.0 + z * z / n;
        let centre = (p + z * z / (2.0 * n)) / denominator;
        let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
        Some(((centre - half).max(0.0), (centre + half).min(1.0)))
    }
}

/// A running mean.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Mean {
    pub n: u64,
    pub sum: f64,
}

impl Mean {
    pub fn value(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// What settled decisions of one channel cost and collected.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct CostSum {
    pub n: u64,
    pub cost: f64,
    /// The open amounts (`context.amount`) of the decisions rewarded 1.
    pub collected: f64,
}

impl CostSum {
    /// Cost per unit collected; `None` when nothing was collected.
    pub fn per_collected(&self) -> Option<f64> {
        (self.collected > 0.0).then(|| self.cost / self.collected)
    }
}

/// Everything the report draws.
#[derive(Debug, Default)]
pub struct Tally {
    pub decisions: u64,
    pub settled: u64,
    pub overall: Rate,
    pub by_channel: BTreeMap<String, Rate>,
    pub by_stage: BTreeMap<u32, Rate>,
    pub by_channel_hour: BTreeMap<(String, u8), Rate>,
    /// Days from sending to payment, by (month `YYYY-MM` of the decision, segment).
    pub days_to_pay: BTreeMap<(String, String), Mean>,
    /// Decisions (settled or not) per day and channel.
    pub mix: BTreeMap<NaiveDate, BTreeMap<String, u64>>,
    pub cost: BTreeMap<String, CostSum>,
    /// Settled decisions without `cost_eur` whose channel has no list price either.
    pub unpriced: u64,
    /// Settled decisions per day of the decision and policy family.
    pub by_day_policy: BTreeMap<NaiveDate, BTreeMap<String, Rate>>,
}

impl Tally {
    /// Adds one decision; `list_price` gives a channel's cost when the line has no `cost_eur`.
    pub fn add(&mut self, obs: &Obs, list_price: impl Fn(&str) -> Option<f64>) {
        self.decisions += 1;
        *self.mix.entry(obs.at.date_naive()).or_default().entry(obs.channel.clone()).or_default() += 1;
        let Some(reward) = obs.reward else { return };
        self.settled += 1;
        self.overall.add(reward);
        self.by_channel.entry(obs.channel.clone()).or_default().add(reward);
        self.by_stage.entry(obs.stage).or_default().add(reward);
        self.by_channel_hour.entry((obs.channel.clone(), obs.hour)).or_default().add(reward);
        let day = self.by_day_policy.entry(obs.at.date_naive()).or_default();
        day.entry(obs.policy.clone()).or_default().add(reward);
        if let Some(hours) = obs.hours_to_pay.filter(|_| reward > 0.0) {
            let month = obs.at.format("%Y-%m").to_string();
            let mean = self.days_to_pay.entry((month, obs.segment.clone())).or_default();
            mean.n += 1;
            mean.sum += hours / 24.0;
        }
        match obs.cost_eur.or_else(|| list_price(&obs.channel)) {
            Some(cost) => {
                let sum = self.cost.entry(obs.channel.clone()).or_default();
                sum.n += 1;
                sum.cost += cost;
                sum.collected += reward * obs.amount.unwrap_or(0.0);
            }
            None => self.unpriced += 1,
        }
    }

    /// Every channel's costs together.
    pub fn total_cost(&self) -> CostSum {
        self.cost.values().fold(CostSum::default(), |a, b| CostSum {
            n: a.n + b.n,
            cost: a.cost + b.cost,
            collected: a.collected + b.collected,
        })
    }

    /// The channel mix in at most `max` consecutive periods of whole days: each period's label
    /// (its first day) and decisions per channel.
    pub fn mix_periods(&self, max: usize) -> Vec<(NaiveDate, BTreeMap<String, u64>)> {
        in_periods(&self.mix, max, |sum: &mut u64, n| *sum += n)
    }

    /// The learning curve in at most `max` consecutive periods of whole days: each period's first
    /// day and the settled decisions of each policy family in it.
    pub fn learning_periods(&self, max: usize) -> Vec<(NaiveDate, BTreeMap<String, Rate>)> {
        in_periods(&self.by_day_policy, max, |sum: &mut Rate, rate| {
            sum.n += rate.n;
            sum.paid += rate.paid;
        })
    }
}

/// Per-day values, keyed by series, summed into at most `max` consecutive periods of equal
/// whole days from the first day; each period is labelled by its first day.
fn in_periods<T: Default + Copy>(
    by_day: &BTreeMap<NaiveDate, BTreeMap<String, T>>,
    max: usize,
    add: impl Fn(&mut T, T),
) -> Vec<(NaiveDate, BTreeMap<String, T>)> {
    let (Some(first), Some(last)) = (by_day.keys().next(), by_day.keys().next_back()) else {
        return Vec::new();
    };
    let days = (*last - *first).num_days() + 1;
    let width = (days as usize).div_ceil(max.max(1)).max(1) as i64;
    let mut periods: BTreeMap<NaiveDate, BTreeMap<String, T>> = BTreeMap::new();
    for (day, values) in by_day {
        let start = *first + chrono::Duration::days((*day - *first).num_days() / width * width);
        let period = periods.entry(start).or_default();
        for (series, value) in values {
            add(period.entry(series.clone()).or_default(), *value);
        }
    }
    periods.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_holds_the_rate_and_stays_in_bounds() {
        let rate = Rate { n: 100, paid: 30.0 };
        let (lo, hi) = rate.ci95().unwrap();
        assert!((0.21..0.22).contains(&lo) && (0.39..0.40).contains(&hi), "{lo} {hi}");
        let none_paid = Rate { n: 10, paid: 0.0 }.ci95().unwrap();
        assert_eq!(none_paid.0, 0.0);
        assert!(none_paid.1 > 0.2, "ten failures do not prove a rate of 0: {none_paid:?}");
        assert_eq!(Rate::default().ci95(), None);
    }

    #[test]
    fn tallies_rates_costs_and_payment_times() {
        let at = "2026-03-02T09:00:00Z".parse().unwrap();
        let obs = |channel: &str, reward: Option<f64>| Obs {
            at,
            channel: channel.into(),
            hour: 9,
            stage: 1,
            segment: "b2c".into(),
            reward,
            amount: Some(100.0),
            cost_eur: None,
            hours_to_pay: Some(48.0),
            policy: "bandit".into(),
            debtor: None,
        };
        let mut tally = Tally::default();
        let price = |c: &str| (c == "sms").then_some(0.1);
        for o in [obs("sms", Some(1.0)), obs("sms", Some(0.0)), obs("sms", None), obs("fax", Some(1.0))] {
            tally.add(&o, price);
        }
        assert_eq!((tally.decisions, tally.settled, tally.unpriced), (4, 3, 1));
        assert_eq!(tally.by_channel["sms"], Rate { n: 2, paid: 1.0 });
        assert_eq!(tally.cost["sms"], CostSum { n: 2, cost: 0.2, collected: 100.0 });
        assert_eq!(tally.days_to_pay[&("2026-03".to_owned(), "b2c".to_owned())].value(), Some(2.0));
        assert_eq!(tally.mix_periods(10)[0].1["sms"], 3);
        assert_eq!(tally.learning_periods(10)[0].1["bandit"], Rate { n: 3, paid: 2.0 });
    }

    #[test]
    fn the_learning_curve_sums_days_into_equal_periods() {
        let mut tally = Tally::default();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        for (d, policy, reward) in
            [(1, "bandit", 1.0), (2, "bandit", 0.0), (3, "fixed", 1.0), (4, "bandit", 1.0)]
        {
            tally.by_day_policy.entry(day(d)).or_default().entry(policy.to_owned()).or_default().add(reward);
        }
        let periods = tally.learning_periods(2);
        assert_eq!(periods.len(), 2);
        assert_eq!((periods[0].0, periods[1].0), (day(1), day(3)));
        assert_eq!(periods[0].1["bandit"], Rate { n: 2, paid: 1.0 });
        assert_eq!(periods[1].1["bandit"], Rate { n: 1, paid: 1.0 });
        assert_eq!(periods[1].1["fixed"], Rate { n: 1, paid: 1.0 });
        assert!(!periods[0].1.contains_key("fixed"));
    }
}
