//! `[schedule]`: how the scheduler catches up after downtime (see `schedule::catch_up` and the
//! README's "Catch-up after downtime").

use crate::schedule::CatchUpRules;
use anyhow::bail;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// Reminders re-timed after downtime are spread over this many minutes from their new send
    /// time, so that a backlog does not reach the providers at once (0 to 720, default 60).
    pub catch_up_spread_minutes: u32,
    /// A reminder found more than this many hours after its planned send time is not sent: its
    /// stage is planned anew (1 to 8760, default 72).
    pub replan_after_hours: u32,
    /// A reminder published to its channel's queue and without a send result for this many
    /// minutes is dispatched again (its delivery message was lost); 10 to 1440, default 60.
    pub redispatch_after_minutes: u32,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        let rules = CatchUpRules::default();
        Self {
            catch_up_spread_minutes: rules.spread.num_minutes() as u32,
            replan_after_hours: rules.replan_after.num_hours() as u32,
            redispatch_after_minutes: 60,
        }
    }
}

impl ScheduleConfig {
    pub fn catch_up_rules(&self) -> CatchUpRules {
        CatchUpRules {
            spread: chrono::Duration::minutes(i64::from(self.catch_up_spread_minutes)),
            replan_after: chrono::Duration::hours(i64::from(self.replan_after_hours)),
        }
    }

    pub fn redispatch_after(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.redispatch_after_minutes))
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if !(10..=1440).contains(&self.redispatch_after_minutes) {
            bail!(
                "schedule.redispatch_after_minutes must be between 10 and 1440, got {}",
                self.redispatch_after_minutes
            );
        }
        if self.catch_up_spread_minutes > 720 {
            bail!(
                "schedule.catch_up_spread_minutes must be at most 720, got {}",
                self.catch_up_spread_minutes
            );
        }
        if !(1..=8760).contains(&self.replan_after_hours) {
            bail!("schedule.replan_after_hours must be between 1 and 8760, got {}", self.replan_after_hours);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_rules_defaults_and_bad_values_name_the_key() {
        assert_eq!(ScheduleConfig::default().catch_up_rules(), CatchUpRules::default());
        let error =
            ScheduleConfig { replan_after_hours: 0, ..ScheduleConfig::default() }.validate().unwrap_err();
        assert!(error.to_string().contains("schedule.replan_after_hours"), "{error}");
        let error = ScheduleConfig { catch_up_spread_minutes: 721, ..ScheduleConfig::default() }
            .validate()
            .unwrap_err();
        assert!(error.to_string().contains("schedule.catch_up_spread_minutes"), "{error}");
    }
}
