//! The demo's closing report: what came in, what went out on which channel and stage, what got
//! paid and how fast.

use super::DemoOptions;
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
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub debtors: usize,
    pub days: u32,
    pub seed: u64,
    pub invoices: usize,
    pub paid_on_time: usize,
    pub overdue: u64,
    pub paid_overdue: usize,
    pub payment_rate: f64,
    pub median_days_to_pay: Option<f64>,
    pub stats: Stats,
    pub outbox: PathBuf,
    pub elapsed_s: f64,
}

impl Report {
    pub fn new(options: &DemoOptions, mut tally: Tally, stats: Stats, elapsed: Duration) -> Self {
        tally.days_to_pay.sort_unstable();
        let median = match tally.days_to_pay.len() {
            0 => None,
            n if n % 2 == 1 => Some(tally.days_to_pay[n / 2] as f64),
            n => Some((tally.days_to_pay[n / 2 - 1] + tally.days_to_pay[n / 2]) as f64 / 2.0),
        };
        let overdue = stats.cases.total;
        Self {
            debtors: options.debtors,
            days: options.days,
            seed: options.seed,
            invoices: tally.invoices,
            paid_on_time: tally.paid_on_time,
            overdue,
            paid_overdue: tally.paid,
            payment_rate: if overdue == 0 { 0.0 } else { tally.paid as f64 / overdue as f64 },
            median_days_to_pay: median,
            outbox: std::path::absolute(&options.out).unwrap_or_else(|_| options.out.clone()),
            stats,
            elapsed_s: elapsed.as_secs_f64(),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "mahnwerk demo: {} debtors, {} simulated days, seed {}",
            self.debtors, self.days, self.seed
        )?;
        writeln!(f, "  invoices due            {:>7}", self.invoices)?;
        writeln!(f, "  paid on time            {:>7}", self.paid_on_time)?;
        writeln!(f, "  overdue (dunning cases) {:>7}", self.overdue)?;
        writeln!(
            f,
            "  paid after due date     {:>7}  ({:.1} % of cases)",
            self.paid_overdue,
            100.0 * self.payment_rate
        )?;
        match self.median_days_to_pay {
            Some(days) => writeln!(f, "  median days to pay      {days:>7.1}  (from due date)")?,
            None => writeln!(f, "  median days to pay            -")?,
        }
        writeln!(f, "  cases by state          {}", join(&self.stats.cases.by_state))?;
        writeln!(f, "  reminders               {:>7}", self.stats.reminders.total)?;
        writeln!(f, "    by channel            {}", join(&self.stats.reminders.by_channel))?;
        writeln!(f, "    by stage              {}", join(&self.stats.reminders.by_stage))?;
        writeln!(f, "    by status             {}", join(&self.stats.reminders.by_status))?;
        writeln!(f, "  outbox                  {}", self.outbox.display())?;
        write!(f, "  wall time               {:.1} s", self.elapsed_s)
    }
}

fn join(counts: &std::collections::BTreeMap<String, u64>) -> String {
    counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
}
