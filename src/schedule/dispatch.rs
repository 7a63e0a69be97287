//! The dispatcher: moves reminders whose send time has come from the outbox table to their
//! channel's queue. Lease, publish with confirms, then mark queued — a crash in between leaves a
//! lease that runs out and the reminder is published again; channel workers skip what was sent.
//! The event relay publishes the event log in order behind a cursor (see `Store::next_events`).

use crate::queue::{Message, Queue, Topology};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a dispatcher may hold reminders before another one takes them over.
pub const LEASE: Duration = Duration::from_secs(60);

/// The body of a message on `mahnwerk.delivery`: only the reminder's id. Everything else is
/// read from the database when it is delivered, so a stale message cannot send stale content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub reminder_id: i64,
}

/// Publishes up to `limit` due reminders; returns how many.
pub async fn dispatch_due(
    store: &dyn Store,
    queue: &dyn Queue,
    topology: &Topology,
    now: DateTime<Utc>,
    limit: u32,
) -> anyhow::Result<usize> {
    let claimed = store.claim_due_reminders(now, limit, LEASE).await.context("claiming due reminders")?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let messages = claimed
        .iter()
        .map(|r| Message {
            routing_key: r.channel.as_str().to_owned(),
            body: serde_json::to_vec(&DeliveryMessage { reminder_id: r.id })
                .expect("a struct of one integer serialises"),
            headers: Vec::new(),
            content_type: Some("application/json".to_owned()),
        })
        .collect();
    queue.publish(&topology.delivery_exchange(), messages).await.context("publishing reminders")?;
    let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
    store.mark_queued(&ids).await.context("marking reminders queued")?;
    Ok(ids.len())
}

/// The header carrying an event's row id, so consumers can drop the rare duplicate (an event is
/// published again when its relay died between the broker's confirm and moving its cursor).
pub const EVENT_ID_HEADER: &str = "x-mahnwerk-event-id";

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
            headers: vec![(EVENT_ID_HEADER.to_owned(), event.id.to_string())],
            content_type: Some("application/json".to_owned()),
        })
        .collect();
    let count = batch.events.len();
    queue.publish(&topology.events_exchange(), messages).await.context("publishing events")?;
    batch.published().await.context("moving the event relay's cursor")?;
    Ok(count)
}
