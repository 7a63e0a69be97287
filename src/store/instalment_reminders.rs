//! The store's narrow steps for instalment reminders ([`InstalmentReminderSteps`], part of every
//! [`StoreTx`](super::StoreTx)): where a case's debtor is reminded of an instalment, and
//! cancelling the reminders of instalments that need none any more. When they are planned and
//! what they say is decided in `crate::pay::instalments` and `crate::deliver`.

use super::StoreError;
use crate::domain::ChannelKind;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Where a case's debtor is reminded outside the plan's stages: on the channel of the case's
/// latest stage reminder (the latest one that went out, else the latest planned), in the
/// debtor's time zone and country (for the allowed hours and days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderRoute {
    pub channel: ChannelKind,
    pub timezone: chrono_tz::Tz,
    /// ISO 3166-1 alpha-2, for public holidays.
    pub country: Option<String>,
}

/// The steps; the SQL is the same on both backends (`crate::store::same_sql_instalment_reminders`).
#[async_trait]
pub trait InstalmentReminderSteps {
    /// The case's [`ReminderRoute`]; `None` when the case has no stage reminder yet.
    async fn reminder_route(&mut self, case_id: i64) -> Result<Option<ReminderRoute>, StoreError>;

    /// Cancels the case's pending (scheduled or queued) instalment reminders of instalments 1 to
    /// `through` (all of them when `None`); returns how many.
    async fn cancel_instalment_reminders(
        &mut self,
        case_id: i64,
        through: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}
