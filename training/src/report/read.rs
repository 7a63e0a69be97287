//! The fields of a decision log the report draws, read line by line; a broken line is an error
//! naming its number and field (or, with `--skip-bad`, skipped and counted).

use crate::log::{BadLine, ReadCounts};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::io::BufRead;

/// One decision as the report needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    pub at: DateTime<Utc>,
    pub channel: String,
    /// The chosen local hour.
    pub hour: u8,
    /// 1-based; 0 when the line has none.
    pub stage: u32,
    pub segment: String,
    /// `None` while the outcome is pending.
    pub reward: Option<f64>,
    /// `context.amount`: the open amount.
    pub amount: Option<f64>,
    /// `cost_eur`, if the line has it (exported logs do).
    pub cost_eur: Option<f64>,
    /// Hours from sending to payment: `hours_to_pay`, else for a rewarded line the time from
    /// `sent_at` to `occurred_at` (the service settles a reward of 1 at the payment).
    pub hours_to_pay: Option<f64>,
    /// The family of the policy that decided: `policy_version` up to its `-v<N>` (`bandit`,
    /// `fixed`), or `unknown` when the line has none.
    pub policy: String,
    /// The per-debtor key (`tenant/debtor`), if the line has one.
    pub debtor: Option<String>,
}

/// Reads every line of `reader` (`name` for messages) and hands each decision to `each`, so that
/// only what the caller keeps of it stays in memory.
pub fn read(
    reader: impl BufRead,
    name: &str,
    skip_bad: bool,
    mut each: impl FnMut(Obs),
) -> anyhow::Result<ReadCounts> {
    let mut counts = ReadCounts::default();
    let mut decisions = 0usize;
    for (index, text) in reader.lines().enumerate() {
        let text = text.map_err(|e| anyhow::anyhow!("{name}: line {}: {e}", index + 1))?;
        if text.trim().is_empty() {
            continue;
        }
        counts.lines += 1;
        match parse(index + 1, &text) {
            Ok(obs) => {
                if obs.reward.is_none() {
                    counts.pending += 1;
                }
                decisions += 1;
                each(obs);
            }
            Err(bad) => counts.bad(bad, name, skip_bad)?,
        }
    }
    anyhow::ensure!(decisions > 0, "{name}: no decision to draw");
    Ok(counts)
}

/// Reads line `line` (1-based).
pub fn parse(line: usize, text: &str) -> Result<Obs, BadLine> {
    let bad = |field: &str, reason: String| BadLine { line, field: field.to_owned(), reason };
    let value: Value = serde_json::from_str(text).map_err(|e| bad("json", format!("not JSON: {e}")))?;
    let Value::Object(object) = value else { return Err(bad("json", "not a JSON object".into())) };
    let field = |name: &str| object.get(name).filter(|v| !v.is_null());
    let time = |name: &str| -> Result<Option<DateTime<Utc>>, BadLine> {
        match field(name) {
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| bad(name, format!("must be an RFC 3339 time, got {s:?}: {e}"))),
            Some(other) => Err(bad(name, format!("must be an RFC 3339 time, got {other}"))),
            None => Ok(None),
        }
    };
    let number =
        |name: &str, v: Option<&Value>, ok: fn(f64) -> bool, what: &str| -> Result<Option<f64>, BadLine> {
            match v {
                Some(v) => v
                    .as_f64()
                    .filter(|x| ok(*x))
                    .map(Some)
                    .ok_or_else(|| bad(name, format!("must be {what}, got {v}"))),
                None => Ok(None),
            }
        };
    let non_negative = |x: f64| x.is_finite() && x >= 0.0;

    let at = time("at")?.ok_or_else(|| bad("at", "is missing".into()))?;
    let channel = match field("channel") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => return Err(bad("channel", format!("must be a non-empty string, got {other}"))),
        None => return Err(bad("channel", "is missing".into())),
    };
    let hour = match field("hour") {
        Some(v) => v
            .as_u64()
            .filter(|h| *h <= 23)
            .map(|h| h as u8)
            .ok_or_else(|| bad("hour", format!("must be an integer in 0..=23, got {v}")))?,
        None => return Err(bad("hour", "is missing".into())),
    };
    let reward =
        number("reward", field("reward"), |r| (0.0..=1.0).contains(&r), "a number in [0, 1] or null")?;
    let empty = Map::new();
    let context = match field("context") {
        Some(Value::Object(map)) => map,
        Some(other) => return Err(bad("context", format!("must be an object, got {other}"))),
        None => &empty,
    };
    let in_context = |key: &str| context.get(key).filter(|v| !v.is_null());
    let stage = match field("stage").or_else(|| in_context("stage")) {
        Some(v) => v
            .as_u64()
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| bad("stage", format!("must be a positive integer, got {v}")))?,
        None => 0,
    };
    let segment = match in_context("segment") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(bad("context.segment", format!("must be a string, got {other}"))),
        None => "unknown".to_owned(),
    };
    let amount = number("context.amount", in_context("amount"), non_negative, "a number >= 0")?;
    let cost_eur = number("cost_eur", field("cost_eur"), non_negative, "a number >= 0")?;
    let hours_to_pay = match number("hours_to_pay", field("hours_to_pay"), non_negative, "a number >= 0")? {
        Some(h) => Some(h),
        None if reward == Some(1.0) => match (time("sent_at")?, time("occurred_at")?) {
            (Some(sent), Some(settled)) if settled >= sent => {
                Some((settled - sent).num_seconds() as f64 / 3600.0)
            }
            _ => None,
        },
        None => None,
    };
    let policy = match field("policy_version") {
        Some(Value::String(version)) => policy_family(version),
        Some(other) => return Err(bad("policy_version", format!("must be a string, got {other}"))),
        None => "unknown".to_owned(),
    };
    let debtor = match field("debtor") {
        Some(Value::String(key)) => Some(key.clone()),
        Some(other) => return Err(bad("debtor", format!("must be a string or null, got {other}"))),
        None => None,
    };
    Ok(Obs { at, channel, hour, stage, segment, reward, amount, cost_eur, hours_to_pay, policy, debtor })
}

