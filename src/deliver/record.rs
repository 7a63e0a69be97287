//! Recording what a channel worker did with a batch, in one transaction: each result's meaning
//! for its reminder (sent, back into the outbox, failed, skipped, or handed back to the planner),
//! and one `reminders.sent` event per tenant and channel for what went out.

use super::fallback;
use crate::runtime::{NewEvent, RemindersSent, SentReminder};
use crate::store::tx::{SentRow, Unsent};
use crate::store::{DeliveryReport, DeliveryResult, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

pub async fn record_deliveries(
    store: &dyn Store,
    reports: &[DeliveryReport],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let ids: Vec<i64> = reports.iter().map(|report| report.reminder_id).collect();
    tx.lock_reminders(&ids).await?;
    let mut sent = Vec::new();
    for report in reports {
        let id = report.reminder_id;
        match &report.result {
            DeliveryResult::Sent { provider_id } => sent.push((id, provider_id.as_str())),
            DeliveryResult::Skipped { reason } => {
                tx.finish_unsent(id, Unsent::Skipped, reason, now).await?;
            }
            DeliveryResult::Failed { error } => {
                tx.finish_unsent(id, Unsent::Failed, error, now).await?;
            }
            DeliveryResult::Retry { error, retry_at } => tx.retry_later(id, error, *retry_at, now).await?,
            DeliveryResult::Unreachable { error, address } => {
                fallback::unreachable(tx.as_mut(), id, error, address, now).await?
            }
            DeliveryResult::OptedOut { reason } => fallback::opted_out(tx.as_mut(), id, reason, now).await?,
        }
    }
    // A replayed report finds its reminders sent already and adds no event.
    let newly_sent = tx.mark_sent(&sent, now).await?;
    let events: Vec<NewEvent> = sent_events(newly_sent, now).iter().map(NewEvent::from).collect();
    tx.append_events(&events).await?;
    tx.commit().await
}

/// One `reminders.sent` event per tenant and channel, listing its reminders in id order.
fn sent_events(rows: Vec<SentRow>, at: DateTime<Utc>) -> Vec<RemindersSent> {
    let mut groups: BTreeMap<_, Vec<SentReminder>> = BTreeMap::new();
    for row in rows {
        groups.entry((row.subject.tenant, row.channel)).or_default().push(SentReminder {
            reminder_id: row.reminder_id,
            case_id: row.subject.case_id,
            invoice_number: row.subject.invoice_number,
            debtor_id: row.subject.debtor_id,
            stage: row.stage + 1,
            instalment: (row.instalment > 0).then_some(row.instalment),
        });
    }
    groups
        .into_iter()
        .map(|((tenant, channel), mut reminders)| {
            reminders.sort_by_key(|r| r.reminder_id);
            RemindersSent {
                schema: Default::default(),
                tenant,
                occurred_at: at,
                kind: Default::default(),
                channel,
                reminders,
            }
        })
        .collect()
}
