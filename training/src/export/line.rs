//! One exported decision: the service's decision-log line (docs/decision-log.md) with the case's
//! identity and the outcome fields only the database knows (cost, paid amount, time to pay).

use chrono::{DateTime, SecondsFormat, Utc};
use mahnwerk::domain::ChannelKind;
use mahnwerk::runtime::DecisionLine;
use mahnwerk::store::ExportedDecision;
use serde::Serialize;
use std::collections::BTreeMap;

/// A line of `mahnwerk-train export`'s JSON-lines output.
#[derive(Debug, Serialize)]
pub struct ExportLine<'a> {
    pub tenant: &'a str,
    pub case_id: i64,
    pub invoice_number: &'a str,
    pub debtor_id: &'a str,
    #[serde(flatten)]
    pub line: &'a DecisionLine,
    /// What sending it cost, from the list prices (`--cost` overrides).
    pub cost_eur: f64,
    pub currency: &'a str,
    /// What the invoice has been paid so far, as a decimal string (money is never a float).
    pub amount_paid: String,
    /// When the invoice was paid in full; null while it is not.
    pub paid_at: Option<String>,
    /// Hours from this reminder's sending to that payment; null while unpaid.
    pub hours_to_pay: Option<f64>,
    /// The row as read, for the typed columns of the Parquet export.
    #[serde(skip)]
    pub decision: &'a ExportedDecision,
}

impl<'a> ExportLine<'a> {
    pub fn new(decision: &'a ExportedDecision, costs: &BTreeMap<ChannelKind, f64>) -> Self {
        let line = &decision.line;
        let hours_to_pay = match (line.sent_at, decision.paid_at) {
            (Some(sent), Some(paid)) if paid >= sent => Some((paid - sent).num_seconds() as f64 / 3600.0),
            _ => None,
        };
        ExportLine {
            tenant: decision.subject.tenant.as_str(),
            case_id: decision.subject.case_id,
            invoice_number: decision.subject.invoice_number.as_str(),
            debtor_id: decision.subject.debtor_id.as_str(),
            line,
            cost_eur: costs.get(&line.channel).copied().unwrap_or(0.0),
            currency: &decision.currency,
            amount_paid: decision.amount_paid.normalize().to_string(),
            paid_at: decision.paid_at.map(stamp),
            hours_to_pay,
            decision,
        }
    }

    /// The CSV columns before the flattened context, in [`Self::csv_record`]'s order.
    pub const CSV_HEADER: [&'static str; 23] = [
        "id",
        "reminder_id",
        "tenant",
        "case_id",
        "invoice_number",
        "debtor_id",
        "debtor",
        "at",
        "sent_at",
        "channel",
        "hour",
        "stage",
        "propensity",
        "reward",
        "policy_version",
        "cost_eur",
        "currency",
        "amount_paid",
        "paid_at",
        "hours_to_pay",
        "channels",
        "hours",
        "context",
    ];

    /// The context keys the planner writes (docs/decision-log.md), one `context.<key>` CSV
    /// column each; the whole context is also in the `context` column as JSON.
    pub const CSV_CONTEXT: [&'static str; 8] =
        ["tenant", "stage", "amount", "days_overdue", "segment", "language", "currency", "country"];

    /// The line as CSV fields ([`Self::csv_header`]): empty for null, the allowed arms and the
    /// context as JSON.
    pub fn csv_record(&self) -> Vec<String> {
        let l = self.line;
        let opt = |v: Option<String>| v.unwrap_or_default();
        let json = |v: &serde_json::Value| if v.is_null() { String::new() } else { v.to_string() };
        vec![
            l.id.clone(),
            l.reminder_id.to_string(),
            self.tenant.to_owned(),
            self.case_id.to_string(),
            self.invoice_number.to_owned(),
            self.debtor_id.to_owned(),
            l.debtor.clone(),
            stamp(l.at),
            opt(l.sent_at.map(stamp)),
            l.channel.as_str().to_owned(),
            l.hour.to_string(),
            l.stage.to_string(),
            l.propensity.to_string(),
            opt(l.reward.map(|r| r.to_string())),
            l.policy_version.to_string(),
            self.cost_eur.to_string(),
            self.currency.to_owned(),
            self.amount_paid.clone(),
            opt(self.paid_at.clone()),
            opt(self.hours_to_pay.map(|h| h.to_string())),
            json(&l.channels),
            json(&l.hours),
            json(&l.context),
        ]
        .into_iter()
        .chain(Self::CSV_CONTEXT.iter().map(|key| match &l.context[key] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }))
        .collect()
    }

    /// The CSV header row.
    pub fn csv_header() -> Vec<String> {
        let fixed = Self::CSV_HEADER.iter().map(|c| (*c).to_owned());
        fixed.chain(Self::CSV_CONTEXT.iter().map(|key| format!("context.{key}"))).collect()
    }
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
