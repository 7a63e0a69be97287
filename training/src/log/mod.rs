//! Reading a decision log (docs/decision-log.md) for off-policy evaluation: one [`LogLine`] per
//! decision with an outcome, pending lines counted and left out, broken lines either an error
//! naming the line and the field or, when the caller allows it, skipped and counted.
//!
//! # Layout
//! `line` (one line, field by field); the `context` object becomes the learner's features
//! through the service's own `to_context`.

mod line;

use std::io::BufRead;

pub use line::{parse, BadLine, LogLine};
/// A decision log's `context` object as the learner's features: the service's own conversion,
/// so a model is asked here exactly as the scheduler asks it.
pub use mahnwerk::learn::policy::to_context;

/// What reading a log found besides the decisions handed on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadCounts {
    /// Non-blank lines.
    pub lines: usize,
    /// Lines whose `reward` is null or absent: the outcome is pending, so they are left out.
    pub pending: usize,
    /// Lines skipped as broken (only with `skip_bad`).
    pub skipped: usize,
    /// The first few skipped lines, for the report.
    pub first_skipped: Vec<BadLine>,
}

/// How many skipped lines a report names.
const NAMED_SKIPS: usize = 5;

impl ReadCounts {
    /// Counts a broken line when `skip_bad`; otherwise the error that stops the read.
    pub fn bad(&mut self, bad: BadLine, name: &str, skip_bad: bool) -> anyhow::Result<()> {
        anyhow::ensure!(skip_bad, "{name}: {bad} (--skip-bad skips such lines and counts them)");
        self.skipped += 1;
        if self.first_skipped.len() < NAMED_SKIPS {
            self.first_skipped.push(bad);
        }
        Ok(())
    }
}

/// Reads the non-blank lines of `reader` in batches of up to `max`, each with its 1-based line
/// number, so that the caller can work on a batch on several threads; `name` (the file)
/// prefixes errors.
pub fn batches<'a, R: BufRead + 'a>(
    reader: R,
    name: &'a str,
    max: usize,
) -> impl Iterator<Item = anyhow::Result<Vec<(usize, String)>>> + 'a {
    let mut lines = reader.lines().enumerate();
    std::iter::from_fn(move || {
        let mut batch = Vec::new();
        while batch.len() < max {
            match lines.next() {
                None => break,
                Some((index, Err(e))) => {
                    return Some(Err(anyhow::anyhow!("{name}: reading line {}: {e}", index + 1)))
                }
                Some((_, Ok(text))) if text.trim().is_empty() => {}
                Some((index, Ok(text))) => batch.push((index + 1, text)),
            }
        }
        (!batch.is_empty()).then_some(Ok(batch))
    })
    .fuse()
}

/// Reads every line of `reader` and hands each decision with an outcome to `each`, in order.
/// A broken line stops the read with a [`BadLine`] error unless `skip_bad`.
#[cfg(test)]
pub fn read(
    reader: impl BufRead,
    name: &str,
    skip_bad: bool,
    mut each: impl FnMut(LogLine) -> anyhow::Result<()>,
) -> anyhow::Result<ReadCounts> {
    let mut counts = ReadCounts::default();
    for batch in batches(reader, name, 64) {
        for (number, text) in batch? {
            counts.lines += 1;
            match parse(number, &text) {
                Ok(line) if line.reward.is_none() => counts.pending += 1,
                Ok(line) => each(line)?,
                Err(bad) => counts.bad(bad, name, skip_bad)?,
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"{"channels":["email"],"hours":[9],"channel":"email","hour":9,"propensity":1,"reward":0}"#;

    #[test]
    fn counts_pending_and_skipped_lines() {
        let text = format!(
            "{LINE}\n\n{}\n{{\"channel\":\n{LINE}\n",
            LINE.replace(r#""reward":0"#, r#""reward":null"#)
        );
        let mut seen = Vec::new();
        let counts = read(text.as_bytes(), "log", true, |l| {
            seen.push(l.line);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [1, 5]);
        assert_eq!((counts.lines, counts.pending, counts.skipped), (4, 1, 1));
        assert_eq!(counts.first_skipped[0].line, 4);
    }

    #[test]
    fn batches_hold_every_non_blank_line_once_with_its_number() {
        let text = "a\n\nb\nc\n  \nd\ne";
        let batches: Vec<Vec<(usize, String)>> =
            batches(text.as_bytes(), "log", 2).map(Result::unwrap).collect();
        let numbers: Vec<Vec<usize>> = batches.iter().map(|b| b.iter().map(|(n, _)| *n).collect()).collect();
        assert_eq!(numbers, [vec![1, 3], vec![4, 6], vec![7]]);
    }

    #[test]
    fn a_broken_line_stops_the_read_without_skip_bad() {
        let text = format!("{LINE}\n{}\n", LINE.replace(r#""hour":9,"#, r#""hour":-1,"#));
        let error = read(text.as_bytes(), "log.jsonl", false, |_| Ok(())).unwrap_err().to_string();
        assert!(error.starts_with("log.jsonl: line 2: field `hour`"), "{error}");
    }
}
