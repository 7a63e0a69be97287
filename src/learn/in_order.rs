//! Outcomes learned in the order their reminders' attribution windows close, not in the order
//! they arrive.
//!
//! A payment is known within hours of its reminder, a miss only when the attribution window
//! closes (`[learn] attribution_hours`, 72 by default). Learned as they arrived, the model always
//! held the payments of the last window's reminders but not yet their misses: whatever the
//! policy had tried lately looked better than it was, was chosen more, brought more early
//! payments, and the estimates swung with what was recently chosen instead of settling. The
//! models crate learns its own pending decisions in decision order for the same reason
//! (`BanditParams::reorder_window`; on `mahnwerk-train bench-policies` arrival order cost 3
//! points of payment rate), but the service's learner only sees outcome events, so it orders
//! them here: each outcome waits until its reminder's window has closed (`sent_at` plus the
//! window). Misses arrive about then anyway; payments wait for them.
//!
//! Waiting outcomes are in no snapshot, but every one of them is in the store (the reminder's
//! reward), so the learner acknowledges them with the rest and, after a restart, takes them up
//! again from the store ([`Waiting::recover`] is given those whose window closes after the
//! snapshot it continues from). Memory: one decision-log line per reminder whose outcome came
//! within the last window, about a payment rate's share of a window's reminders.

use chrono::{DateTime, Duration, Utc};
use mahnwerk_models::bandit::LoggedDecision;
use serde::Deserialize;
use std::collections::BTreeMap;

/// When an outcome's reminder was decided and sent, read from the same event body.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Timing {
    pub reminder_id: Option<i64>,
    /// When the decision was made.
    pub at: Option<DateTime<Utc>>,
    /// When the reminder went out: its attribution window runs from here.
    pub sent_at: Option<DateTime<Utc>>,
}

impl Timing {
    /// The reminder's id and when its attribution window of `window` closes; `None` for an
    /// outcome that names neither (it is learned as it comes).
    fn closes(&self, window: Duration) -> Option<(DateTime<Utc>, i64)> {
        let started = self.sent_at.or(self.at)?;
        Some((started + window, self.reminder_id?))
    }
}

/// The outcomes whose reminder's window has not closed yet, in the order the windows close.
#[derive(Debug, Clone)]
pub struct Waiting {
    window: Duration,
    /// Keyed by (window closes, reminder id): one entry per reminder, whatever number of times
    /// its outcome arrives.
    outcomes: BTreeMap<(DateTime<Utc>, i64), LoggedDecision>,
}

impl Waiting {
    /// Outcomes wait until `window` after their reminder was sent.
    pub fn new(window: Duration) -> Self {
        Self { window, outcomes: BTreeMap::new() }
    }

    /// Holds `logged` until its window closes. Returns the reminder's id, or `None` (and gives
    /// the outcome back) when the body does not say which reminder it is or when it was sent:
    /// such an outcome is learned as it comes.
    pub fn admit(&mut self, timing: Timing, logged: LoggedDecision) -> Result<i64, LoggedDecision> {
        match timing.closes(self.window) {
            Some(key) => {
                self.outcomes.insert(key, logged);
                Ok(key.1)
            }
            None => Err(logged),
        }
    }

    /// The outcomes whose window closed at or before `now`, oldest window first, each with its
    /// reminder's id; they stop waiting.
    pub fn release(&mut self, now: DateTime<Utc>) -> Vec<(i64, LoggedDecision)> {
        let mut ready = Vec::new();
        while let Some(entry) = self.outcomes.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, reminder), logged) = entry.remove_entry();
            ready.push((reminder, logged));
        }
        ready
    }

    /// Whether the window of an outcome with this timing closes after `snapshot_at`: such an
    /// outcome was still waiting when a snapshot was written then, so the snapshot does not hold
    /// it.
    pub fn closes_after(&self, timing: &Timing, snapshot_at: DateTime<Utc>) -> bool {
        timing.closes(self.window).is_some_and(|(closes, _)| closes > snapshot_at)
    }

    /// How far before a snapshot the store is searched for outcomes that were still waiting
    /// when it was written: the window plus a month between a decision and its send (a reminder
    /// planned before a long outage goes out late).
    pub fn recovery_span(&self) -> Duration {
        self.window + Duration::days(30)
    }

    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(reward: f64) -> LoggedDecision {
        serde_json::from_value(serde_json::json!({"channel": "sms", "hour": 18, "reward": reward})).unwrap()
    }

    fn timing(reminder: i64, sent_hours: i64) -> Timing {
        let epoch: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        Timing {
            reminder_id: Some(reminder),
            at: Some(epoch),
            sent_at: Some(epoch + Duration::hours(sent_hours)),
        }
    }

    #[test]
    fn a_payment_waits_for_the_misses_of_reminders_sent_before_it() {
        let epoch: DateTime<Utc> = "2026-03-01T00:00:00Z".parse().unwrap();
        let mut waiting = Waiting::new(Duration::hours(72));
        // Reminder 2 (sent at 10:00) is paid at noon; reminder 1 (sent at 08:00) misses, known at
        // its window's close three days later.
        assert_eq!(waiting.admit(timing(2, 10), line(1.0)).unwrap(), 2);
        assert!(waiting.release(epoch + Duration::hours(12)).is_empty(), "the payment waits");
        waiting.admit(timing(1, 8), line(0.0)).unwrap();
        let learned: Vec<i64> =
            waiting.release(epoch + Duration::hours(90)).into_iter().map(|(r, _)| r).collect();
        assert_eq!(learned, vec![1, 2], "in the order the reminders went out");
        assert!(waiting.is_empty());
    }

    #[test]
    fn an_outcome_arriving_twice_waits_once_and_one_without_timing_is_given_back() {
        let mut waiting = Waiting::new(Duration::hours(72));
        waiting.admit(timing(5, 1), line(1.0)).unwrap();
        waiting.admit(timing(5, 1), line(1.0)).unwrap();
        assert_eq!(waiting.len(), 1);
        assert!(waiting.admit(Timing::default(), line(0.0)).is_err());
        let snapshot_at: DateTime<Utc> = "2026-03-03T00:00:00Z".parse().unwrap();
        assert!(waiting.closes_after(&timing(5, 1), snapshot_at), "closes on 03-04 01:00");
        assert!(!waiting.closes_after(&timing(5, -30), snapshot_at), "closed on 03-02 18:00");
    }
}
