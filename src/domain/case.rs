//! The life of a dunning case as a state machine. Every change of state goes through
//! [`CaseState::apply`], so an illegal move (reminding a paid case, reopening a cancelled one) is
//! an error value rather than a row in the database.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a case stands. `Paid` and `Cancelled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseState {
    /// Overdue invoice received, no reminder planned yet.
    Open,
    /// At least one reminder planned or sent.
    Reminding,
    Paid,
    Cancelled,
    /// The debtor contests the claim; no reminders until it is resolved.
    Disputed,
    /// The creditor stopped reminders for now.
    Paused,
    /// Every stage of the plan was sent without payment; handed to the creditor (collection).
    Escalated,
}

/// What can happen to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseEvent {
    ReminderPlanned,
    PaidInFull,
    Cancelled,
    Disputed,
    Paused,
    /// A paused or disputed case goes back to reminding.
    Resumed,
    PlanExhausted,
}

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot take the event {event:?}")]
pub struct IllegalTransition {
    pub from: CaseState,
    pub event: CaseEvent,
}

impl CaseState {
    pub const ALL: [CaseState; 7] = [
        Self::Open,
        Self::Reminding,
        Self::Paid,
        Self::Cancelled,
        Self::Disputed,
        Self::Paused,
        Self::Escalated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Reminding => "reminding",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
            Self::Disputed => "disputed",
            Self::Paused => "paused",
            Self::Escalated => "escalated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// No event leaves a final state.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Paid | Self::Cancelled)
    }

    /// Whether reminders may still go out for a case in this state.
    pub fn accepts_reminders(self) -> bool {
        matches!(self, Self::Open | Self::Reminding)
    }

    /// The state after `event`, or why it cannot happen.
    pub fn apply(self, event: CaseEvent) -> Result<CaseState, IllegalTransition> {
        use CaseEvent as E;
        use CaseState as S;
        let next = match (self, event) {
            (S::Open | S::Reminding, E::ReminderPlanned) => S::Reminding,
            (S::Open | S::Reminding | S::Disputed | S::Paused | S::Escalated, E::PaidInFull) => S::Paid,
            (S::Open | S::Reminding | S::Disputed | S::Paused | S::Escalated, E::Cancelled) => S::Cancelled,
            (S::Open | S::Reminding | S::Paused | S::Escalated, E::Disputed) => S::Disputed,
            (S::Open | S::Reminding | S::Disputed, E::Paused) => S::Paused,
            (S::Disputed | S::Paused, E::Resumed) => S::Reminding,
            (S::Open | S::Reminding, E::PlanExhausted) => S::Escalated,
            _ => return Err(IllegalTransition { from: self, event }),
        };
        Ok(next)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EVENTS: [CaseEvent; 7] = [
        CaseEvent::ReminderPlanned,
        CaseEvent::PaidInFull,
        CaseEvent::Cancelled,
        CaseEvent::Disputed,
        CaseEvent::Paused,
        CaseEvent::Resumed,
        CaseEvent::PlanExhausted,
    ];

    #[test]
    fn the_usual_path() {
        let s = CaseState::Open.apply(CaseEvent::ReminderPlanned).unwrap();
        let s = s.apply(CaseEvent::ReminderPlanned).unwrap();
        assert_eq!(s.apply(CaseEvent::PaidInFull), Ok(CaseState::Paid));
        assert_eq!(s.apply(CaseEvent::PlanExhausted), Ok(CaseState::Escalated));
    }

    #[test]
    fn names_round_trip() {
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.as_str()), Some(s));
        }
    }

    proptest! {
        /// Whatever sequence of events arrives, a case never leaves a final state, never plans a
        /// reminder unless it accepted reminders just before, and rejected events change nothing.
        #[test]
        fn no_illegal_state_is_reachable(events in proptest::collection::vec(0usize..7, 0..40)) {
            let mut state = CaseState::Open;
            for i in events {
                let event = EVENTS[i];
                match state.apply(event) {
                    Ok(next) => {
                        prop_assert!(!state.is_final(), "{state} moved on {event:?}");
                        if event == CaseEvent::ReminderPlanned {
                            prop_assert!(state.accepts_reminders());
                        }
                        if next == CaseState::Paid {
                            prop_assert_eq!(event, CaseEvent::PaidInFull);
                        }
                        if next == CaseState::Open {
                            prop_assert!(false, "nothing leads back to open");
                        }
                        state = next;
                    }
                    Err(e) => prop_assert_eq!(e.from, state),
                }
            }
        }
    }
}
