//! The demo's closing report: what came in, what went out on which channel and stage, what got
//! paid and how fast.

use super::DemoOptions;
use crate::config::{default_costs_eur, PolicyKind};
use crate::domain::ChannelKind;
use crate::store::Stats;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What the driver counted on the simulator's side.
#[derive(Debug, Default)]
pub struct Tally {
    /// Invoices falling due within the simulated period.
    pub invoices: usize,
    /// Of those, paid by the due day: never overdue, never reminded.
    pub paid_on_time: usize,
    /// Overdue invoices paid during the period (after reminders or on their own).
    pub paid: usize,
    /// Days from due date to payment, per paid overdue invoice.
    pub days_to_pay: Vec<i64>,
    /// (overdue invoices, of those paid) by the quarter of the period they fell due in: how the
    /// payment rate develops while the adaptive policy learns.
    pub by_quarter: [(usize, usize); 4],
}

/// One run of the demo with one policy.
#[derive(Debug, Serialize)]
pub struct Report {
    /// "adaptive" or "fixed".
    pub policy: String,
    /// The policy version at the end of the run (`bandit-v{snapshot}` or `fixed-v1`).
    pub policy_version: String,
    pub debtors: usize,
    pub days: u32,
    pub seed: u64,
    pub invoices: usize,
    pub paid_on_time: usize,
    pub overdue: u64,
    pub paid_overdue: usize,
    pub payment_rate: f64,
    /// `payment_rate` of the cases that fell due in each quarter of the period.
    pub payment_rate_by_quarter: [f64; 4],
    pub median_days_to_pay: Option<f64>,
    /// What the reminders cost at the default prices of `[learn] costs_eur` (all reminders the
    /// scheduler planned, sent or not).
    pub channel_cost_eur: f64,
    /// `channel_cost_eur` per overdue invoice paid.
    pub cost_per_payment_eur: Option<f64>,
    pub stats: Stats,
    pub outbox: PathBuf,
    pub elapsed_s: f64,
}

impl Report {
    pub fn new(
        options: &DemoOptions,
        policy: PolicyKind,
        policy_version: String,
        out: &std::path::Path,
        mut tally: Tally,
        stats: Stats,
        elapsed: Duration,
    ) -> Self {
        tally.days_to_pay.sort_unstable();
        let median = match tally.days_to_pay.len() {
            0 => None,
            n if n % 2 == 1 => Some(tally.days_to_pay[n / 2] as f64),
            n => Some((tally.days_to_pay[n / 2 - 1] + tally.days_to_pay[n / 2]) as f64 / 2.0),
        };
        let overdue = stats.cases.total;
        let costs = default_costs_eur();
        let channel_cost_eur: f64 = stats
            .reminders
            .by_channel
            .iter()
            .map(|(channel, n)| {
                let kind: Option<ChannelKind> = channel.parse().ok();
                kind.and_then(|k| costs.get(&k)).copied().unwrap_or(0.0) * *n as f64
            })
            .sum();
        Self {
            policy: policy.as_str().to_owned(),
            policy_version,
            debtors: options.debtors,
            days: options.days,
            seed: options.seed,
            invoices: tally.invoices,
            paid_on_time: tally.paid_on_time,
            overdue,
            paid_overdue: tally.paid,
            payment_rate: if overdue == 0 { 0.0 } else { tally.paid as f64 / overdue as f64 },
            payment_rate_by_quarter: tally.by_quarter.map(|(cases, paid)| paid as f64 / cases.max(1) as f64),
            median_days_to_pay: median,
            channel_cost_eur,
            cost_per_payment_eur: (tally.paid > 0).then(|| channel_cost_eur / tally.paid as f64),
            outbox: std::path::absolute(out).unwrap_or_else(|_| out.to_owned()),
            stats,
            elapsed_s: elapsed.as_secs_f64(),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} policy ({})", self.policy, self.policy_version)?;
        writeln!(f, "  invoices due            {:>7}", self.invoices)?;
        writeln!(f, "  paid on time            {:>7}", self.paid_on_time)?;
        writeln!(f, "  overdue (dunning cases) {:>7}", self.overdue)?;
        writeln!(
            f,
            "  paid after due date     {:>7}  ({:.1} % of cases)",
            self.paid_overdue,
            100.0 * self.payment_rate
        )?;
        let quarters: Vec<String> =
            self.payment_rate_by_quarter.iter().map(|r| format!("{:.1} %", 100.0 * r)).collect();
        writeln!(f, "    by quarter due        {}", quarters.join(", "))?;
        match self.median_days_to_pay {
            Some(days) => writeln!(f, "  median days to pay      {days:>7.1}  (from due date)")?,
            None => writeln!(f, "  median days to pay            -")?,
        }
        writeln!(f, "  cases by state          {}", join(&self.stats.cases.by_state))?;
        writeln!(f, "  reminders               {:>7}", self.stats.reminders.total)?;
        writeln!(f, "    by channel            {}", join(&self.stats.reminders.by_channel))?;
        writeln!(f, "    by stage              {}", join(&self.stats.reminders.by_stage))?;
        writeln!(f, "    by status             {}", join(&self.stats.reminders.by_status))?;
        writeln!(f, "  channel cost            {:>9.2} EUR", self.channel_cost_eur)?;
        if let Some(per) = self.cost_per_payment_eur {
            writeln!(f, "    per payment           {per:>9.3} EUR")?;
        }
        writeln!(f, "  outbox                  {}", self.outbox.display())?;
        write!(f, "  wall time               {:.1} s", self.elapsed_s)
    }
}

