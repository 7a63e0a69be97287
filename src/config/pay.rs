//! `[pay]`: what the pay-page lets a debtor do on their own (promise a date within the creditor's
//! limit), and `[creditors.<tenant>]`'s white-label look lives in [`super::creditors`].

use crate::domain::{InstalmentRules, PendingHold, PromiseRules};
use anyhow::bail;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PayConfig {
    /// The latest date a debtor may promise on the pay-page, in days from today (1 to 365,
    /// default 14).
    pub promise_max_days: u32,
    /// Days after a promised date before dunning resumes unpaid (0 to 60, default 3).
    pub promise_grace_days: u32,
    /// Days a payment the PSP reports as pending (SEPA Direct Debit) holds dunning at most, when
    /// the PSP reports neither success nor failure (1 to 90, default 14).
    pub pending_hold_days: u32,
    /// Requests per minute one client address may make to the pay-page (default 60).
    pub requests_per_minute_per_ip: u32,
    /// Requests per minute on one pay-link (default 30).
    pub requests_per_minute_per_link: u32,
    /// What instalment plans a debtor may agree on their own (`{ max_months = 6, min_amount =
    /// "25.00" }`); `max_months` below 2 offers none.
    pub instalments: InstalmentsConfig,
    /// Days before an instalment's due date the debtor is reminded of it (1 to 28, default 3);
    /// a second reminder goes out on the due date when it is still unpaid.
    pub instalment_reminder_days: u32,
}

/// `[pay] instalments`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstalmentsConfig {
    /// Most instalments (0 to 60; below 2: instalments are not offered). Default 6.
    pub max_months: u32,
    /// Smallest instalment in the invoice's currency, a decimal string. Default "25.00".
    pub min_amount: Decimal,
}

impl Default for InstalmentsConfig {
    fn default() -> Self {
        let rules = InstalmentRules::default();
        Self { max_months: rules.max_months, min_amount: rules.min_amount }
    }
}

impl Default for PayConfig {
    fn default() -> Self {
        let rules = PromiseRules::default();
        Self {
            promise_max_days: rules.max_days,
            promise_grace_days: rules.grace_days,
            pending_hold_days: PendingHold::default().days,
            requests_per_minute_per_ip: 60,
            requests_per_minute_per_link: 30,
            instalments: InstalmentsConfig::default(),
            instalment_reminder_days: InstalmentRules::default().reminder_days,
        }
    }
}

impl PayConfig {
    pub fn promise_rules(&self) -> PromiseRules {
        PromiseRules { max_days: self.promise_max_days, grace_days: self.promise_grace_days }
    }

    pub fn pending_hold(&self) -> PendingHold {
        PendingHold { days: self.pending_hold_days }
    }

    pub fn instalment_rules(&self) -> InstalmentRules {
        InstalmentRules {
            max_months: self.instalments.max_months,
            min_amount: self.instalments.min_amount,
            reminder_days: self.instalment_reminder_days,
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.instalments.max_months > 60 {
            bail!("pay.instalments.max_months must be at most 60, got {}", self.instalments.max_months);
        }
        if self.instalments.min_amount < Decimal::ZERO {
            bail!("pay.instalments.min_amount must not be negative, got {}", self.instalments.min_amount);
        }
        if !(1..=28).contains(&self.instalment_reminder_days) {
            bail!(
                "pay.instalment_reminder_days must be between 1 and 28, got {}",
                self.instalment_reminder_days
            );
        }
        if !(1..=365).contains(&self.promise_max_days) {
            bail!("pay.promise_max_days must be between 1 and 365, got {}", self.promise_max_days);
        }
        if self.promise_grace_days > 60 {
            bail!("pay.promise_grace_days must be at most 60, got {}", self.promise_grace_days);
        }
        if !(1..=90).contains(&self.pending_hold_days) {
            bail!("pay.pending_hold_days must be between 1 and 90, got {}", self.pending_hold_days);
        }
        if self.requests_per_minute_per_ip == 0 || self.requests_per_minute_per_link == 0 {
            bail!("pay.requests_per_minute_per_ip and pay.requests_per_minute_per_link must be at least 1");
        }
        Ok(())
    }
}
