//! One decision-log line as `evaluate` and `compare` need it, checked field by field so that a
//! broken line is reported with the field at fault (docs/decision-log.md has the format).
//!
//! Off-policy evaluation needs more of a line than `fit` does: the `propensity` of the logged
//! choice and the allowed `channels` and `hours`, without which the candidate cannot be asked
//! what it would have done. A line without them is bad here even though `fit` reads it.

use std::fmt;

use mahnwerk_models::bandit::Context;
use serde_json::{Map, Value};

use super::to_context;

/// A line that cannot be used, with its 1-based number and the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    pub line: usize,
    /// The JSON key at fault (`context.amount` for a nested one), or `json` when the line is not
    /// a JSON object at all.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: field `{}`: {}", self.line, self.field, self.reason)
    }
}

impl std::error::Error for BadLine {}

/// A decision with everything evaluation uses.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub line: usize,
    /// The per-debtor key (`tenant/debtor`), if the line has one.
    pub debtor: Option<String>,
    pub context: Context,
    /// `context.segment`, if a string.
    pub segment: Option<String>,
    /// `context.amount`, if a number: the open amount, for the collected-minus-cost figures.
    pub amount: Option<f64>,
    /// The allowed channels and hours: the candidate chooses among `channels x hours`.
    pub channels: Vec<String>,
    pub hours: Vec<u8>,
    pub channel: String,
    pub hour: u8,
    /// `stage`, else `context.stage`; 0 when neither is given.
    pub stage: u8,
    pub propensity: f64,
    /// `None` while the outcome is pending.
    pub reward: Option<f64>,
}

/// Reads line number `line` (1-based) of a log.
pub fn parse(line: usize, text: &str) -> Result<LogLine, BadLine> {
    let bad = |field: &str, reason: String| BadLine { line, field: field.to_owned(), reason };
    let value: Value = serde_json::from_str(text).map_err(|e| bad("json", format!("not JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(bad("json", "not a JSON object".into()));
    };
    let field = |name: &str| object.get(name).filter(|v| !v.is_null());

    let channel = match field("channel") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => return Err(bad("channel", format!("must be a non-empty string, got {other}"))),
        None => return Err(bad("channel", "is missing".into())),
    };
    let hour = match field("hour") {
        Some(v) => hour_of(v).ok_or_else(|| bad("hour", format!("must be an integer in 0..=23, got {v}")))?,
        None => return Err(bad("hour", "is missing".into())),
    };
    let propensity = match field("propensity") {
        Some(v) => v
            .as_f64()
            .filter(|p| *p > 0.0 && *p <= 1.0)
            .ok_or_else(|| bad("propensity", format!("must be a number in (0, 1], got {v}")))?,
        None => {
            return Err(bad(
                "propensity",
                "is missing or null: without the logging policy's propensity no estimate is possible".into(),
            ))
        }
    };
    let reward = match field("reward") {
        Some(v) => Some(
            v.as_f64()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| bad("reward", format!("must be a number in [0, 1] or null, got {v}")))?,
        ),
        None => None,
    };
    let channels = match field("channels") {
        Some(Value::Array(items)) => channel_list(items).map_err(|reason| bad("channels", reason))?,
        Some(other) => return Err(bad("channels", format!("must be an array of channel names, got {other}"))),
        None => return Err(bad("channels", "is missing or null: the candidate cannot be asked without the allowed channels (lines planned before they were recorded)".into())),
    };
    let hours = match field("hours") {
        Some(Value::Array(items)) => hour_list(items).map_err(|reason| bad("hours", reason))?,
        Some(other) => return Err(bad("hours", format!("must be an array of hours, got {other}"))),
        None => {
            return Err(bad(
                "hours",
                "is missing or null: the candidate cannot be asked without the allowed hours".into(),
            ))
        }
    };
    if !channels.contains(&channel) {
        return Err(bad("channel", format!("{channel:?} is not among the allowed `channels`")));
    }
    if !hours.contains(&hour) {
        return Err(bad("hour", format!("{hour} is not among the allowed `hours`")));
    }
    let empty = Map::new();
    let context_map = match field("context") {
        Some(Value::Object(map)) => map,
        Some(other) => return Err(bad("context", format!("must be an object, got {other}"))),
        None => &empty,
    };
    let amount = match context_map.get("amount").filter(|v| !v.is_null()) {
        Some(v) => Some(
            v.as_f64()
                .filter(|a| a.is_finite() && *a >= 0.0)
                .ok_or_else(|| bad("context.amount", format!("must be a number >= 0, got {v}")))?,
        ),
        None => None,
    };
    let stage_value = field("stage").or_else(|| context_map.get("stage").filter(|v| !v.is_null()));
    let stage = match stage_value {
        Some(v) => v
            .as_u64()
            .and_then(|s| u8::try_from(s).ok())
            .filter(|s| *s >= 1)
            .ok_or_else(|| bad("stage", format!("must be an integer from 1, got {v}")))?,
        None => 0,
    };
    let debtor = match field("debtor") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(bad("debtor", format!("must be a string or null, got {other}"))),
        None => None,
    };
    Ok(LogLine {
        line,
        debtor,
        context: to_context(context_map),
        segment: context_map.get("segment").and_then(Value::as_str).map(str::to_owned),
        amount,
        channels,
        hours,
        channel,
        hour,
        stage,
        propensity,
        reward,
    })
}

