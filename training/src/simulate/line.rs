//! One simulated decision as the service writes it: every field of docs/decision-log.md,
//! including the `reminder.outcome` event's identity fields.

use chrono::{DateTime, Duration, TimeZone, Utc};
use mahnwerk_models::sim::{Segment, SimDebtor};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::script::Reminder;

/// The tenant every simulated decision belongs to.
pub const TENANT: &str = "sim";

/// Day 0 of a simulated log.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single().expect("a valid date")
}

/// A decision-log line (docs/decision-log.md, "A line as the service writes it").
#[derive(Debug, Serialize)]
pub struct DecisionLine<'a> {
    pub schema: &'static str,
    pub tenant: &'static str,
    pub case_id: u64,
    pub invoice_number: String,
    pub debtor_id: &'a str,
    pub occurred_at: String,
    pub kind: &'static str,
    pub id: String,
    pub reminder_id: u64,
    pub debtor: String,
    pub context: &'a Map<String, Value>,
    pub at: String,
    pub channels: Vec<&'static str>,
    pub hours: &'a [u8],
    pub sent_at: String,
    pub channel: &'static str,
    pub hour: u8,
    pub stage: u8,
    pub propensity: f64,
    pub reward: f64,
    pub policy_version: &'static str,
}

/// The `context` the service's planner builds for this reminder (`src/schedule/planner.rs`).
pub fn context(debtor: &SimDebtor, reminder: &Reminder) -> Map<String, Value> {
    let segment = match debtor.segment {
        Segment::Consumer => "b2c",
        Segment::Business => "b2b",
    };
    let value = json!({
        "tenant": TENANT,
        "stage": reminder.stage,
        "amount": reminder.amount_eur,
        "days_overdue": reminder.days_overdue,
        "segment": segment,
        "language": debtor.language,
        "currency": "EUR",
        "country": debtor.country,
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal is an object"),
    }
}

/// The times of one decision: planned at `reminder.day`, sent at the next `hour` (the
/// simulator reads the debtor's local hours as UTC), its outcome settled `settled_after_hours`
/// after sending.
pub struct Times {
    pub at: String,
    pub sent_at: String,
    pub occurred_at: String,
}

impl Times {
    pub fn new(reminder: &Reminder, hour: u8, settled_after_hours: f64) -> Times {
        let planned = reminder.day * 24.0;
        let wait = (f64::from(hour) - planned.rem_euclid(24.0)).rem_euclid(24.0);
        let sent = (planned + wait).floor();
        let settled = sent + settled_after_hours;
        let stamp = |hours: f64| {
            let at = epoch() + Duration::seconds((hours * 3600.0).round() as i64);
            at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        };
        Times { at: stamp(planned), sent_at: stamp(sent), occurred_at: stamp(settled) }
    }
}
