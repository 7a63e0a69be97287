//! Catch-up after downtime: what happens to a reminder the dispatcher finds after the allowed
//! window it was planned for closed (the service was down, the broker away, a retry fell into
//! the night). The rule, as the README states it:
//!
//! - A reminder is sent only inside the window it was planned for: from its send time to 20:00
//!   local time that day ([`send_by`]). Late but still inside it (a short outage in the
//!   morning), it goes out at once.
//! - Found after its window, and at most [`CatchUpRules::replan_after`] late, it is re-timed to
//!   its debtor's next allowed moment ([`catch_up_time`]): never in quiet hours, on a Sunday or a
//!   public holiday, at the policy's hour where that hour is still to come on that day, and
//!   spread over [`CatchUpRules::spread`] so that a backlog does not reach the providers at once.
//! - More late than that, it is not sent: it is cancelled and its stage is planned anew, as if
//!   the case had just come due, by the policy, with what is known now.
//! - The gap to the next stage is measured from the previous stage's actual send (the planner's
//!   rule, [`super::planner`]), so a late reminder pushes the rest of the plan back with it.
//!
//! Pure: the dispatcher ([`super::dispatch`]) applies the verdicts.

use super::calendar::{self, FIRST_HOUR, LAST_HOUR};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

pub use crate::store::LateReminder;

/// How late reminders are caught up (`[schedule]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUpRules {
    /// Re-timed reminders are spread over this long after their new moment (by reminder id,
    /// the same id always at the same offset), never past the end of that day's window.
    pub spread: Duration,
    /// A reminder more late than this (from its planned send time) is planned anew, not sent.
    pub replan_after: Duration,
}

impl Default for CatchUpRules {
    fn default() -> Self {
        Self { spread: Duration::minutes(60), replan_after: Duration::hours(72) }
    }
}

/// What to do with a reminder found after its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it at this moment instead; its window then ends at `send_by`.
    Retime { send_at: DateTime<Utc>, send_by: DateTime<Utc> },
    /// Cancel it and plan its stage anew.
    Replan,
}

impl CatchUpRules {
    /// The verdict on `late` at `now`.
    pub fn verdict(&self, late: &LateReminder, now: DateTime<Utc>) -> Verdict {
        if now - late.send_at > self.replan_after {
            return Verdict::Replan;
        }
        let country = late.country.as_deref();
        let at = catch_up_time(now, late.timezone, country, late.local_hour);
        let send_by = send_by(at, late.timezone);
        let send_at = (at + spread_offset(late.id, self.spread)).min(send_by - Duration::minutes(1)).max(at);
        Verdict::Retime { send_at, send_by }
    }
}

/// The end of the allowed window a reminder sent at `send_at` falls in: 20:00 local time on its
/// local day (the first moment after [`LAST_HOUR`]'s hour).
pub fn send_by(send_at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let day = send_at.with_timezone(&tz).date_naive();
    window_close(day, tz).unwrap_or(send_at + Duration::hours(1))
}

/// 20:00 local time on `day`, in UTC (`None` only if that local time did not exist).
fn window_close(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let local = day.and_hms_opt(u32::from(LAST_HOUR) + 1, 0, 0)?;
    Some(tz.from_local_datetime(&local).earliest()?.with_timezone(&Utc))
}

/// The next allowed moment for a late reminder whose policy chose `hour`: the first moment at or
/// after `now` inside an allowed window (business day, 08:00 to 20:00 local), moved to `hour`
/// when that hour is still to come on the same day.
pub fn catch_up_time(now: DateTime<Utc>, tz: Tz, country: Option<&str>, hour: u8) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    let inside_now = calendar::is_business_day(local.date_naive(), country)
        && (FIRST_HOUR..=LAST_HOUR).contains(&(local.hour() as u8));
    let first_allowed = if inside_now { now } else { calendar::next_send_time(now, tz, country, FIRST_HOUR) };
    let at_policy_hour = calendar::next_send_time(now, tz, country, hour);
    let same_day = |a: DateTime<Utc>, b: DateTime<Utc>| {
        a.with_timezone(&tz).date_naive() == b.with_timezone(&tz).date_naive()
    };
    if same_day(first_allowed, at_policy_hour) {
        at_policy_hour.max(first_allowed)
    } else {
        first_allowed
    }
}

