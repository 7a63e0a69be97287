//! The German base rate (Basiszinssatz, § 247 BGB) as data: the Deutsche Bundesbank's published
//! values from 2002, extendable by configuration as new values are announced.

use super::{LegalError, Percent};
use chrono::{Datelike, Months, NaiveDate};

/// Where [`BUNDESBANK`] comes from, for the README and for anyone checking a figure.
pub const BUNDESBANK_SOURCE: &str = "Deutsche Bundesbank, Basiszinssatz nach § 247 BGB \
     (published in the Bundesanzeiger on each change; table at bundesbank.de, \"Basiszinssatz\")";

/// (year, month, rate in hundredths of a percent): the base rate in force from the first day of
/// that month. Covers 1 January 2002 (when § 247 BGB took effect) to 30 June 2026; each half-year
/// has its row even when the rate did not change, so a missing row is visible as a gap.
const BUNDESBANK: &[(i32, u32, i64)] = &[
    (2002, 1, 257),
    (2002, 7, 247),
    (2003, 1, 197),
    (2003, 7, 122),
    (2004, 1, 114),
    (2004, 7, 113),
    (2005, 1, 121),
    (2005, 7, 117),
    (2006, 1, 137),
    (2006, 7, 195),
    (2007, 1, 270),
    (2007, 7, 319),
    (2008, 1, 332),
    (2008, 7, 319),
    (2009, 1, 162),
    (2009, 7, 12),
    (2010, 1, 12),
    (2010, 7, 12),
    (2011, 1, 12),
    (2011, 7, 37),
    (2012, 1, 12),
    (2012, 7, 12),
    (2013, 1, -13),
    (2013, 7, -38),
    (2014, 1, -63),
    (2014, 7, -73),
    (2015, 1, -83),
    (2015, 7, -83),
    (2016, 1, -83),
    (2016, 7, -88),
    (2017, 1, -88),
    (2017, 7, -88),
    (2018, 1, -88),
    (2018, 7, -88),
    (2019, 1, -88),
    (2019, 7, -88),
    (2020, 1, -88),
    (2020, 7, -88),
    (2021, 1, -88),
    (2021, 7, -88),
    (2022, 1, -88),
    (2022, 7, -88),
    (2023, 1, 162),
    (2023, 7, 312),
    (2024, 1, 362),
    (2024, 7, 337),
    (2025, 1, 227),
    (2025, 7, 127),
    (2026, 1, 127),
];

/// The base rates in force, each from its change day until the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseRateTable {
    /// Sorted by day, one entry per change day, never empty.
    entries: Vec<(NaiveDate, Percent)>,
}

/// The base rate on a day and the run of days around it on which it is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseRateSpan {
    pub rate: Percent,
    /// First day of the run.
    pub from: NaiveDate,
    /// First day after the run; `None` past the table's end, where the last rate is assumed.
    pub until: Option<NaiveDate>,
    /// True when the day lies after the last half-year the table covers: the rate is the last
    /// published one, carried forward until the table is extended.
    pub past_table_end: bool,
}

impl Default for BaseRateTable {
    fn default() -> Self {
        Self::bundesbank()
    }
}

impl BaseRateTable {
    /// The Bundesbank's values as shipped (see [`BUNDESBANK_SOURCE`]).
    pub fn bundesbank() -> Self {
        let entries = BUNDESBANK
            .iter()
            .map(|&(year, month, hundredths)| {
                let day = NaiveDate::from_ymd_opt(year, month, 1).expect("the table holds real days");
                (day, Percent::hundredths(hundredths))
            })
            .collect();
        Self { entries }
    }

    /// The shipped values plus `extra` ones from configuration: a value announced after this
    /// release, or a correction (an extra entry on a day the table has replaces that row).
    pub fn with_entries(extra: impl IntoIterator<Item = (NaiveDate, Percent)>) -> Result<Self, LegalError> {
        let mut table = Self::bundesbank();
        for (day, rate) in extra {
            if day.day() != 1 || !(day.month() == 1 || day.month() == 7) {
                return Err(LegalError::BaseRateNotOnChangeDay { day });
            }
            match table.entries.binary_search_by_key(&day, |&(d, _)| d) {
                Ok(at) => table.entries[at].1 = rate,
                Err(at) => table.entries.insert(at, (day, rate)),
            }
        }
        for pair in table.entries.windows(2) {
            let missing = half_year_after(pair[0].0);
            if pair[1].0 != missing {
                return Err(LegalError::BaseRateGap { missing, next: pair[1].0 });
            }
        }
        Ok(table)
    }

    /// The first change day whose rate the table lacks although it is `today` or earlier: the
    /// Bundesbank has announced a value the table does not hold (interest from that day carries
    /// the last rate, flagged `past_table_end`). `None` while the table covers `today`.
    pub fn missing_on(&self, today: NaiveDate) -> Option<NaiveDate> {
        let end = self.end();
        (end <= today).then_some(end)
    }

    pub fn first_day(&self) -> NaiveDate {
        self.entries[0].0
    }

    /// The first day the table does not cover: six months after its last entry, since the next
    /// change day may move the rate.
    pub fn end(&self) -> NaiveDate {
        half_year_after(self.entries[self.entries.len() - 1].0)
    }

    pub fn entries(&self) -> &[(NaiveDate, Percent)] {
        &self.entries
    }

