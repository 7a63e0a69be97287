//! Recording what a channel worker did with a batch, in one transaction: each result's meaning
//! for its reminder (sent, back into the outbox, failed, skipped, or handed back to the planner),
//! the default date a reminder sent fixes on its case (§ 286 (1) BGB: the first one after the
//! due date), and one `reminders.sent` event per tenant and channel for what went out.

use super::fallback;
use crate::domain::legal::InDefault;
use crate::runtime::{NewEvent, RemindersSent, SentReminder};
use crate::store::tx::{SentRow, Unsent};
use crate::store::{DeliveryReport, DeliveryResult, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
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
    let defaults = fixed_defaults(reports, now.date_naive());
    let newly_sent = tx.mark_sent(&sent, &defaults, now).await?;
    let events: Vec<NewEvent> = sent_events(newly_sent, now).iter().map(NewEvent::from).collect();
    tx.append_events(&events).await?;
    tx.commit().await
}

/// The default dates the sent reminders fix, by case (the earliest where a case had several sent
/// in the batch), for cases that store none yet: each job's case with its reminder sent `today`.
fn fixed_defaults(reports: &[DeliveryReport], today: NaiveDate) -> Vec<(i64, InDefault)> {
    let mut fixed: BTreeMap<i64, InDefault> = BTreeMap::new();
    for report in reports {
        let Some(job) = report.undated.as_deref() else { continue };
        if !matches!(report.result, DeliveryResult::Sent { .. }) {
            continue;
        }
        if let Some(default) = job.claim(today).default_to_store(today) {
            let earliest = fixed.entry(job.case_id).or_insert(default);
            if default.from < earliest.from {
                *earliest = default;
            }
        }
    }
    fixed.into_iter().collect()
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
