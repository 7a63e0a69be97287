//! Reading a decision log (docs/decision-log.md) for off-policy evaluation: one [`LogLine`] per
//! decision with an outcome, pending lines counted and left out, broken lines either an error
//! naming the line and the field or, when the caller allows it, skipped and counted.
//!
//! # Layout
//! `line` (one line, field by field) · `context` (the `context` object as the learner's
//! features).

mod context;
mod line;

use std::io::BufRead;

pub use context::to_context;
pub use line::{parse, BadLine, LogLine};

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

/// Reads every line of `reader` and hands each decision with an outcome to `each`, in order.
/// A broken line stops the read with a [`BadLine`] error unless `skip_bad`; `name` (the file)
/// prefixes errors.
pub fn read(
    reader: impl BufRead,
    name: &str,
    skip_bad: bool,
    mut each: impl FnMut(LogLine) -> anyhow::Result<()>,
) -> anyhow::Result<ReadCounts> {
    let mut counts = ReadCounts::default();
    for (index, text) in reader.lines().enumerate() {
        let text = text.map_err(|e| anyhow::anyhow!("{name}: reading line {}: {e}", index + 1))?;
        if text.trim().is_empty() {
            continue;
        }
        counts.lines += 1;
        match parse(index + 1, &text) {
            Ok(line) if line.reward.is_none() => counts.pending += 1,
            Ok(line) => each(line)?,
            Err(bad) if skip_bad => {
                counts.skipped += 1;
                if counts.first_skipped.len() < NAMED_SKIPS {
                    counts.first_skipped.push(bad);
                }
            }
            Err(bad) => anyhow::bail!("{name}: {bad} (--skip-bad skips such lines and counts them)"),
        }
    }
    anyhow::ensure!(counts.lines > 0, "{name} holds no decisions");
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
    fn a_broken_line_stops_the_read_without_skip_bad() {
        let text = format!("{LINE}\n{}\n", LINE.replace(r#""hour":9,"#, r#""hour":-1,"#));
        let error = read(text.as_bytes(), "log.jsonl", false, |_| Ok(())).unwrap_err().to_string();
        assert!(error.starts_with("log.jsonl: line 2: field `hour`"), "{error}");
    }
}
