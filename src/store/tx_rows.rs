//! Rows the narrow steps of [`super::tx`] read, as both backends return them, and their
//! conversion into domain values. Money is selected as text and JSON as text on both.

use super::rows::{case_state, channel, corrupt, decimal, money};
use super::tx::{FinishedReminder, LockedCase, SentRow, Unsent};
use super::{ClaimedReminder, StoreError};
use crate::domain::{DebtorId, InvoiceNumber, PolicyVersion, TenantId};
use crate::runtime::events::learner_debtor_key;
use crate::runtime::{DecisionLine, Subject};
use chrono::{DateTime, Utc};

fn tenant(raw: &str) -> Result<TenantId, StoreError> {
    TenantId::parse(raw).map_err(|e| corrupt("tenant", e))
}

fn invoice_number(raw: &str) -> Result<InvoiceNumber, StoreError> {
    InvoiceNumber::parse(raw).map_err(|e| corrupt("invoice number", e))
}

fn debtor_id(raw: &str) -> Result<DebtorId, StoreError> {
    DebtorId::parse(raw).map_err(|e| corrupt("debtor id", e))
}

#[derive(sqlx::FromRow)]
pub(super) struct LockedCaseRow {
    pub case_id: i64,
    pub invoice_id: i64,
    pub tenant: String,
    pub number: String,
    pub debtor_id: String,
    pub state: String,
    pub stages_planned: i32,
    pub next_action_at: Option<DateTime<Utc>>,
    pub currency: String,
    pub amount_due: String,
    pub amount_paid: String,
}

impl LockedCaseRow {
    pub fn into_locked(self) -> Result<LockedCase, StoreError> {
        Ok(LockedCase {
            case_id: self.case_id,
            invoice_id: self.invoice_id,
            tenant: tenant(&self.tenant)?,
            invoice_number: invoice_number(&self.number)?,
            debtor_id: debtor_id(&self.debtor_id)?,
            state: case_state(&self.state)?,
            stages_planned: self.stages_planned as u32,
            next_action_at: self.next_action_at,
            amount_due: money(&self.amount_due, &self.currency)?,
            amount_paid: decimal("amount paid", &self.amount_paid)?,
        })
    }
}

/// A reminder's decision with its case's identity.
#[derive(sqlx::FromRow)]
pub(super) struct DecisionRow {
    pub id: i64,
    pub case_id: i64,
    pub tenant: String,
    pub number: String,
    pub debtor_id: String,
    pub context: String,
    pub created_at: DateTime<Utc>,
    pub allowed: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub channel: String,
    pub local_hour: i16,
    pub stage: i32,
    pub propensity: f64,
    pub reward: Option<f64>,
    pub policy_version: String,
}

impl DecisionRow {
    pub fn into_line(self) -> Result<(Subject, DecisionLine), StoreError> {
        let json = |what: &str, raw: &str| -> Result<serde_json::Value, StoreError> {
            serde_json::from_str(raw).map_err(|e| corrupt(what, e))
        };
        let allowed = match &self.allowed {
            Some(raw) => json("reminders.allowed", raw)?,
            None => serde_json::Value::Null,
        };
        let subject = Subject {
            tenant: tenant(&self.tenant)?,
            case_id: self.case_id,
            invoice_number: invoice_number(&self.number)?,
            debtor_id: debtor_id(&self.debtor_id)?,
        };
        let line = DecisionLine {
            id: self.id.to_string(),
            reminder_id: self.id,
            debtor: learner_debtor_key(&subject.tenant, &subject.debtor_id),
            context: json("reminders.context", &self.context)?,
            at: self.created_at,
            channels: allowed["channels"].clone(),
            hours: allowed["hours"].clone(),
            sent_at: self.sent_at,
            channel: channel(&self.channel)?,
            hour: u8::try_from(self.local_hour).map_err(|e| corrupt("reminders.local_hour", e))?,
            stage: self.stage as u32 + 1,
            propensity: self.propensity,
            reward: self.reward,
            policy_version: PolicyVersion::parse(&self.policy_version)
                .map_err(|e| corrupt("reminders.policy_version", e))?,
        };
        Ok((subject, line))
    }
}

pub(super) fn unsent_status(how: Unsent) -> &'static str {
    match how {
        Unsent::Skipped => "skipped",
        Unsent::Failed => "failed",
        Unsent::Superseded => "cancelled",
    }
}

/// A skipped reminder was never tried; a failed one was, once more.
pub(super) fn unsent_attempts(how: Unsent) -> i64 {
    match how {
        Unsent::Skipped => 0,
        Unsent::Failed => 1,
        Unsent::Superseded => 0,
    }
}

pub(super) fn finished(
    reminder_id: i64,
    case_id: i64,
    stage: i32,
    raw_channel: &str,
    instalment: i32,
) -> Result<FinishedReminder, StoreError> {
    Ok(FinishedReminder {
        id: reminder_id,
        case_id,
        stage: stage as u32,
        channel: channel(raw_channel)?,
        instalment: instalment as u32,
    })
}

/// A reminder just recorded as sent, with its case's identity.
#[derive(sqlx::FromRow)]
pub(super) struct SentRowRaw {
    pub id: i64,
    pub case_id: i64,
    pub stage: i32,
    pub channel: String,
    pub tenant: String,
    pub number: String,
    pub debtor_id: String,
    pub instalment: i32,
}

impl SentRowRaw {
    pub fn into_row(self) -> Result<SentRow, StoreError> {
        Ok(SentRow {
            reminder_id: self.id,
            subject: Subject {
                tenant: tenant(&self.tenant)?,
                case_id: self.case_id,
                invoice_number: invoice_number(&self.number)?,
                debtor_id: debtor_id(&self.debtor_id)?,
            },
            stage: self.stage as u32,
            channel: channel(&self.channel)?,
            instalment: self.instalment as u32,
        })
    }
}

/// Claimed reminders from `(id, channel)` rows.
pub(super) fn claimed_reminders(rows: Vec<(i64, String)>) -> Result<Vec<ClaimedReminder>, StoreError> {
    rows.into_iter().map(|(id, raw)| Ok(ClaimedReminder { id, channel: channel(&raw)? })).collect()
}

/// A reminder found after its window, with its debtor's time zone and country.
#[derive(sqlx::FromRow)]
pub(super) struct LateReminderRow {
    pub id: i64,
    pub case_id: i64,
    pub stage: i32,
    pub send_at: DateTime<Utc>,
    pub local_hour: i16,
    pub timezone: String,
    pub country: Option<String>,
}

impl LateReminderRow {
    pub fn into_late(self) -> Result<super::LateReminder, StoreError> {
        Ok(super::LateReminder {
            id: self.id,
            case_id: self.case_id,
            stage: u32::try_from(self.stage).map_err(|e| corrupt("reminders.stage", e))?,
            send_at: self.send_at,
            local_hour: u8::try_from(self.local_hour).map_err(|e| corrupt("reminders.local_hour", e))?,
            timezone: self.timezone.parse().map_err(|e| corrupt("debtors.timezone", e))?,
            country: self.country,
        })
    }
}
