//! Warning the creditor before a claim becomes time-barred: a case still owed on whose
//! limitation date (stored on the case at intake, `Limitation::regular` of its due date) is
//! within the window emits `case.limitation_near`, once. Reminders do not stop the clock; only
//! the creditor can (a court dunning procedure, § 204 BGB), so the event is theirs to act on.

use crate::runtime::{EventBody, NewEvent};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Days, Utc};

/// Emits `case.limitation_near` for up to `limit` cases whose claim becomes time-barred within
/// `days` days of `now` (by its UTC date) and that were not warned yet; returns how many.
pub async fn warn_limitation_near(
    store: &dyn Store,
    now: DateTime<Utc>,
    days: u32,
    limit: u32,
) -> Result<usize, StoreError> {
    let today = now.date_naive();
    let cutoff = today.checked_add_days(Days::new(u64::from(days))).unwrap_or(today);
    let mut tx = store.begin().await?;
    let near = tx.warn_limitation_near(cutoff, now, limit).await?;
    let events: Vec<NewEvent> = near
        .iter()
        .map(|case| {
            let body = EventBody::LimitationNear {
                limitation_last_day: case.last_day,
                state: case.state.as_str().to_owned(),
                open_amount: case.open.amount(),
                currency: case.open.currency(),
            };
            NewEvent::from(&case.subject.event(now, body))
        })
        .collect();
    tx.append_events(&events).await?;
    tx.commit().await?;
    Ok(near.len())
}
