//! The store's narrow steps behind a tenant's statistics ([`TenantStatsSteps`], part of every
//! [`StoreTx`](super::StoreTx)): the facts each figure is computed from, read by tenant and, where
//! the backend can add money exactly, summed and counted in the database (a million cases are not
//! sent to the console one by one). The console keeps what they read per tenant as a summary,
//! refreshed in the background (`crate::api::console::summary`). The figures themselves (open and collected amounts, DSO, paid
//! shares, cost per collected euro) are computed in `crate::learn::stats`.

use super::StoreError;
use crate::domain::{CaseState, PaymentSource, TenantId};
use async_trait::async_trait;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Cases of one state and currency with their amounts added up, either every one of them paid
/// beyond its amount or none, so that what they still owe (never below zero for a case) is
/// `amount_due - amount_paid`, or nothing. PostgreSQL sums them in groups; SQLite, which would
/// add text as floating point, reads one case per group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAmounts {
    pub state: CaseState,
    pub currency: String,
    pub cases: u64,
    pub amount_due: Decimal,
    pub amount_paid: Decimal,
}

/// The payments (or credits, or write-offs) of one source and currency paid in one calendar
/// month (UTC), added up: in the database on PostgreSQL; on SQLite, which would add text as
/// floating point, one payment per group, added up in Rust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSums {
    pub source: PaymentSource,
    pub currency: String,
    /// The first day of the month (UTC) they were paid in.
    pub month: NaiveDate,
    pub amount: Decimal,
    /// Each payment's amount times the days from its invoice's issue to the day (UTC) it was
    /// paid (none when paid before the issue), added up: the weight of days sales outstanding.
    pub amount_days: Decimal,
}

/// Sent stage reminders alike in stage, channel, local hour and outcome, counted.
#[derive(Debug, Clone, PartialEq)]
pub struct SentFact {
    /// 1-based.
    pub stage: u32,
    pub channel: String,
    pub local_hour: i32,
    /// 1 when a payment followed within the attribution window, 0 when none did; `None` while
    /// the window is open.
    pub reward: Option<f64>,
    pub sent: u64,
}

/// Euros paid (from the sources asked for) on the cases whose payment a sent reminder on
/// `channel` earned (reward 1), counted once per such reminder: summed per channel on
/// PostgreSQL, one payment each on SQLite. (`amount_eur`: in the currency asked for, euros.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarnedFact {
    pub channel: String,
    pub amount_eur: Decimal,
}

#[async_trait]
pub trait TenantStatsSteps: Send {
    /// Every case of `tenant`, in groups (see [`CaseAmounts`]).
    async fn case_amounts(&mut self, tenant: &TenantId) -> Result<Vec<CaseAmounts>, StoreError>;

    /// Every payment, credit and write-off of `tenant`, in groups (see [`PaymentSums`]).
    async fn payment_sums(&mut self, tenant: &TenantId) -> Result<Vec<PaymentSums>, StoreError>;

    /// Every stage reminder of `tenant` that was sent, counted by stage, channel, hour and reward.
    async fn sent_facts(&mut self, tenant: &TenantId) -> Result<Vec<SentFact>, StoreError>;

    /// What the reminders that earned a payment brought, per channel: what was paid in
    /// `currency` from `sources` on their cases.
    async fn earned_facts(
        &mut self,
        tenant: &TenantId,
        currency: &str,
        sources: &[PaymentSource],
    ) -> Result<Vec<EarnedFact>, StoreError>;
}
