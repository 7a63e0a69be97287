//! `mahnwerk-train report`: a decision log's plots as SVG and PNG files and one self-contained
//! HTML page (`index.html`, the SVGs inline) with the numbers behind each.
//!
//! # Layout
//! `read` (the log's lines, field by field) · `stats` (the numbers, one pass) · `calibration`
//! (the evaluation's payment model, held out, against the outcomes) · `charts` (the SVGs) ·
//! `png` (the same, rasterised) · `html` (the page).

mod calibration;
mod charts;
mod html;
mod png;
mod read;
mod stats;

use anyhow::Context as _;
use calibration::{Calibration, Observations};
use charts::{Bar, RateLine, Reliability};
use stats::{Rate, Tally};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Decision log (JSON lines, docs/decision-log.md): an export, a simulated log or events.
    #[arg(long)]
    pub log: PathBuf,
    /// Directory for the SVGs, PNGs and index.html (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Skip lines that cannot be read, and count them, instead of stopping at the first.
    #[arg(long)]
    pub skip_bad: bool,
    /// Heatmap cells with fewer settled decisions than this are greyed out.
    #[arg(long, default_value_t = 20)]
    pub min_cell: u64,
}

/// One chart: its file name (without extension), title, SVG, and the table behind it.
pub struct Chart {
    pub name: &'static str,
    pub title: String,
    pub svg: String,
    pub table: html::Table,
}

