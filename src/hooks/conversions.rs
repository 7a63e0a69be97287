//! Conversions: a SKU recommended to a debtor after a payment, found later in one of their
//! invoices (a dunned one from intake, or one sent as `invoice.issued`) issued within the window
//! (`[recommend] conversion_window_days`, default 90) from the day of the recommendation, is
//! recorded once per (recommendation, SKU) and announced as `recommendation.converted`, in one
//! transaction ([`record_conversions`]). The `recommender` role looks every
//! `conversion_scan_secs`; a scan reads only recommendations of the last window.

use crate::runtime::{EventBody, NewEvent};
use crate::store::conversions::ConversionCandidate;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Days, NaiveDate, Utc};
use std::collections::HashSet;

/// Whether an invoice issued on `issued_on` buys what was recommended at `recommended_at`: on
/// the day of the recommendation or later, and no later than `window_days` after it.
pub fn is_conversion(recommended_at: DateTime<Utc>, issued_on: NaiveDate, window_days: u32) -> bool {
    let from = recommended_at.date_naive();
    let until = from.checked_add_days(Days::new(u64::from(window_days))).unwrap_or(NaiveDate::MAX);
    (from..=until).contains(&issued_on)
}

/// Records every conversion not recorded yet among the recommendations of the last
/// `window_days` before `now`, with its event; returns how many.
#[tracing::instrument(skip_all)]
pub async fn record_conversions(
    store: &dyn Store,
    window_days: u32,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let since = now - chrono::Duration::days(i64::from(window_days));
    let mut tx = store.begin().await?;
    let candidates = tx.conversion_candidates(since).await?;
    let mut done: HashSet<(i64, String)> = HashSet::new();
    let mut events = Vec::new();
    // Ordered by case, SKU, then issue date: the first invoice in the window converts.
    for candidate in candidates {
        let ConversionCandidate { subject, sku, model_version, recommended_at, invoice, issued_on } =
            candidate;
        if done.contains(&(subject.case_id, sku.clone()))
            || !is_conversion(recommended_at, issued_on, window_days)
        {
            continue;
        }
        if tx.insert_conversion(subject.case_id, &sku, &invoice, now).await? {
            done.insert((subject.case_id, sku.clone()));
            let body =
                EventBody::RecommendationConverted { model_version, sku, recommended_at, invoice, issued_on };
            events.push(NewEvent::from(&subject.event(now, body)));
        }
    }
    tx.append_events(&events).await?;
    tx.commit().await?;
    if !events.is_empty() {
        tracing::info!(conversions = events.len(), "recommended items bought");
    }
    Ok(events.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_on_the_day_of_the_recommendation() {
        let at = DateTime::parse_from_rfc3339("2026-03-10T15:00:00Z").unwrap().with_timezone(&Utc);
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert!(!is_conversion(at, day("2026-03-09"), 90), "bought before: no conversion");
        assert!(is_conversion(at, day("2026-03-10"), 90));
        assert!(is_conversion(at, day("2026-06-08"), 90), "the 90th day");
        assert!(!is_conversion(at, day("2026-06-09"), 90));
    }
}