/// `bandit-v12` → `bandit`, `fixed-v1` → `fixed`; a version without `-v<digits>` is its own
/// family.
fn policy_family(version: &str) -> String {
    match version.rsplit_once("-v") {
        Some((family, number)) if !family.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
            family.to_owned()
        }
        _ => version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"at":"2026-10-17T06:00:00Z","channel":"sms","hour":18,"stage":1,"reward":1.0,
        "context":{"segment":"b2c","amount":120.5},"cost_eur":0.08,
        "hours_to_pay":30.5,"policy_version":"bandit-v12"}"#;

    #[test]
    fn reads_an_exported_line() {
        let obs = parse(1, &GOOD.replace('\n', "")).unwrap();
        assert_eq!((obs.channel.as_str(), obs.hour, obs.stage, obs.segment.as_str()), ("sms", 18, 1, "b2c"));
        assert_eq!(
            (obs.reward, obs.amount, obs.cost_eur, obs.hours_to_pay),
            (Some(1.0), Some(120.5), Some(0.08), Some(30.5))
        );
        assert_eq!(obs.policy, "bandit");
    }

    #[test]
    fn the_policy_family_drops_the_version_number() {
        assert_eq!(policy_family("bandit-v12"), "bandit");
        assert_eq!(policy_family("fixed-v1"), "fixed");
        assert_eq!(policy_family("linucb"), "linucb");
        assert_eq!(policy_family("my-vendor-vx"), "my-vendor-vx");
        let without = GOOD.replace('\n', "").replace(",\"policy_version\":\"bandit-v12\"", "");
        assert_eq!(parse(1, &without).unwrap().policy, "unknown");
    }

    #[test]
    fn broken_lines_name_their_line_and_field() {
        let cases = [
            (GOOD.replace("\"hour\":18", "\"hour\":24"), "hour"),
            (GOOD.replace("2026-10-17T06:00:00Z", "yesterday"), "at"),
            (GOOD.replace("\"amount\":120.5", "\"amount\":\"lots\""), "context.amount"),
            (GOOD.replace("\"reward\":1.0", "\"reward\":2"), "reward"),
            (GOOD.replace("\"channel\":\"sms\",", ""), "channel"),
            (GOOD.replace("\"bandit-v12\"", "12"), "policy_version"),
            ("[1,2]".to_owned(), "json"),
        ];
        for (text, field) in cases {
            let error = parse(7, &text.replace('\n', "")).unwrap_err();
            assert_eq!((error.line, error.field.as_str()), (7, field), "{error}");
        }
    }

    #[test]
    fn skip_bad_counts_instead_of_stopping() {
        let log = format!("{}\nnot json\n", GOOD.replace('\n', ""));
        let stopped = read(log.as_bytes(), "x.jsonl", false, |_| {}).unwrap_err().to_string();
        assert!(stopped.contains("line 2") && stopped.contains("`json`"), "{stopped}");
        let mut seen = 0;
        let counts = read(log.as_bytes(), "x.jsonl", true, |_| seen += 1).unwrap();
        assert_eq!((seen, counts.skipped), (1, 1));
    }
}
