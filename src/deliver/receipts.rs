//! What providers report after the send (delivery receipts, inbound messages, opt-outs), recorded
//! in one transaction per webhook; a receipt that newly says an address is dead hands the stage
//! back to the planner, as a dead address at send time does.

use super::fallback;
use crate::domain::{ChannelKind, ConsentKind, ConsentSource};
use crate::store::{
    ConsentEvent, ConsentSubject, DeliveryJob, ProviderReport, ReportOutcome, Store, StoreError,
};
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

/// The debtor followed the unsubscribe link of `reminder_id` for `channel`: an opt-out is appended
/// to the ledger, unless one is already in force for them there, so a replayed or repeated link
/// writes nothing. Returns whether it was recorded. `job` is the reminder as loaded for the link,
/// with the debtor's consents as they are now.
pub async fn unsubscribe(
    store: &dyn Store,
    job: &DeliveryJob,
    channel: ChannelKind,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if job.consents.latest(channel) == Some(ConsentKind::OptOut) {
        return Ok(false);
    }
    let event = ConsentEvent {
        subject: ConsentSubject::Debtor { tenant: job.tenant.clone(), debtor: job.debtor.id.clone() },
        channel,
        kind: ConsentKind::OptOut,
        at: now,
        source: ConsentSource::EmailUnsubscribe,
        detail: Some(format!("reminder {}", job.reminder_id)),
        provider_event_id: None,
    };
    Ok(record_consent(store, &event, now).await? > 0)
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
