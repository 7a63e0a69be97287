//! A comparison as text for a person, or as JSON (`--json`): the verdict first, then the
//! overall difference, per segment and per channel. Differences are in percentage points of
//! the payment rate.

use serde::Serialize;

use super::{CompareArgs, Comparison, Difference, Verdict};
use crate::candidate::TargetKind;
use crate::evaluate::report::JsonInterval;
use crate::ope::Interval;

#[derive(Serialize)]
struct JsonEstimator {
    candidate: f64,
    live: f64,
    difference: JsonInterval,
}

#[derive(Serialize)]
struct JsonDifference {
    name: String,
    n: usize,
    verdict: &'static str,
    dr: JsonEstimator,
    snips: JsonEstimator,
}

impl From<&Difference> for JsonDifference {
    fn from(d: &Difference) -> Self {
        JsonDifference {
            name: d.name.clone(),
            n: d.n,
            verdict: Verdict::of(&d.dr).as_str(),
            dr: JsonEstimator { candidate: d.candidate.dr, live: d.live.dr, difference: d.dr.into() },
            snips: JsonEstimator {
                candidate: d.candidate.snips.unwrap_or(f64::NAN),
                live: d.live.snips.unwrap_or(f64::NAN),
                difference: d.snips.into(),
            },
        }
    }
}

#[derive(Serialize)]
struct JsonChannel<'a> {
    channel: &'a str,
    candidate_share: f64,
    live_share: f64,
    dr_part: JsonInterval,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    verdict: &'static str,
    overall: JsonDifference,
    segments: Vec<JsonDifference>,
    channels: Vec<JsonChannel<'a>>,
    logged: f64,
    lines: usize,
    pending: usize,
    skipped_bad: usize,
    bootstrap: usize,
}

pub fn json(c: &Comparison) -> String {
    let report = JsonReport {
        verdict: c.verdict.as_str(),
        overall: (&c.overall).into(),
        segments: c.segments.iter().map(Into::into).collect(),
        channels: c
            .channels
            .iter()
            .map(|p| JsonChannel {
                channel: &p.name,
                candidate_share: p.candidate_share,
                live_share: p.live_share,
                dr_part: p.dr.into(),
            })
            .collect(),
        logged: c.logged,
        lines: c.counts.lines,
        pending: c.counts.pending,
        skipped_bad: c.counts.skipped,
        bootstrap: c.replicates,
    };
    serde_json::to_string(&report).expect("a report serialises")
}

fn pp(x: f64) -> String {
    format!("{:+.2}", 100.0 * x)
}

fn range(i: &Interval) -> String {
    format!("[{}, {}]", pp(i.lo), pp(i.hi))
}

/// One sentence: the verdict, the amount and the confidence.
pub fn verdict_sentence(d: &Difference) -> String {
    let amount = format!("{} percentage points of payment rate", pp(d.dr.value));
    let ci = format!("95 % interval {} to {}", pp(d.dr.lo), pp(d.dr.hi));
    match Verdict::of(&d.dr) {
        Verdict::Better => format!("better: {amount} (doubly robust, {ci}; better with 95 % confidence)"),
        Verdict::Worse => format!("worse: {amount} (doubly robust, {ci}; worse with 95 % confidence)"),
        Verdict::NotDistinguishable => format!(
            "not distinguishable: {amount} (doubly robust, {ci}): the log cannot tell them apart with 95 % confidence"
        ),
    }
}

pub fn text(c: &Comparison, args: &CompareArgs, target: TargetKind) -> String {
    let mut out = format!(
        "candidate {} vs live {} on {} ({} target)\n{} decisions with an outcome ({} lines, {} pending left out, {} bad lines skipped); the log's own payment rate {:.2} %\n\n",
        args.candidate.display(),
        args.live.display(),
        args.log.display(),
        target,
        c.overall.n,
        c.counts.lines,
        c.counts.pending,
        c.counts.skipped,
        100.0 * c.logged
    );
    out.push_str(&format!("verdict: the candidate is {}\n\n", verdict_sentence(&c.overall)));
    out.push_str(&format!(
        "                       candidate      live   difference, pp [95 %, paired bootstrap of {}]\n",
        c.replicates
    ));
    let o = &c.overall;
    out.push_str(&format!(
        "  doubly robust          {:>7.2} %  {:>7.2} %   {} {}\n",
        100.0 * o.candidate.dr,
        100.0 * o.live.dr,
        pp(o.dr.value),
        range(&o.dr)
    ));
    out.push_str(&format!(
        "  self-normalised IPS    {:>7.2} %  {:>7.2} %   {} {}\n",
        100.0 * o.candidate.snips.unwrap_or(f64::NAN),
        100.0 * o.live.snips.unwrap_or(f64::NAN),
        pp(o.snips.value),
        range(&o.snips)
    ));
    out.push_str("\nper segment (doubly robust)\n");
    for s in &c.segments {
        out.push_str(&format!(
            "  {:<10} n={:<8} {:>7.2} % vs {:>7.2} %   {} {}   {}\n",
            s.name,
            s.n,
            100.0 * s.candidate.dr,
            100.0 * s.live.dr,
            pp(s.dr.value),
            range(&s.dr),
            Verdict::of(&s.dr).as_str()
        ));
    }
    out.push_str(
        "\nper channel (share of choices; the channel's part of the doubly robust difference, pp)\n",
    );
    for p in &c.channels {
        out.push_str(&format!(
            "  {:<10} candidate {:>6.1} %  live {:>6.1} %   {} {}\n",
            p.name,
            100.0 * p.candidate_share,
            100.0 * p.live_share,
            pp(p.dr.value),
            range(&p.dr)
        ));
    }
    out
}