    /// The base rate on `day`, with the run of days on which it stays the same: consecutive
    /// half-years with an equal rate form one run, so an interest statement shows one line for
    /// 1 July 2016 to 31 December 2022 rather than thirteen.
    pub fn on(&self, day: NaiveDate) -> Result<BaseRateSpan, LegalError> {
        if day < self.first_day() {
            return Err(LegalError::BeforeBaseRateTable { day, first: self.first_day() });
        }
        let end = self.end();
        let last_rate = self.entries[self.entries.len() - 1].1;
        if day >= end {
            return Ok(BaseRateSpan { rate: last_rate, from: end, until: None, past_table_end: true });
        }
        // The entry in force: the last one on or before `day`.
        let at = self.entries.partition_point(|&(d, _)| d <= day) - 1;
        let rate = self.entries[at].1;
        let first = self.entries[..at].iter().rposition(|&(_, r)| r != rate).map_or(0, |i| i + 1);
        let until = self.entries[at + 1..].iter().find(|&&(_, r)| r != rate).map(|&(d, _)| d).unwrap_or(end);
        Ok(BaseRateSpan { rate, from: self.entries[first].0, until: Some(until), past_table_end: false })
    }
}

/// The change day six months after `day`.
fn half_year_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(6)).expect("table dates are far from chrono's limits")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn one_row_per_half_year_without_gaps() {
        let table = BaseRateTable::bundesbank();
        for pair in table.entries().windows(2) {
            assert_eq!(pair[0].0.checked_add_months(Months::new(6)), Some(pair[1].0));
        }
        assert_eq!(table.first_day(), day(2002, 1, 1));
        assert_eq!(table.end(), day(2026, 7, 1));
    }

    #[test]
    fn the_issues_values() {
        let table = BaseRateTable::bundesbank();
        for (d, hundredths) in [
            (day(2023, 1, 1), 162),
            (day(2023, 7, 1), 312),
            (day(2024, 1, 1), 362),
            (day(2024, 7, 1), 337),
            (day(2025, 1, 1), 227),
            (day(2025, 7, 1), 127),
            (day(2026, 1, 1), 127),
            (day(2014, 7, 1), -73),
            (day(2019, 3, 15), -88),
        ] {
            assert_eq!(table.on(d).unwrap().rate, Percent::hundredths(hundredths), "{d}");
        }
    }

    #[test]
    fn equal_rates_form_one_run() {
        let span = BaseRateTable::bundesbank().on(day(2019, 3, 15)).unwrap();
        assert_eq!((span.from, span.until), (day(2016, 7, 1), Some(day(2023, 1, 1))));
        let span = BaseRateTable::bundesbank().on(day(2026, 3, 1)).unwrap();
        assert_eq!(
            (span.from, span.until, span.past_table_end),
            (day(2025, 7, 1), Some(day(2026, 7, 1)), false)
        );
    }

    #[test]
    fn past_the_end_the_last_rate_is_assumed() {
        let span = BaseRateTable::bundesbank().on(day(2026, 12, 6)).unwrap();
        assert_eq!(
            span,
            BaseRateSpan {
                rate: Percent::hundredths(127),
                from: day(2026, 7, 1),
                until: None,
                past_table_end: true
            }
        );
    }

    #[test]
    fn configuration_extends_and_corrects() {
        let table = BaseRateTable::with_entries([(day(2026, 7, 1), Percent::hundredths(100))]).unwrap();
        assert_eq!(table.on(day(2026, 12, 6)).unwrap().rate, Percent::hundredths(100));
        assert!(!table.on(day(2026, 12, 6)).unwrap().past_table_end);
        assert_eq!(table.end(), day(2027, 1, 1));
        let fixed = BaseRateTable::with_entries([(day(2024, 1, 1), Percent::hundredths(1))]).unwrap();
        assert_eq!(fixed.on(day(2024, 2, 1)).unwrap().rate, Percent::hundredths(1));
        assert_eq!(
            BaseRateTable::with_entries([(day(2027, 2, 1), Percent::hundredths(1))]),
            Err(LegalError::BaseRateNotOnChangeDay { day: day(2027, 2, 1) })
        );
        assert!(BaseRateTable::bundesbank().on(day(2001, 12, 31)).is_err());
    }

    #[test]
    fn an_entry_after_a_gap_is_refused() {
        // 1 July 2026 left out: 1 January 2027 would carry 1.27 through it without a word.
        assert_eq!(
            BaseRateTable::with_entries([(day(2027, 1, 1), Percent::hundredths(227))]),
            Err(LegalError::BaseRateGap { missing: day(2026, 7, 1), next: day(2027, 1, 1) })
        );
        let both = [(day(2027, 1, 1), Percent::hundredths(227)), (day(2026, 7, 1), Percent::hundredths(127))];
        assert_eq!(BaseRateTable::with_entries(both).unwrap().end(), day(2027, 7, 1));
    }

    #[test]
    fn a_table_that_ended_before_today_says_which_half_year_it_lacks() {
        let table = BaseRateTable::bundesbank();
        assert_eq!(table.missing_on(day(2026, 6, 30)), None);
        assert_eq!(table.missing_on(day(2026, 7, 1)), Some(day(2026, 7, 1)));
        assert_eq!(table.missing_on(day(2026, 12, 6)), Some(day(2026, 7, 1)));
        let extended = BaseRateTable::with_entries([(day(2026, 7, 1), Percent::hundredths(127))]).unwrap();
        assert_eq!(extended.missing_on(day(2026, 12, 6)), None);
        assert_eq!(extended.missing_on(day(2027, 1, 1)), Some(day(2027, 1, 1)));
    }
}