fn hour_of(v: &Value) -> Option<u8> {
    v.as_u64().and_then(|h| u8::try_from(h).ok()).filter(|h| *h <= 23)
}

fn channel_list(items: &[Value]) -> Result<Vec<String>, String> {
    let mut channels: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) if !s.is_empty() && !channels.contains(s) => channels.push(s.clone()),
            Value::String(s) if !s.is_empty() => return Err(format!("lists {s:?} twice")),
            other => return Err(format!("must hold non-empty channel names, got {other}")),
        }
    }
    if channels.is_empty() {
        return Err("must name at least one channel".into());
    }
    Ok(channels)
}

fn hour_list(items: &[Value]) -> Result<Vec<u8>, String> {
    let mut hours: Vec<u8> = Vec::with_capacity(items.len());
    for item in items {
        let hour = hour_of(item).ok_or_else(|| format!("must hold integers in 0..=23, got {item}"))?;
        if hours.contains(&hour) {
            return Err(format!("lists {hour} twice"));
        }
        hours.push(hour);
    }
    if hours.is_empty() {
        return Err("must allow at least one hour".into());
    }
    Ok(hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"debtor":"acme/C-1","context":{"stage":1,"amount":120.5,"segment":"b2c"},"channels":["email","sms"],"hours":[9,10],"channel":"sms","hour":10,"stage":1,"propensity":0.25,"reward":1.0}"#;

    #[test]
    fn reads_a_service_line() {
        let line = parse(3, GOOD).unwrap();
        assert_eq!((line.channel.as_str(), line.hour, line.stage), ("sms", 10, 1));
        assert_eq!((line.propensity, line.reward, line.amount), (0.25, Some(1.0), Some(120.5)));
        assert_eq!(line.segment.as_deref(), Some("b2c"));
        assert_eq!(line.debtor.as_deref(), Some("acme/C-1"));
    }

    #[test]
    fn a_pending_line_has_no_reward() {
        let text = GOOD.replace(r#""reward":1.0"#, r#""reward":null"#);
        assert_eq!(parse(1, &text).unwrap().reward, None);
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            ("{", "json"),
            (r#"[1]"#, "json"),
            (&GOOD.replace(r#""propensity":0.25"#, r#""propensity":0"#), "propensity"),
            (&GOOD.replace(r#""propensity":0.25,"#, ""), "propensity"),
            (&GOOD.replace(r#""propensity":0.25"#, r#""propensity":"high""#), "propensity"),
            (&GOOD.replace(r#""reward":1.0"#, r#""reward":2"#), "reward"),
            (&GOOD.replace(r#""hour":10,"#, r#""hour":"ten","#), "hour"),
            (&GOOD.replace(r#""hour":10,"#, r#""hour":11,"#), "hour"),
            (&GOOD.replace(r#""channel":"sms""#, r#""channel":"fax""#), "channel"),
            (&GOOD.replace(r#""channels":["email","sms"]"#, r#""channels":null"#), "channels"),
            (&GOOD.replace(r#""hours":[9,10]"#, r#""hours":[9,9]"#), "hours"),
            (&GOOD.replace(r#""amount":120.5"#, r#""amount":"lots""#), "context.amount"),
            (&GOOD.replace(r#""stage":1,"propensity""#, r#""stage":0,"propensity""#), "stage"),
        ];
        for (text, field) in cases {
            let error = parse(7, text).unwrap_err();
            assert_eq!((error.line, error.field.as_str()), (7, field), "{text}: {error}");
            assert!(error.to_string().starts_with(&format!("line 7: field `{field}`")), "{error}");
        }
    }
}
