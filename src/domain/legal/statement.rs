//! The claim statement (Forderungsaufstellung) of an escalated case: what is handed to a
//! collection agency or a court dunning procedure. It is the legal engine's [`Breakdown`] on the
//! day of escalation (principal, default date, fees, interest periods with their rates, payments
//! and where each cent of them went, limitation) together with who the debtor is and which
//! reminders went out when and how. It is fixed when the case escalates and stored with it, so
//! what the creditor hands over is what the engine said that day, however often it is exported.

use super::{Breakdown, SentReminder, StatementTotals};
use crate::domain::{DebtorId, DebtorKind, InvoiceNumber, PostalAddress, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One escalated case's statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimStatement {
    pub tenant: TenantId,
    pub case_id: i64,
    pub escalated_at: DateTime<Utc>,
    pub debtor: StatementDebtor,
    /// The reminders sent for the case, oldest first.
    pub reminders: Vec<SentReminder>,
    /// What is owed on the day of escalation (the debtor's local date), line by line.
    pub breakdown: Breakdown,
}

/// The debtor as the statement names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementDebtor {
    pub id: DebtorId,
    pub kind: DebtorKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_person: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
}

impl ClaimStatement {
    /// The sums `case.escalated` carries.
    pub fn totals(&self) -> StatementTotals {
        StatementTotals::of(&self.breakdown)
    }

    /// The invoice the case is about.
    pub fn invoice(&self) -> Option<&InvoiceNumber> {
        self.breakdown.claims.first().map(|claim| &claim.invoice)
    }
}
