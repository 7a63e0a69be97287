//! What the last stage of a plan announces: the day by which the debtor must pay, and what the
//! creditor does if they do not (`[creditors.<tenant>] final_consequence`). The case escalates
//! the plan's `escalate_after_days` after that reminder went out (the planner counts the gap from
//! the actual send), so the last day to pay is the day before.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// What follows an unpaid last stage, as the creditor announces it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    /// The claim goes to a collection agency (the default: what `case.escalated` hands over).
    #[default]
    CollectionAgency,
    /// The creditor applies for a court payment order (gerichtliches Mahnverfahren).
    CourtDunning,
    /// Only the deadline is named.
    None,
}

/// The last day to pay after the last stage's reminder went out on `sent_on` (the debtor's
/// date), when the case escalates `escalates_after_days` after it.
pub fn last_day_to_pay(sent_on: NaiveDate, escalates_after_days: u32) -> NaiveDate {
    let days = u64::from(escalates_after_days.saturating_sub(1));
    sent_on.checked_add_days(Days::new(days)).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_day_is_the_day_before_the_case_escalates() {
        let monday: NaiveDate = "2026-12-07".parse().unwrap();
        assert_eq!(last_day_to_pay(monday, 14), "2026-12-20".parse::<NaiveDate>().unwrap());
        assert_eq!(last_day_to_pay(monday, 1), monday);
        assert_eq!(last_day_to_pay(monday, 0), monday, "escalating at once still names today");
    }

    #[test]
    fn the_consequence_is_written_in_snake_case() {
        let read: Consequence = serde_json::from_str("\"court_dunning\"").unwrap();
        assert_eq!(read, Consequence::CourtDunning);
        assert_eq!(Consequence::default(), Consequence::CollectionAgency);
    }
}
