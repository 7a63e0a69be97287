//! When a reminder may go out: between 08:00 and 20:00 local time, never on a Sunday, never on a
//! nationwide public holiday of the debtor's country. Send times are computed in the debtor's
//! timezone and stored in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The first and the last local hour at which a reminder may start (08:00 to 19:59).
pub const FIRST_HOUR: u8 = 8;
pub const LAST_HOUR: u8 = 19;

/// The local hours a reminder may be sent at.
pub fn allowed_hours() -> Vec<u8> {
    (FIRST_HOUR..=LAST_HOUR).collect()
}

/// Whether reminders may be sent on `date` in `country` (ISO 3166-1 alpha-2, if known).
pub fn is_business_day(date: NaiveDate, country: Option<&str>) -> bool {
    date.weekday() != Weekday::Sun && !country.is_some_and(|c| is_public_holiday(date, c))
}

/// The earliest moment at or after `now` that is `hour`:00 local time on a day reminders may be
/// sent. Local times that do not exist (the spring-forward gap) move to the next day.
pub fn next_send_time(now: DateTime<Utc>, tz: Tz, country: Option<&str>, hour: u8) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    for offset in 0..60 {
        let date = today + Duration::days(offset);
        if !is_business_day(date, country) {
            continue;
        }
        let Some(local) = date.and_hms_opt(hour.into(), 0, 0) else { continue };
        let Some(at) = tz.from_local_datetime(&local).earliest() else { continue };
        let at = at.with_timezone(&Utc);
        if at >= now {
            return at;
        }
    }
    // Sixty days without a business day cannot happen with the calendars below.
    now
}

/// Nationwide public holidays: fixed dates plus those that move with Easter.
pub fn is_public_holiday(date: NaiveDate, country: &str) -> bool {
    let (fixed, easter_offsets): (&[(u32, u32)], &[i64]) = match country {
        "DE" => (&[(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)], &[-2, 1, 39, 50]),
        "AT" => (
            &[(1, 1), (1, 6), (5, 1), (8, 15), (10, 26), (11, 1), (12, 8), (12, 25), (12, 26)],
            &[1, 39, 50, 60],
        ),
        "CH" => (&[(1, 1), (8, 1), (12, 25)], &[39]),
        "FR" => (&[(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)], &[1, 39, 50]),
        "NL" => (&[(1, 1), (4, 27), (12, 25), (12, 26)], &[-2, 0, 1, 39, 49, 50]),
        "BE" => (&[(1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25)], &[1, 39, 50]),
        "IT" => {
            (&[(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)], &[1])
        }
        "ES" => (&[(1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25)], &[-2]),
        "PL" => (
            &[(1, 1), (1, 6), (5, 1), (5, 3), (8, 15), (11, 1), (11, 11), (12, 24), (12, 25), (12, 26)],
            &[0, 1, 49, 60],
        ),
        "GB" => (&[(1, 1), (12, 25), (12, 26)], &[-2, 1]),
        "TR" => (&[(1, 1), (4, 23), (5, 1), (5, 19), (7, 15), (8, 30), (10, 29)], &[]),
        _ => (&[], &[]),
    };
    if fixed.contains(&(date.month(), date.day())) {
        return true;
    }
    let Some(easter) = easter_sunday(date.year()) else { return false };
    easter_offsets.iter().any(|&days| easter + Duration::days(days) == date)
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2026), NaiveDate::from_ymd_opt(2026, 4, 5));
        assert_eq!(easter_sunday(2027), NaiveDate::from_ymd_opt(2027, 3, 28));
        assert_eq!(easter_sunday(2024), NaiveDate::from_ymd_opt(2024, 3, 31));
    }

    #[test]
    fn german_holidays() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert!(is_public_holiday(d(10, 3), "DE"));
        assert!(is_public_holiday(d(4, 3), "DE"), "Good Friday 2026");
        assert!(is_public_holiday(d(5, 25), "DE"), "Whit Monday 2026");
        assert!(!is_public_holiday(d(10, 4), "DE"));
        assert!(!is_public_holiday(d(10, 3), "FR"));
    }

    #[test]
    fn send_time_respects_hour_sunday_and_holiday() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // Monday 2026-11-23 07:00 UTC = 08:00 Berlin: 10:00 local today.
        let at = next_send_time(utc("2026-11-23T07:00:00Z"), berlin, Some("DE"), 10);
        assert_eq!(at, utc("2026-11-23T09:00:00Z"));
        // Saturday 21:00 local: the 10:00 slot passed, Sunday is skipped, Monday 10:00.
        let at = next_send_time(utc("2026-11-21T20:00:00Z"), berlin, Some("DE"), 10);
        assert_eq!(at, utc("2026-11-23T09:00:00Z"));
        // The day before German Unity Day (Saturday 2027-10-02 is fine; 2026-10-03 is a Saturday).
        let at = next_send_time(utc("2026-10-02T18:00:00Z"), berlin, Some("DE"), 9);
        assert_eq!(at.with_timezone(&berlin).date_naive(), NaiveDate::from_ymd_opt(2026, 10, 5).unwrap());
        assert_eq!(at.with_timezone(&berlin).hour(), 9);
    }
}
