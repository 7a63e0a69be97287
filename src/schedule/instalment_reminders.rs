//! The reminders of an instalment plan, planned when the plan is agreed: for each instalment one
//! [`InstalmentNotice::Upcoming`] `reminder_days` before its due date and one
//! [`InstalmentNotice::Due`] on it, at [`NOTICE_HOUR`] local time on a day reminders may be sent,
//! on the channel the case's stages reached the debtor on. They go through the outbox like a
//! stage's reminder (dispatch, delivery, consent re-checked) but are no stage: no fee, no policy
//! decision, no reward. A payment that covers an instalment cancels its pending reminders
//! (`crate::pay::instalments`); a plan that ends cancels all of them.

use super::{calendar, catch_up};
use crate::domain::{Instalment, InstalmentNotice, PolicyVersion, Tone};
use crate::store::instalment_reminders::ReminderRoute;
use crate::store::NewReminder;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

/// The local hour instalment reminders go out (the fixed schedule's hour).
pub const NOTICE_HOUR: u8 = 10;

/// The stage name instalment reminders carry (a tenant's approved WhatsApp template is looked up
/// by it).
pub const STAGE_NAME: &str = "instalment";

/// The reminders of `plan` planned at `now` along `route`, `reminder_days` before each due date
/// and on it. A notice whose day is past goes out at the next allowed hour; an upcoming notice
/// that would not go out before its instalment's due day is left out (the due one says it all).
pub fn instalment_reminders(
    plan: &[Instalment],
    route: &ReminderRoute,
    reminder_days: u32,
    now: DateTime<Utc>,
) -> Vec<NewReminder> {
    let of = plan.len();
    let mut reminders = Vec::with_capacity(of * 2);
    for instalment in plan {
        for notice in InstalmentNotice::ALL {
            let send_at = send_time(notice.day(instalment.due_on, reminder_days), route, now);
            let local_day = send_at.with_timezone(&route.timezone).date_naive();
            if notice == InstalmentNotice::Upcoming && local_day >= instalment.due_on {
                continue;
            }
            reminders.push(NewReminder {
                stage: notice.stage(),
                stage_name: STAGE_NAME.to_owned(),
                tone: Tone::Friendly,
                fee: rust_decimal::Decimal::ZERO,
                channel: route.channel,
                send_at,
                send_by: catch_up::send_by(send_at, route.timezone),
                local_hour: NOTICE_HOUR,
                context: json!({"instalment": instalment.number, "instalments": of, "notice": notice.as_str()}),
                allowed: json!({"channels": [route.channel.as_str()], "hours": [NOTICE_HOUR]}),
                propensity: 1.0,
                policy_version: PolicyVersion::fixed(),
                next_action_at: send_at,
                instalment: instalment.seq,
                escalates_after_days: None,
            });
        }
    }
    reminders
}

/// [`NOTICE_HOUR`] on `day` in the debtor's time zone, or on the next day reminders may be sent;
/// never before `now`.
fn send_time(day: chrono::NaiveDate, route: &ReminderRoute, now: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .and_then(|local| route.timezone.from_local_datetime(&local).earliest())
        .map_or(now, |start| start.with_timezone(&Utc));
    calendar::next_send_time(midnight.max(now), route.timezone, route.country.as_deref(), NOTICE_HOUR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChannelKind, InstalmentRules};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn each_instalment_is_reminded_before_and_on_its_due_date_at_ten_local() {
        let route = ReminderRoute {
            channel: ChannelKind::Sms,
            timezone: chrono_tz::Europe::Berlin,
            country: Some("DE".into()),
        };
        let now = at("2026-01-13T15:00:00Z"); // a Tuesday
        let plan = InstalmentRules::default().plan(now.date_naive(), "90".parse().unwrap(), 3, 2).unwrap();
        let reminders = instalment_reminders(&plan, &route, 3, now);
        let seen: Vec<_> = reminders.iter().map(|r| (r.instalment, r.stage, r.send_at)).collect();
        assert_eq!(
            seen,
            [
                (1, 0, at("2026-01-17T09:00:00Z")), // 3 days before Tuesday 20 January
                (1, 1, at("2026-01-20T09:00:00Z")),
                (2, 0, at("2026-02-17T09:00:00Z")),
                (2, 1, at("2026-02-20T09:00:00Z")),
                (3, 0, at("2026-03-17T09:00:00Z")),
                (3, 1, at("2026-03-20T09:00:00Z")),
            ]
        );
        assert!(reminders.iter().all(|r| r.fee.is_zero() && r.channel == ChannelKind::Sms));
        assert!(reminders.iter().all(|r| r.send_by > r.send_at));
    }

    #[test]
    fn a_notice_never_goes_out_on_a_sunday_nor_before_now() {
        let route = ReminderRoute { channel: ChannelKind::Email, timezone: chrono_tz::UTC, country: None };
        // Agreed on Monday 5 January: the first instalment is due Monday 12 January; three days
        // before is Friday 9 January. With 6 days' notice it would be Tuesday 6th.
        let now = at("2026-01-05T12:00:00Z");
        let plan = InstalmentRules::default().plan(now.date_naive(), "60".parse().unwrap(), 2, 2).unwrap();
        let first = |days| instalment_reminders(&plan, &route, days, now)[0].send_at;
        assert_eq!(first(3), at("2026-01-09T10:00:00Z"));
        assert_eq!(first(6), at("2026-01-06T10:00:00Z"));
        // Due in 7 days, reminded 20 days before: that day is past, it goes out at the next 10:00.
        assert_eq!(first(20), at("2026-01-06T10:00:00Z"));
        // Reminded 1 day before a Monday: Sunday is no day for reminders, and Monday is the due
        // day itself, so only the due day's reminder goes out.
        let reminders = instalment_reminders(&plan, &route, 1, now);
        assert_eq!(
            reminders.iter().filter(|r| r.instalment == 1).map(|r| (r.stage, r.send_at)).collect::<Vec<_>>(),
            [(1, at("2026-01-12T10:00:00Z"))]
        );
    }
}