/// Draws the report; returns a summary naming the files.
pub fn run(args: &ReportArgs) -> anyhow::Result<String> {
    let name = args.log.display().to_string();
    let file = std::fs::File::open(&args.log).with_context(|| format!("opening {name}"))?;
    let prices = mahnwerk::config::default_costs_eur();
    let price = |channel: &str| channel.parse().ok().and_then(|c| prices.get(&c).copied());
    let mut tally = Tally::default();
    let mut observations = Observations::default();
    let counts = read::read(std::io::BufReader::new(file), &name, args.skip_bad, |obs| {
        tally.add(&obs, price);
        observations.add(&obs);
    })?;
    anyhow::ensure!(tally.settled > 0, "{name}: every decision is still pending: no payment rate to draw");
    let mut charts = charts(&tally, args.min_cell);
    if let Some(calibration) = observations.calibrate() {
        charts.push(calibration_chart(&calibration));
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    for chart in &charts {
        write(&args.out.join(format!("{}.svg", chart.name)), &chart.svg)?;
        let picture = png::png(&chart.svg).with_context(|| format!("drawing {}.png", chart.name))?;
        write(&args.out.join(format!("{}.png", chart.name)), &picture)?;
    }
    let page = html::page(&name, &tally, &counts, &charts);
    write(&args.out.join("index.html"), &page)?;
    Ok(format!(
        "{} decisions ({} settled, {} pending, {} skipped): {} charts (SVG and PNG) and index.html in {}",
        tally.decisions,
        tally.settled,
        counts.pending,
        counts.skipped,
        charts.len(),
        args.out.display()
    ))
}

fn write(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

fn rate_bar(label: String, rate: &Rate) -> Bar {
    Bar { label, value: rate.rate().unwrap_or(0.0), interval: rate.ci95(), n: rate.n }
}

fn rate_rows(rates: impl Iterator<Item = (String, Rate)>) -> (Vec<Bar>, html::Table) {
    let mut bars = Vec::new();
    let mut table = html::Table::new(&["", "settled", "paid", "rate", "95 % interval"]);
    for (label, rate) in rates {
        let (lo, hi) = rate.ci95().unwrap_or((0.0, 0.0));
        table.row(vec![
            label.clone(),
            rate.n.to_string(),
            format!("{:.0}", rate.paid),
            html::percent(rate.rate().unwrap_or(0.0)),
            format!("{} – {}", html::percent(lo), html::percent(hi)),
        ]);
        bars.push(rate_bar(label, &rate));
    }
    (bars, table)
}

fn charts(tally: &Tally, min_cell: u64) -> Vec<Chart> {
    let mut charts = Vec::new();

    let (bars, table) = rate_rows(tally.by_channel.iter().map(|(c, r)| (c.clone(), *r)));
    let title = "Payment rate by channel (95 % Wilson intervals)".to_owned();
    let svg = charts::bars(&title, "paid within the attribution window", &bars, true);
    charts.push(Chart { name: "rate_by_channel", title, svg, table });

    let stage_label = |s: u32| if s == 0 { "no stage".to_owned() } else { format!("stage {s}") };
    let (bars, table) = rate_rows(tally.by_stage.iter().map(|(s, r)| (stage_label(*s), *r)));
    let title = "Payment rate by stage (95 % Wilson intervals)".to_owned();
    let svg = charts::bars(&title, "paid within the attribution window", &bars, true);
    charts.push(Chart { name: "rate_by_stage", title, svg, table });

    charts.push(heatmap(tally, min_cell));
    charts.push(days_to_pay(tally));
    charts.push(channel_mix(tally));
    charts.push(learning_curve(tally));
    charts.push(cost_per_collected(tally));
    charts
}

fn heatmap(tally: &Tally, min_cell: u64) -> Chart {
    let channels: Vec<String> = tally.by_channel.keys().cloned().collect();
    let mut hours: Vec<u8> = tally.by_channel_hour.keys().map(|(_, h)| *h).collect();
    hours.sort_unstable();
    hours.dedup();
    let cell = |c: &str, h: u8| {
        let rate = tally.by_channel_hour.get(&(c.to_owned(), h))?;
        Some((rate.rate()?, rate.n))
    };
    let title = "Payment rate by channel and local hour".to_owned();
    let svg = charts::heatmap(&title, &channels, &hours, min_cell, cell);
    let mut header = vec!["channel \\ hour".to_owned()];
    header.extend(hours.iter().map(|h| h.to_string()));
    let mut table = html::Table::with_header(header);
    for channel in &channels {
        let mut row = vec![channel.clone()];
        row.extend(hours.iter().map(|h| match cell(channel, *h) {
            Some((rate, n)) => format!("{} ({n})", html::percent(rate)),
            None => String::new(),
        }));
        table.row(row);
    }
    Chart { name: "heatmap_channel_hour", title, svg, table }
}

fn days_to_pay(tally: &Tally) -> Chart {
    let mut months: Vec<String> = tally.days_to_pay.keys().map(|(m, _)| m.clone()).collect();
    months.dedup();
    let mut segments: Vec<String> = tally.days_to_pay.keys().map(|(_, s)| s.clone()).collect();
    segments.sort();
    segments.dedup();
    let value =
        |m: &str, s: &str| tally.days_to_pay.get(&(m.to_owned(), s.to_owned())).and_then(|x| x.value());
    let title = "Days from the reminder to payment, by month and segment".to_owned();
    let svg = charts::grouped_bars(&title, "mean days to pay", &months, &segments, value);
    let mut table = html::Table::new(&["month", "segment", "payments", "mean days to pay"]);
    for ((month, segment), mean) in &tally.days_to_pay {
        let days = mean.value().map_or(String::new(), |d| format!("{d:.2}"));
        table.row(vec![month.clone(), segment.clone(), mean.n.to_string(), days]);
    }
    Chart { name: "days_to_pay", title, svg, table }
}

fn channel_mix(tally: &Tally) -> Chart {
    let channels: Vec<String> = tally.by_channel.keys().cloned().collect();
    let periods: Vec<(String, Vec<u64>)> = tally
        .mix_periods(30)
        .into_iter()
        .map(|(start, counts)| {
            let row = channels.iter().map(|c| counts.get(c).copied().unwrap_or(0)).collect();
            (start.format("%m-%d").to_string(), row)
        })
        .collect();
    let title = "The policy's channel mix over time".to_owned();
    let svg = charts::stacked_shares(&title, &periods, &channels);
    let mut header = vec!["from".to_owned()];
    header.extend(channels.iter().cloned());
    let mut table = html::Table::with_header(header);
    for (start, counts) in &periods {
        let mut row = vec![start.clone()];
        row.extend(counts.iter().map(|n| n.to_string()));
        table.row(row);
    }
    Chart { name: "channel_mix", title, svg, table }
}

/// The payment rate of each period's settled decisions, one line per policy family: whether
/// the adaptive policy improved on itself over time, and on the fixed schedule where both ran.
fn learning_curve(tally: &Tally) -> Chart {
    let periods = tally.learning_periods(20);
    let families: Vec<String> = {
        let mut all: Vec<String> = periods.iter().flat_map(|(_, rates)| rates.keys().cloned()).collect();
        all.sort();
        all.dedup();
        all
    };
    let labels: Vec<String> = periods.iter().map(|(start, _)| start.format("%Y-%m-%d").to_string()).collect();
    let lines: Vec<RateLine> = families
        .iter()
        .map(|family| RateLine {
            name: family.clone(),
            points: periods
                .iter()
                .map(|(_, rates)| rates.get(family).and_then(|r| Some((r.rate()?, r.ci95()?))))
                .collect(),
        })
        .collect();
    let title = "Learning curve: payment rate over time, per policy".to_owned();
    let svg = charts::rate_lines(&title, "paid within the attribution window", &labels, &lines);
    let mut header = vec!["from".to_owned()];
    for family in &families {
        header.extend([format!("{family}: settled"), format!("{family}: payment rate (95 % interval)")]);
    }
    let mut table = html::Table::with_header(header);
    for ((_, rates), label) in periods.iter().zip(&labels) {
        let mut row = vec![label.clone()];
        for family in &families {
            let rate = rates.get(family).copied().unwrap_or_default();
            row.push(rate.n.to_string());
            row.push(match (rate.rate(), rate.ci95()) {
                (Some(p), Some((lo, hi))) => {
                    format!("{:.1} % ({:.1}–{:.1} %)", p * 100.0, lo * 100.0, hi * 100.0)
                }
                _ => "–".to_owned(),
            });
        }
        table.row(row);
    }
    Chart { name: "learning_curve", title, svg, table }
}

/// The reliability curve of the evaluation's payment model, held out.
fn calibration_chart(calibration: &Calibration) -> Chart {
    let mut points = Vec::new();
    let mut table =
        html::Table::new(&["predicted (bin)", "decisions", "mean predicted", "observed (95 % interval)"]);
    for (i, bin) in calibration.bins.iter().enumerate() {
        let range = format!("{}–{} %", i * 100 / calibration::BINS, (i + 1) * 100 / calibration::BINS);
        let (Some(predicted), Some(observed), Some(interval)) =
            (bin.mean_predicted(), bin.observed.rate(), bin.observed.ci95())
        else {
            table.row(vec![range, "0".to_owned(), "–".to_owned(), "–".to_owned()]);
            continue;
        };
        points.push(Reliability { predicted, observed, interval, n: bin.observed.n });
        table.row(vec![
            range,
            bin.observed.n.to_string(),
            format!("{:.1} %", predicted * 100.0),
            format!("{:.1} % ({:.1}–{:.1} %)", observed * 100.0, interval.0 * 100.0, interval.1 * 100.0),
        ]);
    }
    let note = format!(
        "Brier score {:.4} held out (predicting the overall rate: {:.4}); {} settled decisions",
        calibration.brier, calibration.brier_constant, calibration.n
    );
    table.row(vec![
        "Brier score".to_owned(),
        calibration.n.to_string(),
        format!("{:.4}", calibration.brier),
        format!("overall rate: {:.4}", calibration.brier_constant),
    ]);
    let title = "Calibration of the evaluation's payment model (5-fold cross-fitted)".to_owned();
    let svg = charts::reliability(&title, &points, &note);
    Chart { name: "calibration", title, svg, table }
}

fn cost_per_collected(tally: &Tally) -> Chart {
    let mut bars = Vec::new();
    let mut table = html::Table::new(&[
        "channel",
        "settled",
        "cost (EUR)",
        "collected",
        "cost in EUR cents per unit collected",
    ]);
    let total = tally.total_cost();
    for (channel, sum) in tally.cost.iter().chain(std::iter::once((&"all".to_owned(), &total))) {
        let per = sum.per_collected();
        table.row(vec![
            channel.clone(),
            sum.n.to_string(),
            format!("{:.2}", sum.cost),
            format!("{:.2}", sum.collected),
            per.map_or("nothing collected".to_owned(), |p| format!("{:.4}", p * 100.0)),
        ]);
        if let Some(per) = per {
            // In cents: a euro's cost is a fraction of a cent for most channels.
            bars.push(Bar { label: channel.clone(), value: per * 100.0, interval: None, n: sum.n });
        }
    }
    let title = "Channel cost per collected unit of money".to_owned();
    let svg = charts::bars(&title, "EUR cents spent per unit collected", &bars, false);
    Chart { name: "cost_per_collected", title, svg, table }
}
