//! The figures of a benchmark run: one table row per policy, the mean over seeds, and the
//! learning-curve plot.

use std::fmt::Write as _;

use super::run::Trace;
use super::svg::Svg;

/// One policy's figures in one world (or their mean over worlds).
#[derive(Debug, Clone)]
pub struct Row {
    pub policy: &'static str,
    pub paid_all: f64,
    pub paid_last_quarter: f64,
    /// Mean true pay probability of the chosen arms over the last quarter: the rate without the
    /// coin flips.
    pub expected_last_quarter: f64,
    /// `paid_last_quarter` over the oracle's.
    pub vs_oracle: f64,
    /// `paid_last_quarter` over the Bayes oracle's: how much of what any policy could collect
    /// without reading the hidden traits (see [`bayes`](super::bayes)).
    pub vs_bayes: f64,
    /// Invoices collected: reminders paid within the window over the whole run (each settles the
    /// invoice it was about).
    pub invoices: f64,
    /// Open amounts collected minus channel cost, EUR, over the whole run.
    pub net_eur: f64,
    /// Channel cost over payments collected; infinite with no payment.
    pub eur_per_payment: f64,
    /// Share of reminders sent by letter.
    pub letter_share: f64,
    pub decisions_per_sec: f64,
}

fn mean(xs: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = xs.len().max(1) as f64;
    xs.sum::<f64>() / n
}

fn last_quarter<T>(xs: &[T]) -> &[T] {
    &xs[xs.len() * 3 / 4..]
}

/// The rows of one world; `oracle` and `bayes` name the traces the ratios are taken against.
pub fn rows(traces: &[Trace], oracle: &str, bayes: &str) -> Vec<Row> {
    let rate = |t: &Trace| mean(last_quarter(&t.paid).iter().map(|&p| f64::from(u8::from(p))));
    let ceiling = traces.iter().find(|t| t.policy == oracle).map(rate).unwrap_or(f64::NAN);
    let bound = traces.iter().find(|t| t.policy == bayes).map(rate).unwrap_or(f64::NAN);
    traces
        .iter()
        .map(|t| {
            let payments = t.paid.iter().filter(|&&p| p).count();
            Row {
                policy: t.policy,
                paid_all: mean(t.paid.iter().map(|&p| f64::from(u8::from(p)))),
                paid_last_quarter: rate(t),
                expected_last_quarter: mean(last_quarter(&t.probability).iter().copied()),
                vs_oracle: rate(t) / ceiling,
                vs_bayes: rate(t) / bound,
                invoices: payments as f64,
                net_eur: t.collected_eur - t.cost_eur,
                eur_per_payment: t.cost_eur / payments as f64,
                letter_share: t.letters as f64 / t.paid.len().max(1) as f64,
                decisions_per_sec: t.paid.len() as f64 / t.busy.as_secs_f64().max(1e-9),
            }
        })
        .collect()
}

/// Column-wise mean of the same policies' rows over several worlds.
pub fn mean_rows(per_seed: &[Vec<Row>]) -> Vec<Row> {
    let Some(first) = per_seed.first() else { return Vec::new() };
    (0..first.len())
        .map(|i| {
            let col = |f: fn(&Row) -> f64| mean(per_seed.iter().map(|rows| f(&rows[i])));
            Row {
                policy: first[i].policy,
                paid_all: col(|r| r.paid_all),
                paid_last_quarter: col(|r| r.paid_last_quarter),
                expected_last_quarter: col(|r| r.expected_last_quarter),
                vs_oracle: col(|r| r.vs_oracle),
                vs_bayes: col(|r| r.vs_bayes),
                invoices: col(|r| r.invoices),
                net_eur: col(|r| r.net_eur),
                eur_per_payment: col(|r| r.eur_per_payment),
                letter_share: col(|r| r.letter_share),
                decisions_per_sec: col(|r| r.decisions_per_sec),
            }
        })
        .collect()
}

pub fn table(title: &str, rows: &[Row]) -> String {
    let mut out = format!("{title}\n");
    let _ = writeln!(
        out,
        "{:<18} {:>9} {:>12} {:>13} {:>10} {:>9} {:>9} {:>11} {:>12} {:>8} {:>12}",
        "policy",
        "paid all",
        "paid last ¼",
        "E[paid] l. ¼",
        "vs oracle",
        "vs Bayes",
        "invoices",
        "net kEUR",
        "EUR/payment",
        "letters",
        "decisions/s"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<18} {:>8.1}% {:>11.1}% {:>12.1}% {:>9.1}% {:>8.1}% {:>9.0} {:>11.1} {:>12.3} {:>7.1}% {:>12.0}",
            r.policy,
            100.0 * r.paid_all,
            100.0 * r.paid_last_quarter,
            100.0 * r.expected_last_quarter,
            100.0 * r.vs_oracle,
            100.0 * r.vs_bayes,
            r.invoices,
            r.net_eur / 1000.0,
            r.eur_per_payment,
            100.0 * r.letter_share,
            r.decisions_per_sec
        );
    }
    out
}

