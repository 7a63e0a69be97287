//! The dispatcher: moves reminders whose send time has come from the outbox table to their
//! channel's queue: claim, publish with confirms, mark queued ([`dispatch_with`]). A crash in
//! between leaves them scheduled and they are published again; channel workers skip what was
//! sent.
//! The event relay publishes the event log in order behind a cursor (see `Store::next_events`).

use super::catch_up::{CatchUpRules, Verdict};
use crate::domain::ChannelKind;
use crate::queue::{Message, Queue, Topology};
use crate::runtime::{DeliveryMessage, EVENT_ID_HEADER, REMINDERS_PER_MESSAGE};
use crate::store::tx::Unsent;
use crate::store::{ClaimedReminder, Store, StoreError};
use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a dispatcher may hold reminders before another one takes them over, where the store
/// leases them (SQLite; PostgreSQL holds them locked while publishing, see [`dispatch_with`]).
pub const LEASE: Duration = Duration::from_secs(60);

/// The messages for `claimed`, stamped `queued_at`: per channel, in claim order,
/// [`REMINDERS_PER_MESSAGE`] at most each.
fn delivery_messages(claimed: &[ClaimedReminder], queued_at: DateTime<Utc>) -> Vec<Message> {
    let mut by_channel: BTreeMap<ChannelKind, Vec<i64>> = BTreeMap::new();
    for reminder in claimed {
        by_channel.entry(reminder.channel).or_default().push(reminder.id);
    }
    by_channel
        .into_iter()
        .flat_map(|(channel, ids)| {
            ids.chunks(REMINDERS_PER_MESSAGE)
                .map(|chunk| Message {
                    routing_key: channel.as_str().to_owned(),
                    body: serde_json::to_vec(&DeliveryMessage {
                        reminder_ids: chunk.to_vec(),
                        queued_at: Some(queued_at),
                    })
                    .expect("a list of integers serialises"),
                    headers: Vec::new(),
                    message_id: None,
                    content_type: Some("application/json".to_owned()),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// How long a dispatcher may take to publish one batch. On PostgreSQL the batch's rows stay
/// locked meanwhile (a payment cancelling one of them waits), so a broker that does not confirm
/// within this time fails the batch instead, and it is dispatched again.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why [`dispatch_with`] stopped: the database, or the publish.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publishing reminders: {0:#}")]
    Publish(anyhow::Error),
}

/// Where claimed reminders go: their channels' queues, returning once the broker confirmed every
/// one.
#[async_trait]
pub trait PublishReminders: Send + Sync {
    /// Publishes `reminders` with their dispatch stamp `queued_at`.
    async fn publish(&self, reminders: &[ClaimedReminder], queued_at: DateTime<Utc>) -> anyhow::Result<()>;
}

/// Publishes claimed reminders to the delivery exchange.
struct ToDeliveryQueues<'a> {
    queue: &'a dyn Queue,
    exchange: String,
}

#[async_trait]
impl PublishReminders for ToDeliveryQueues<'_> {
    async fn publish(&self, reminders: &[ClaimedReminder], queued_at: DateTime<Utc>) -> anyhow::Result<()> {
        let publishing = self.queue.publish(&self.exchange, delivery_messages(reminders, queued_at));
        match tokio::time::timeout(PUBLISH_TIMEOUT, publishing).await {
            Ok(published) => Ok(published?),
            Err(_) => anyhow::bail!("the broker did not confirm within {} s", PUBLISH_TIMEOUT.as_secs()),
        }
    }
}

/// Publishes up to `limit` due reminders and marks them queued; returns how many.
pub async fn dispatch_due(
    store: &dyn Store,
    queue: &dyn Queue,
    topology: &Topology,
    now: DateTime<Utc>,
    limit: u32,
) -> anyhow::Result<usize> {
    let publish = ToDeliveryQueues { queue, exchange: topology.delivery_exchange() };
    dispatch_with(store, now, limit, &publish).await.context("dispatching due reminders")
}

/// Claims up to `limit` reminders whose send time has come, hands them to `publish`, and marks
/// them queued once it returned; returns how many. Where the store can hold its claims while
/// publishing (PostgreSQL: rows locked, `SKIP LOCKED` for everyone else), all of it is one
/// transaction: a failed publish rolls back and the reminders are due again at once, and each
/// reminder is written once. Elsewhere the claim is a lease of [`LEASE`], committed before
/// publishing: a failed publish leaves them scheduled until the lease runs out. A publish that
/// went out in part sends some twice, which channel workers skip.
pub async fn dispatch_with(
    store: &dyn Store,
    now: DateTime<Utc>,
    limit: u32,
    publish: &dyn PublishReminders,
) -> Result<usize, DispatchError> {
    // The stamp is stored with microseconds (PostgreSQL's precision), so it reads back equal.
    let now = now.trunc_subsecs(6);
    let mut tx = store.begin().await?;
    if let Some(claimed) = tx.lock_due_reminders(now, limit).await? {
        if claimed.is_empty() {
            return Ok(0);
        }
        if let Err(error) = publish.publish(&claimed, now).await {
            // The claims are released at once, so a retry right after finds them due.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rolling back the dispatch after a failed publish");
            }
            return Err(DispatchError::Publish(error));
        }
        let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
        tx.mark_queued(&ids, now).await?;
        tx.commit().await?;
        return Ok(ids.len());
    }
    let claimed = tx.lease_due_reminders(now, limit, LEASE).await?;
    tx.commit().await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    publish.publish(&claimed, now).await.map_err(DispatchError::Publish)?;
    let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
    store.mark_queued(&ids, now).await?;
    Ok(ids.len())
}

/// Puts up to `limit` reminders that have been queued for longer than `after` without a send
/// result back to scheduled, so that the dispatcher publishes them again (their delivery message
/// was lost: a purged queue, a broker that lost it). A worker sends only on the newest copy (see
/// `deliver::stamp`), so an old copy that turns up later sends nothing. Returns how many.
pub async fn redispatch_lost(
    store: &dyn Store,
    now: DateTime<Utc>,
    after: chrono::Duration,
    limit: u32,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let put_back = tx.requeue_lost(now - after, now, limit).await?;
    tx.commit().await?;
    if !put_back.is_empty() {
        tracing::warn!(
            count = put_back.len(),
            minutes = after.num_minutes(),
            first = put_back[0],
            "reminders queued without a send result: dispatched again"
        );
    }
    Ok(put_back.len())
}

/// Applies the catch-up rule ([`super::catch_up`]) to up to `limit` reminders found after their
/// allowed window closed: each is re-timed to its debtor's next allowed moment, or, when it is
/// more than [`CatchUpRules::replan_after`] late, cancelled and its stage planned anew. Returns
/// how many were handled.
pub async fn catch_up_late(
    store: &dyn Store,
    now: DateTime<Utc>,
    rules: &CatchUpRules,
    limit: u32,
) -> Result<usize, StoreError> {
    let mut tx = store.begin().await?;
    let late = tx.late_reminders(now, limit).await?;
    let (mut retimed, mut replanned) = (0, 0);
    for reminder in &late {
        match rules.verdict(reminder, now) {
            Verdict::Retime { send_at, send_by } => {
                tx.retime_reminder(reminder.id, send_at, send_by, now).await?;
                retimed += 1;
            }
            Verdict::Replan => {
                let hours_late = (now - reminder.send_at).num_hours();
                let reason = format!("catch-up: {hours_late} h late, its stage planned anew");
                if let Some(finished) =
                    tx.finish_unsent(reminder.id, Unsent::Superseded, &reason, now).await?
                {
                    super::replan_stage(tx.as_mut(), &finished, now).await?;
                    replanned += 1;
                }
            }
        }
    }
    tx.commit().await?;
    if !late.is_empty() {
        tracing::info!(retimed, replanned, "late reminders caught up after their window closed");
    }
    Ok(late.len())
}

/// Publishes the next batch of up to `limit` stored events to the events exchange (routing key
/// = the event's kind, body = its JSON), in order, and moves the relay's cursor past them;
/// returns how many. Nothing to publish, or another relay at work: 0. A failed publish leaves
/// the cursor where it was, and the same events go out on the next try.
pub async fn relay_events(
    store: &dyn Store,
    queue: &dyn Queue,
    topology: &Topology,
    limit: u32,
) -> anyhow::Result<usize> {
    let Some(batch) = store.next_events(limit).await.context("reading the next events")? else {
        return Ok(0);
    };
    let messages = batch
        .events
        .iter()
        .map(|event| Message {
            routing_key: event.kind.clone(),
            body: event.data.clone().into_bytes(),
            headers: vec![(
                EVENT_ID_HEADER.to_owned(),
                crate::queue::HeaderValue::text(event.id.to_string()),
            )],
            message_id: None,
            content_type: Some("application/json".to_owned()),
        })
        .collect();
    let count = batch.events.len();
    queue.publish(&topology.events_exchange(), messages).await.context("publishing events")?;
    batch.published().await.context("moving the event relay's cursor")?;
    metrics::counter!(crate::observe::names::EVENTS_RELAYED).increment(count as u64);
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(id: i64, channel: ChannelKind) -> ClaimedReminder {
        ClaimedReminder { id, channel }
    }

    #[test]
    fn one_message_per_channel_and_chunk_in_claim_order() {
        let mut reminders: Vec<ClaimedReminder> =
            (1..=250).map(|id| claimed(id, ChannelKind::Email)).collect();
        reminders.insert(10, claimed(1000, ChannelKind::Sms));
        let messages = delivery_messages(&reminders, DateTime::UNIX_EPOCH);
        let decoded: Vec<(String, Vec<i64>)> = messages
            .iter()
            .map(|m| (m.routing_key.clone(), DeliveryMessage::parse(&m.body).unwrap().reminder_ids))
            .collect();
        assert_eq!(decoded.len(), 4, "{decoded:?}");
        assert_eq!(decoded[0], ("email".to_owned(), (1..=100).collect::<Vec<i64>>()));
        assert_eq!(decoded[1], ("email".to_owned(), (101..=200).collect::<Vec<i64>>()));
        assert_eq!(decoded[2], ("email".to_owned(), (201..=250).collect::<Vec<i64>>()));
        assert_eq!(decoded[3], ("sms".to_owned(), vec![1000]));
        assert!(messages.iter().all(|m| m.content_type.as_deref() == Some("application/json")));
    }
}
