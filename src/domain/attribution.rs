//! Which reminder earned a payment: the last one sent within the attribution window before it
//! (reward 1 for the learner); the case's other sent reminders without an outcome get 0, and so
//! does a reminder whose window closed without a payment.

use chrono::{DateTime, Duration, Utc};

/// How long after a reminder a payment still counts as its success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionWindow(Duration);

impl AttributionWindow {
    /// The default, 72 hours: most debtors who pay because of a reminder pay within three days.
    pub const DEFAULT_HOURS: u32 = 72;

    pub fn hours(hours: u32) -> Self {
        Self(Duration::hours(hours.into()))
    }

    /// A window of any length (the benchmark's sped-up clock uses a minute).
    pub fn of(duration: Duration) -> Self {
        Self(duration)
    }

    pub fn duration(self) -> Duration {
        self.0
    }

    /// Of the reminders sent (id, sent at), the one a payment at `paid_at` credits: the newest
    /// sent inside the window before it (the higher id on a tie), if any.
    pub fn earner(
        self,
        sent: impl IntoIterator<Item = (i64, DateTime<Utc>)>,
        paid_at: DateTime<Utc>,
    ) -> Option<i64> {
        let start = paid_at - self.0;
        sent.into_iter()
            .filter(|&(_, sent_at)| sent_at >= start && sent_at <= paid_at)
            .max_by_key(|&(id, sent_at)| (sent_at, id))
            .map(|(id, _)| id)
    }

    /// Reminders sent before this time at `now` have had their whole window without a payment.
    pub fn closed_before(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.0
    }
}

impl Default for AttributionWindow {
    fn default() -> Self {
        Self::hours(Self::DEFAULT_HOURS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn the_newest_reminder_inside_the_window_earns_the_payment() {
        let window = AttributionWindow::hours(72);
        let sent = [(1, at(1, 9)), (2, at(5, 9)), (3, at(6, 9))];
        assert_eq!(window.earner(sent, at(7, 12)), Some(3));
        // A reminder sent after the payment earned nothing.
        assert_eq!(window.earner(sent, at(6, 8)), Some(2));
        // None inside the window.
        assert_eq!(window.earner(sent, at(12, 9)), None);
        assert_eq!(window.earner([(4, at(9, 9))], at(12, 9)), Some(4), "the window's edge counts");
        assert_eq!(window.earner([(4, at(3, 9)), (5, at(3, 9))], at(3, 10)), Some(5));
    }

    #[test]
    fn a_window_closes_its_length_after_the_send() {
        let window = AttributionWindow::default();
        assert_eq!(window.closed_before(at(4, 9)), at(1, 9));
    }
}
