//! What providers report after the send (delivery receipts, inbound messages, opt-outs), recorded
//! in one transaction per webhook; a receipt that newly says an address is dead hands the stage
//! back to the planner, as a dead address at send time does.

use super::fallback;
use crate::store::{ConsentEvent, ProviderReport, ReportOutcome, Store, StoreError};
use chrono::{DateTime, Utc};

/// Records `report` (`now` is when it was received); unknown message ids and contacts change
/// nothing.
pub async fn record_provider_report(
    store: &dyn Store,
    report: &ProviderReport,
    now: DateTime<Utc>,
) -> Result<ReportOutcome, StoreError> {
    let mut tx = store.begin().await?;
    let (outcome, dead) = tx.record_provider_report(report, now).await?;
    for (reminder, at) in dead {
        fallback::dead_after_sending(tx.as_mut(), reminder, at).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Appends one consent event to the ledger; returns how many debtors it was recorded for.
pub async fn record_consent(
    store: &dyn Store,
    event: &ConsentEvent,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let report = ProviderReport { consents: vec![event.clone()], ..ProviderReport::default() };
    Ok(record_provider_report(store, &report, now).await?.consents)
}