/// The targets checked against the rows of each seed: the learner ahead of every baseline on
/// the last-quarter payment rate and on invoices collected, and at 95 % of the Bayes oracle's
/// last-quarter rate or more. Returns the text and whether every target was met.
pub fn targets(
    world: &str,
    seeds: &[u64],
    per_seed: &[Vec<Row>],
    learner: &str,
    baselines: &[&str],
) -> (String, bool) {
    let mut out = format!("targets in world {world} (last quarter; invoices over the run)\n");
    let mut all_met = true;
    let find = |rows: &[Row], name: &str| rows.iter().find(|r| r.policy == name).cloned();
    for (seed, rows) in seeds.iter().zip(per_seed) {
        let Some(me) = find(rows, learner) else { continue };
        let others: Vec<Row> = baselines.iter().filter_map(|b| find(rows, b)).collect();
        let best_rate = others.iter().max_by(|a, b| a.paid_last_quarter.total_cmp(&b.paid_last_quarter));
        let best_invoices = others.iter().max_by(|a, b| a.invoices.total_cmp(&b.invoices));
        let rate_ok = best_rate.is_none_or(|b| me.paid_last_quarter > b.paid_last_quarter);
        let invoices_ok = best_invoices.is_none_or(|b| me.invoices > b.invoices);
        // Without a Bayes oracle in the run there is nothing to compare with.
        let bayes_ok = me.vs_bayes.is_nan() || me.vs_bayes >= 0.95;
        all_met &= rate_ok && invoices_ok && bayes_ok;
        let verdict = |ok: bool| if ok { "ahead" } else { "BEHIND" };
        let _ = writeln!(
            out,
            "  seed {seed}: {learner} {:.1}% paid vs {} {:.1}% ({}); {:.0} invoices vs {} {:.0} ({}); \
             {:.1}% of the Bayes oracle ({})",
            100.0 * me.paid_last_quarter,
            best_rate.map_or("-", |b| b.policy),
            100.0 * best_rate.map_or(f64::NAN, |b| b.paid_last_quarter),
            verdict(rate_ok),
            me.invoices,
            best_invoices.map_or("-", |b| b.policy),
            best_invoices.map_or(f64::NAN, |b| b.invoices),
            verdict(invoices_ok),
            100.0 * me.vs_bayes,
            if bayes_ok { "met" } else { "missed" },
        );
    }
    (out, all_met)
}

/// Payment rate in a trailing window of `window` rounds, every `step` rounds from `window` on:
/// `(round, rate)`.
pub fn moving_rate(paid: &[f64], window: usize, step: usize) -> Vec<(usize, f64)> {
    let window = window.clamp(1, paid.len().max(1));
    let mut prefix = vec![0.0];
    for p in paid {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + p);
    }
    (window..=paid.len())
        .step_by(step.max(1))
        .map(|end| (end, (prefix[end] - prefix[end - window]) / window as f64))
        .collect()
}

const COLOURS: [&str; 9] =
    ["#7f7f7f", "#bcbd22", "#ff7f0e", "#9467bd", "#8c564b", "#1f77b4", "#2ca02c", "#d62728", "#17becf"];

/// A line chart of payment rate against round, one line per `(policy, curve)`.
pub fn learning_curves(
    title: &str,
    subtitle: &str,
    rounds: usize,
    curves: &[(&str, Vec<(usize, f64)>)],
) -> String {
    let (width, height) = (860.0, 500.0);
    let (left, right, top, bottom) = (60.0, 170.0, 56.0, 46.0);
    let (plot_w, plot_h) = (width - left - right, height - top - bottom);
    let highest = curves.iter().flat_map(|(_, c)| c.iter().map(|p| p.1)).fold(0.0, f64::max);
    let y_max = ((highest * 10.0).ceil() / 10.0).max(0.1);
    let x = |round: f64| left + plot_w * round / rounds.max(1) as f64;
    let y = |rate: f64| top + plot_h * (1.0 - rate / y_max);

    let mut svg = Svg::new(width, height);
    svg.rect(0.0, 0.0, width, height, "fill:#fff");
    svg.text((left, 22.0), "start", "font-size:15px;font-weight:bold", title);
    svg.text((left, 40.0), "start", "fill:#555", subtitle);
    let ticks = (y_max * 10.0).round() as usize;
    for i in 0..=ticks {
        let rate = i as f64 / 10.0;
        svg.line((left, y(rate)), (left + plot_w, y(rate)), "stroke:#e5e5e5");
        svg.text((left - 6.0, y(rate) + 4.0), "end", "fill:#555", &format!("{:.0}%", 100.0 * rate));
    }
    for i in 0..=4 {
        let round = rounds as f64 * i as f64 / 4.0;
        svg.line((x(round), top + plot_h), (x(round), top + plot_h + 4.0), "stroke:#555");
        svg.text((x(round), top + plot_h + 18.0), "middle", "fill:#555", &format!("{:.0}", round));
    }
    svg.line((left, top + plot_h), (left + plot_w, top + plot_h), "stroke:#555");
    svg.line((left, top), (left, top + plot_h), "stroke:#555");
    svg.text((left + plot_w / 2.0, height - 8.0), "middle", "fill:#333", "round");
    svg.text((14.0, top - 8.0), "start", "fill:#333", "paid");

    for (i, (policy, curve)) in curves.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<(f64, f64)> = curve.iter().map(|&(r, rate)| (x(r as f64), y(rate))).collect();
        // The learner under test is drawn heavier than the baselines and references.
        let width = if *policy == "mahnwerk" { 2.4 } else { 1.4 };
        svg.polyline(&points, &format!("stroke:{colour};stroke-width:{width}"));
        let ly = top + 10.0 + 20.0 * i as f64;
        svg.line(
            (width - right + 16.0, ly),
            (width - right + 40.0, ly),
            &format!("stroke:{colour};stroke-width:3"),
        );
        svg.text((width - right + 46.0, ly + 4.0), "start", "fill:#333", policy);
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_moving_rate_averages_a_trailing_window() {
        let paid = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        assert_eq!(moving_rate(&paid, 2, 2), vec![(2, 0.5), (4, 1.0), (6, 0.0)]);
        assert_eq!(moving_rate(&paid, 10, 1), vec![(6, 0.5)]);
    }
}