/// A fixed offset in `[0, spread)` for reminder `id` (a multiplicative hash, so consecutive ids
/// land far apart).
fn spread_offset(id: i64, spread: Duration) -> Duration {
    let seconds = spread.num_seconds();
    if seconds <= 0 {
        return Duration::zero();
    }
    let hashed = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    Duration::seconds((hashed % seconds as u64) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    fn late(id: i64, send_at: &str, hour: u8) -> LateReminder {
        LateReminder {
            id,
            case_id: 1,
            stage: 0,
            send_at: utc(send_at),
            local_hour: hour,
            timezone: berlin(),
            country: Some("DE".to_owned()),
        }
    }

    const NO_SPREAD: CatchUpRules =
        CatchUpRules { spread: Duration::zero(), replan_after: Duration::hours(72) };

    #[test]
    fn the_window_ends_at_eight_in_the_evening_local_time() {
        // 2026-11-23 is a Monday; Berlin is UTC+1 in November.
        assert_eq!(send_by(utc("2026-11-23T09:00:00Z"), berlin()), utc("2026-11-23T19:00:00Z"));
        // In July (UTC+2).
        assert_eq!(send_by(utc("2026-07-06T07:00:00Z"), berlin()), utc("2026-07-06T18:00:00Z"));
    }

    #[test]
    fn sunday_afternoon_waits_for_monday_at_the_policy_s_hour() {
        // Planned Friday 2026-11-20 10:00 Berlin, found Sunday 16:10 Berlin: Monday 10:00.
        let verdict = NO_SPREAD.verdict(&late(7, "2026-11-20T09:00:00Z", 10), utc("2026-11-22T15:10:00Z"));
        let Verdict::Retime { send_at, send_by } = verdict else { panic!("{verdict:?}") };
        assert_eq!(send_at, utc("2026-11-23T09:00:00Z"));
        assert_eq!(send_by, utc("2026-11-23T19:00:00Z"));
    }

    #[test]
    fn inside_a_window_after_the_policy_s_hour_it_goes_at_once() {
        // Planned Saturday 10:00, found Monday 14:30 Berlin: the hour passed today, so now.
        let now = utc("2026-11-23T13:30:00Z");
        let verdict = NO_SPREAD.verdict(&late(7, "2026-11-21T09:00:00Z", 10), now);
        assert_eq!(verdict, Verdict::Retime { send_at: now, send_by: utc("2026-11-23T19:00:00Z") });
    }

    #[test]
    fn inside_a_window_before_the_policy_s_hour_it_waits_for_the_hour() {
        // Planned Saturday 17:00, found Monday 09:15 Berlin: 17:00 today.
        let verdict = NO_SPREAD.verdict(&late(7, "2026-11-21T16:00:00Z", 17), utc("2026-11-23T08:15:00Z"));
        let Verdict::Retime { send_at, .. } = verdict else { panic!("{verdict:?}") };
        assert_eq!(send_at, utc("2026-11-23T16:00:00Z"));
    }

    #[test]
    fn a_holiday_is_skipped() {
        // German Unity Day 2025 is a Friday: found Thursday 21:00 Berlin, next is Saturday.
        let verdict = NO_SPREAD.verdict(&late(7, "2025-10-02T07:00:00Z", 9), utc("2025-10-02T19:00:00Z"));
        let Verdict::Retime { send_at, .. } = verdict else { panic!("{verdict:?}") };
        assert_eq!(send_at, utc("2025-10-04T07:00:00Z"), "Saturday 09:00, not the holiday");
    }

    #[test]
    fn too_late_is_planned_anew() {
        let rules = CatchUpRules::default();
        let verdict = rules.verdict(&late(7, "2026-11-06T09:00:00Z", 10), utc("2026-11-22T15:10:00Z"));
        assert_eq!(verdict, Verdict::Replan, "16 days late");
        let verdict = rules.verdict(&late(7, "2026-11-20T09:00:00Z", 10), utc("2026-11-22T15:10:00Z"));
        assert!(matches!(verdict, Verdict::Retime { .. }), "2 days late: {verdict:?}");
    }

    #[test]
    fn a_backlog_is_spread_inside_the_window() {
        let rules = CatchUpRules::default();
        let now = utc("2026-11-22T15:10:00Z");
        let times: Vec<DateTime<Utc>> = (1..=500)
            .map(|id| match rules.verdict(&late(id, "2026-11-20T09:00:00Z", 10), now) {
                Verdict::Retime { send_at, .. } => send_at,
                other => panic!("{other:?}"),
            })
            .collect();
        let start = utc("2026-11-23T09:00:00Z");
        assert!(times.iter().all(|t| *t >= start && *t < start + Duration::minutes(60)), "{times:?}");
        let minutes: std::collections::BTreeSet<i64> =
            times.iter().map(|t| (*t - start).num_minutes()).collect();
        assert!(minutes.len() > 50, "spread over the hour, not bunched: {minutes:?}");
        // Near the window's end the spread is cut so nothing goes out after 19:59 local.
        let evening = utc("2026-11-23T18:50:00Z");
        for id in 1..=200 {
            let Verdict::Retime { send_at, send_by } =
                rules.verdict(&late(id, "2026-11-21T09:00:00Z", 10), evening)
            else {
                panic!()
            };
            assert!(send_at >= evening && send_at < send_by, "{send_at} {send_by}");
        }
    }
}