fn join(counts: &std::collections::BTreeMap<String, u64>) -> String {
    counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
}

/// The demo's answer: the same population under each policy, and what adapting earned.
#[derive(Debug, Serialize)]
pub struct Comparison {
    pub debtors: usize,
    pub days: u32,
    pub seed: u64,
    /// Which configuration the demo ran with (a file, or the built-in defaults).
    pub configuration: String,
    /// The adaptive policy's cost weight (`[learn] lambda`) in that configuration.
    pub lambda: f64,
    /// What a payment before the plan's last stage is worth to it (`[learn] earlier_stage_share`).
    pub earlier_stage_share: f64,
    /// Its share of uniformly drawn arms (`[learn] epsilon`).
    pub epsilon: f64,
    /// How far the plan's default arm leads the others before data (`[learn] default_arm_lead`).
    pub default_arm_lead: f64,
    /// Every how many allowed hours it chooses among (`[learn] hour_step`).
    pub hour_step: u8,
    pub runs: Vec<Report>,
}

impl Comparison {
    fn run(&self, policy: &str) -> Option<&Report> {
        self.runs.iter().find(|r| r.policy == policy)
    }

    /// Payment rate of the adaptive run minus the fixed run's, in percentage points.
    pub fn lift_points(&self) -> Option<f64> {
        Some(100.0 * (self.run("adaptive")?.payment_rate - self.run("fixed")?.payment_rate))
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "mahnwerk demo: {} debtors, {} simulated days, seed {}",
            self.debtors, self.days, self.seed
        )?;
        writeln!(
            f,
            "configuration: {} (learn.lambda {}, learn.earlier_stage_share {}, learn.epsilon {}, \
             learn.default_arm_lead {}, learn.hour_step {})",
            self.configuration,
            self.lambda,
            self.earlier_stage_share,
            self.epsilon,
            self.default_arm_lead,
            self.hour_step
        )?;
        for run in &self.runs {
            writeln!(f)?;
            writeln!(f, "{run}")?;
        }
        if let (Some(fixed), Some(adaptive), Some(lift)) =
            (self.run("fixed"), self.run("adaptive"), self.lift_points())
        {
            writeln!(f)?;
            writeln!(f, "adaptive against fixed, same population and invoices:")?;
            writeln!(
                f,
                "  paid after due date     {:.1} % vs {:.1} % of cases: {lift:+.1} points ({:+.1} %)",
                100.0 * adaptive.payment_rate,
                100.0 * fixed.payment_rate,
                100.0 * (adaptive.payment_rate / fixed.payment_rate.max(f64::MIN_POSITIVE) - 1.0)
            )?;
            let last = |r: &Report| 100.0 * r.payment_rate_by_quarter[3];
            writeln!(
                f,
                "  last quarter            {:.1} % vs {:.1} %: {:+.1} points (after learning)",
                last(adaptive),
                last(fixed),
                last(adaptive) - last(fixed)
            )?;
            if let (Some(a), Some(b)) = (adaptive.median_days_to_pay, fixed.median_days_to_pay) {
                writeln!(f, "  median days to pay      {a:.1} vs {b:.1}")?;
            }
            if let (Some(a), Some(b)) = (adaptive.cost_per_payment_eur, fixed.cost_per_payment_eur) {
                writeln!(
                    f,
                    "  channel cost / payment  {a:.3} vs {b:.3} EUR: {:+.3} EUR ({:+.1} %)",
                    a - b,
                    100.0 * (a / b.max(f64::MIN_POSITIVE) - 1.0)
                )?;
            }
            let wins = |better: bool| if better { "better" } else { "not better" };
            write!(
                f,
                "  verdict                 paid share {}, cost per payment {}",
                wins(adaptive.payment_rate > fixed.payment_rate),
                wins(matches!(
                    (adaptive.cost_per_payment_eur, fixed.cost_per_payment_eur),
                    (Some(a), Some(b)) if a < b
                ))
            )?;
        }
        Ok(())
    }
}
