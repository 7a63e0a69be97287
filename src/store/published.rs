//! What analysts read from and write to the store: published models (`mahnwerk-train publish`,
//! `versions`, `rollback`) and the decision export (`mahnwerk-train export`).
//!
//! A published model is also the newest policy snapshot (written in the same transaction), so
//! schedulers and the learner pick it up the way they pick up any snapshot; see
//! docs/analysts.md, "Publishing and rolling back".

use super::rows::decimal;
use super::tx_rows::DecisionRow;
use super::StoreError;
use crate::runtime::{DecisionLine, Subject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// A model to publish as the newest policy snapshot.
#[derive(Debug, Clone)]
pub struct NewPublication<'a> {
    pub published_at: DateTime<Utc>,
    pub published_by: &'a str,
    pub note: &'a str,
    /// The evaluation that justified it (`mahnwerk-train evaluate --json`), as JSON text.
    pub evaluation: Option<&'a str>,
    /// For a rollback: the published version whose model this is again.
    pub restores: Option<i64>,
    /// Outcomes the model had learned from (the snapshot's `updates`).
    pub updates: i64,
    /// `mahnwerk_models::bandit::Snapshot` as JSON.
    pub body: &'a str,
}

/// A published version, as `mahnwerk-train versions` lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PublishedModel {
    /// The policy snapshot version it was published as: decisions made with it record
    /// `bandit-v{version}`.
    pub version: i64,
    pub published_at: DateTime<Utc>,
    pub published_by: String,
    pub note: String,
    pub evaluation: Option<String>,
    pub restores: Option<i64>,
}

/// Which decisions to export. Times bound `at`, the decision's time: `since` inclusive,
/// `until` exclusive.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub tenant: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One sent reminder's decision with what became of its invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedDecision {
    pub subject: Subject,
    /// The decision as the service logs it (reward `None` while the window is open).
    pub line: DecisionLine,
    pub currency: String,
    /// What the invoice has been paid so far, in its currency.
    pub amount_paid: Decimal,
    /// When the invoice was paid in full (its last payment), if it was.
    pub paid_at: Option<DateTime<Utc>>,
}

/// Every sent stage reminder (a decision; instalment reminders are none) with its invoice, oldest decision first; `$1` tenant, `$2` since,
/// `$3` until, each NULL for no bound.
pub(super) const EXPORT_DECISIONS: &str = "SELECT r.id, r.case_id, i.tenant, i.number, i.debtor_id, \
     CAST(r.context AS TEXT) AS context, r.created_at, CAST(r.allowed AS TEXT) AS allowed, r.sent_at, r.channel, \
     r.local_hour, r.stage, r.propensity, r.reward, r.policy_version, i.currency, \
     CAST(i.amount_paid AS TEXT) AS amount_paid, c.state AS case_state, \
     (SELECT max(p.paid_at) FROM payments p WHERE p.invoice_id = i.id) AS last_paid_at \
     FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE r.sent_at IS NOT NULL AND r.instalment = 0 AND ($1 IS NULL OR i.tenant = $1) \
     AND ($2 IS NULL OR r.created_at >= $2) AND ($3 IS NULL OR r.created_at < $3) ORDER BY r.id";

/// A row of [`EXPORT_DECISIONS`].
#[derive(sqlx::FromRow)]
pub(super) struct ExportRow {
    #[sqlx(flatten)]
    pub decision: DecisionRow,
    pub currency: String,
    pub amount_paid: String,
    pub case_state: String,
    pub last_paid_at: Option<DateTime<Utc>>,
}

impl ExportRow {
    pub fn into_export(self) -> Result<ExportedDecision, StoreError> {
        let (subject, line) = self.decision.into_line()?;
        let paid = self.case_state == crate::domain::CaseState::Paid.as_str();
        Ok(ExportedDecision {
            subject,
            line,
            currency: self.currency,
            amount_paid: decimal("invoices.amount_paid", &self.amount_paid)?,
            paid_at: if paid { self.last_paid_at } else { None },
        })
    }
}
