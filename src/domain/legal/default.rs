//! When a debtor falls into default (Verzug, § 286 BGB): default starts interest and makes fees
//! recoverable, so every other figure of the breakdown hangs on this date.

use crate::domain::DebtorKind;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// What the creditor knows about one invoice that decides when its debtor fell into default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultFacts {
    pub debtor: DebtorKind,
    /// The last day to pay.
    pub due_on: NaiveDate,
    /// § 286 (2) Nr. 1 BGB: the contract set the time for payment by the calendar ("payable by
    /// 15 October"). An invoice that names a date on its own does not: the agreement must, which
    /// is why the creditor states it (an intake field) rather than the engine assuming it.
    pub due_by_calendar: bool,
    /// The day the invoice reached the debtor, when known (§ 286 (3) counts from it).
    pub invoice_received_on: Option<NaiveDate>,
    /// § 286 (3) sentence 1: the invoice pointed out that the debtor falls into default 30 days
    /// after due date and receipt. A consumer falls into default this way only if it did.
    pub invoice_states_30_day_rule: bool,
    /// The days reminders reached the debtor, in any order; only one received after the due date
    /// is a Mahnung in the sense of § 286 (1) BGB.
    pub reminders_received_on: Vec<NaiveDate>,
}

/// Which rule of § 286 BGB put the debtor in default first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultGround {
    /// § 286 (2) Nr. 1: a calendar date for payment passed.
    CalendarDate,
    /// § 286 (1): a reminder after the due date reached the debtor.
    Reminder,
    /// § 286 (3): 30 days passed after due date and receipt of the invoice.
    ThirtyDays,
}

/// The debtor's default: from which day, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InDefault {
    /// The first whole day of default; interest runs from and including it. The day of the event
    /// that causes default (a reminder's arrival) is not counted (§ 187 (1) BGB).
    pub from: NaiveDate,
    pub ground: DefaultGround,
    /// For [`DefaultGround::Reminder`]: the day that reminder was received, so the fee rule can
    /// tell it apart (no fee on the reminder that puts the debtor in default).
    pub reminder_received_on: Option<NaiveDate>,
}

/// The start of default under § 286 BGB: the earliest of the rules that apply, or `None` while
/// none does (no calendar date, no reminder received after the due date, and the 30 days not run
/// or not available). Other grounds (§ 286 (2) Nr. 2-4: refusal, special reasons) are the
/// creditor's to assert, not the engine's to guess.
pub fn in_default_from(facts: &DefaultFacts) -> Option<InDefault> {
    let day_after = |day: NaiveDate| day.checked_add_days(Days::new(1));
    let calendar = facts.due_by_calendar.then(|| day_after(facts.due_on)).flatten().map(|from| InDefault {
        from,
        ground: DefaultGround::CalendarDate,
        reminder_received_on: None,
    });
    let reminder = facts.reminders_received_on.iter().filter(|&&r| r > facts.due_on).min().and_then(|&r| {
        day_after(r).map(|from| InDefault {
            from,
            ground: DefaultGround::Reminder,
            reminder_received_on: Some(r),
        })
    });
    let thirty_days_apply = facts.debtor == DebtorKind::Business || facts.invoice_states_30_day_rule;
    // The 30 days start the day after the later of due date and receipt (§ 187 (1) BGB) and end
    // with the 30th day (§ 188 (1)); default begins on the 31st.
    let thirty_days = facts
        .invoice_received_on
        .filter(|_| thirty_days_apply)
        .and_then(|received| received.max(facts.due_on).checked_add_days(Days::new(31)))
        .map(|from| InDefault { from, ground: DefaultGround::ThirtyDays, reminder_received_on: None });
    // On a tie the ground listed first wins: the calendar date needs no proof of receipt.
    [calendar, reminder, thirty_days].into_iter().flatten().min_by_key(|d| d.from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn facts(debtor: DebtorKind) -> DefaultFacts {
        DefaultFacts {
            debtor,
            due_on: day(2025, 3, 31),
            due_by_calendar: false,
            invoice_received_on: Some(day(2025, 3, 3)),
            invoice_states_30_day_rule: false,
            reminders_received_on: vec![],
        }
    }

    #[test]
    fn calendar_date_puts_in_default_the_day_after() {
        let f = DefaultFacts { due_by_calendar: true, ..facts(DebtorKind::Consumer) };
        assert_eq!(
            in_default_from(&f).map(|d| (d.from, d.ground)),
            Some((day(2025, 4, 1), DefaultGround::CalendarDate))
        );
    }

    #[test]
    fn a_consumer_without_the_notice_needs_a_reminder() {
        let mut f = facts(DebtorKind::Consumer);
        assert_eq!(in_default_from(&f), None);
        // A reminder before or on the due date is no Mahnung.
        f.reminders_received_on = vec![day(2025, 3, 31), day(2025, 4, 10), day(2025, 4, 8)];
        let d = in_default_from(&f).unwrap();
        assert_eq!(
            (d.from, d.ground, d.reminder_received_on),
            (day(2025, 4, 9), DefaultGround::Reminder, Some(day(2025, 4, 8)))
        );
    }

    #[test]
    fn thirty_days_after_due_and_receipt() {
        // Due 31 March, received 3 March: the 30 days run 1 to 30 April; default from 1 May.
        let d = in_default_from(&facts(DebtorKind::Business)).unwrap();
        assert_eq!((d.from, d.ground), (day(2025, 5, 1), DefaultGround::ThirtyDays));
        // Received after the due date: counted from receipt (10 April -> 11 May).
        let late =
            DefaultFacts { invoice_received_on: Some(day(2025, 4, 10)), ..facts(DebtorKind::Business) };
        assert_eq!(in_default_from(&late).unwrap().from, day(2025, 5, 11));
        // A consumer only when the invoice said so.
        let told = DefaultFacts { invoice_states_30_day_rule: true, ..facts(DebtorKind::Consumer) };
        assert_eq!(in_default_from(&told).unwrap().from, day(2025, 5, 1));
        // Receipt unknown: the rule cannot be applied.
        let unknown = DefaultFacts { invoice_received_on: None, ..facts(DebtorKind::Business) };
        assert_eq!(in_default_from(&unknown), None);
    }

    #[test]
    fn the_earliest_ground_wins() {
        let f = DefaultFacts { reminders_received_on: vec![day(2025, 4, 14)], ..facts(DebtorKind::Business) };
        assert_eq!(in_default_from(&f).unwrap().ground, DefaultGround::Reminder);
        let f = DefaultFacts { reminders_received_on: vec![day(2025, 5, 14)], ..facts(DebtorKind::Business) };
        assert_eq!(in_default_from(&f).unwrap().ground, DefaultGround::ThirtyDays);
    }
}
