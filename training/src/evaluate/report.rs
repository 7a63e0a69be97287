//! An evaluation as text for a person, or as JSON for a script (`--json`). The JSON starts with
//! `ips`, `snips`, `dr` (each `{"value":…,"ci95":[lo,hi]}`), `ess`, `logged`, `n`, in that
//! order; further keys follow. An undefined number is `null`.

use std::path::Path;

use serde::Serialize;

use super::{Estimated, Evaluation};
use crate::candidate::TargetKind;
use crate::ope::Interval;

#[derive(Serialize)]
pub struct JsonInterval {
    pub value: f64,
    pub ci95: [f64; 2],
}

impl From<Interval> for JsonInterval {
    fn from(i: Interval) -> Self {
        JsonInterval { value: i.value, ci95: [i.lo, i.hi] }
    }
}

#[derive(Serialize)]
struct JsonNet {
    ips: JsonInterval,
    snips: JsonInterval,
    dr: JsonInterval,
    logged: f64,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    ips: JsonInterval,
    snips: JsonInterval,
    dr: JsonInterval,
    ess: f64,
    logged: f64,
    n: usize,
    differs: f64,
    mean_weight: f64,
    unexplored: f64,
    lines: usize,
    pending: usize,
    skipped_bad: usize,
    skipped_lines: Vec<String>,
    target: String,
    bootstrap: usize,
    net_eur_per_decision: Option<JsonNet>,
    net_unavailable: Option<&'a str>,
}

pub fn json(e: &Evaluation, target: TargetKind) -> String {
    let report = JsonReport {
        ips: e.payment.ips.into(),
        snips: e.payment.snips.into(),
        dr: e.payment.dr.into(),
        ess: e.ess,
        logged: e.payment.logged,
        n: e.n,
        differs: e.differs,
        mean_weight: e.balance.mean,
        unexplored: e.support.unexplored_mass,
        lines: e.counts.lines,
        pending: e.counts.pending,
        skipped_bad: e.counts.skipped,
        skipped_lines: e.counts.first_skipped.iter().map(ToString::to_string).collect(),
        target: target.to_string(),
        bootstrap: e.replicates,
        net_eur_per_decision: e.net.as_ref().ok().map(|n| JsonNet {
            ips: n.ips.into(),
            snips: n.snips.into(),
            dr: n.dr.into(),
            logged: n.logged,
        }),
        net_unavailable: e.net.as_ref().err().map(String::as_str),
    };
    serde_json::to_string(&report).expect("a report serialises")
}

pub fn text(e: &Evaluation, target: TargetKind, log: &Path, model: &Path) -> String {
    let mut out = format!(
        "candidate {} ({target} target) on {}\n{} decisions with an outcome ({} lines, {} pending left out, {} bad lines skipped)\n",
        model.display(),
        log.display(),
        e.n,
        e.counts.lines,
        e.counts.pending,
        e.counts.skipped
    );
    for bad in &e.counts.first_skipped {
        out.push_str(&format!("  skipped {bad}\n"));
    }
    out.push_str(&format!(
        "\npayment rate                 estimate   95 % interval ({} bootstrap replicates)\n",
        e.replicates
    ));
    out.push_str(&table(&e.payment, |x| format!("{:.2} %", 100.0 * x)));
    out.push_str(&format!(
        "\neffective sample size {:.0} of {}; the candidate chooses differently from the log on {:.1} % of the decisions; \
         average importance weight {:.3} (1 up to noise)\n",
        e.ess,
        e.n,
        100.0 * e.differs,
        e.balance.mean
    ));
    match &e.net {
        Ok(net) => {
            out.push_str("\nEUR per decision, amount collected minus channel cost\n");
            out.push_str(&table(net, |x| format!("{x:.2}")));
        }
        Err(reason) => out.push_str(&format!("\nno amount collected minus cost: {reason}\n")),
    }
    out
}

fn table(e: &Estimated, show: impl Fn(f64) -> String) -> String {
    let row = |name: &str, i: &Interval| {
        format!("  {name:<27}{:>9}   [{}, {}]\n", show(i.value), show(i.lo), show(i.hi))
    };
    format!(
        "  {:<27}{:>9}\n{}{}{}",
        "logging policy (observed)",
        show(e.logged),
        row("IPS", &e.ips),
        row("self-normalised IPS", &e.snips),
        row("doubly robust", &e.dr)
    )
}
