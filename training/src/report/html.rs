//! The report's page: one self-contained `index.html` (no scripts, no external files) with each
//! chart inline and the table of numbers it was drawn from.

use super::stats::Tally;
use super::Chart;
use crate::log::ReadCounts;
use std::fmt::Write as _;

/// A table of text cells.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self::with_header(header.iter().map(|h| (*h).to_owned()).collect())
    }

    pub fn with_header(header: Vec<String>) -> Self {
        Table { header, rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        out.push_str("<table>\n<tr>");
        for h in &self.header {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
}

pub fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// The page.
pub fn page(log: &str, tally: &Tally, counts: &ReadCounts, charts: &[Chart]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mahnwerk decision report</title>\n\
         <style>body{font-family:sans-serif;max-width:780px;margin:2em auto;color:#222}\
         table{border-collapse:collapse;margin:0.5em 0 2em;font-size:13px}\
         td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f3f3f3}\
         section{margin-bottom:2.5em}</style></head><body>\n",
    );
    let _ = writeln!(out, "<h1>Decision report</h1>\n<p>Log <code>{}</code>: {} decisions, {} settled, {} pending (left out of the rates), {} lines skipped. Overall payment rate {} ({}).</p>",
        escape(log),
        tally.decisions,
        tally.settled,
        counts.pending,
        counts.skipped,
        percent(tally.overall.rate().unwrap_or(0.0)),
        tally.overall.ci95().map_or(String::new(), |(lo, hi)| format!("95 % interval {} – {}", percent(lo), percent(hi))),
    );
    if tally.unpriced > 0 {
        let _ = writeln!(out, "<p>{} settled decisions had neither <code>cost_eur</code> nor a list price and are left out of the costs.</p>", tally.unpriced);
    }
    out.push_str("<p>Rates count settled decisions (reward 0 or 1); intervals are Wilson's 95 % score intervals. Collected money is the open amount (<code>context.amount</code>, in the invoice's currency, not converted) of decisions rewarded 1.</p>\n");
    for chart in charts {
        let _ = writeln!(out, "<section id=\"{}\"><h2>{}</h2>", chart.name, escape(&chart.title));
        out.push_str(&chart.svg);
        chart.table.render(&mut out);
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
