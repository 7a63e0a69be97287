//! Collecting deliveries into batches, so that one database transaction and one `multiple` ack
//! cover many messages: wait for the first delivery, then take whatever else arrives within a
//! short linger, up to a number of messages or of body bytes ([`BatchLimits`]).

use super::{Consumer, Delivery, Queue};
use crate::shutdown::Shutdown;
use std::future::Future;
use std::time::Duration;

/// How large a batch may grow and how many deliveries the broker may hand over before they are
/// acked (the prefetch: the batch being processed and the next one, arriving meanwhile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most deliveries in one batch.
    pub max_messages: usize,
    /// A batch closes as soon as its bodies hold this many bytes (the delivery that reaches it
    /// is the batch's last).
    pub max_bytes: usize,
    /// Unacked deliveries the broker may hand over (AMQP `basic.qos` prefetch count).
    pub prefetch: u16,
    /// How long to wait for one more delivery before a partial batch is processed.
    pub linger: Duration,
}

impl BatchLimits {
    /// Bounded by count only: batches of up to `max_messages`, a prefetch of two batches. For
    /// queues of small messages the service itself publishes (the delivery queues).
    pub fn by_count(max_messages: usize, linger: Duration) -> Self {
        let max_messages = max_messages.max(1);
        let prefetch = u16::try_from(max_messages * 2).unwrap_or(u16::MAX);
        Self { max_messages, max_bytes: usize::MAX, prefetch, linger }
    }

    /// Bounded in bytes: the bodies held at once, prefetched or in the batch being processed,
    /// stay within `budget` as long as each body is at most `largest_body`. RabbitMQ ignores
    /// AMQP's prefetch by size, so the prefetch is a count derived from the budget: `budget /
    /// largest_body` deliveries (at least 2, at most two batches of `max_messages`), half of
    /// them per batch, and a batch closes at half the budget in bytes. A body larger than
    /// `largest_body` (the broker's own limit decides whether one can arrive at all) overshoots
    /// the budget by at most its own size per prefetched delivery.
    pub fn by_bytes(budget: usize, largest_body: usize, max_messages: usize, linger: Duration) -> Self {
        let ceiling = (max_messages.max(1) * 2).min(usize::from(u16::MAX));
        let prefetch = (budget / largest_body.max(1)).clamp(2, ceiling.max(2));
        Self {
            max_messages: prefetch / 2,
            max_bytes: (budget / 2).max(1),
            prefetch: u16::try_from(prefetch).unwrap_or(u16::MAX),
            linger,
        }
    }
}

/// The next batch, or `None` when shutting down or when the consumer ended (connection lost).
pub async fn next_batch(
    consumer: &mut dyn Consumer,
    limits: &BatchLimits,
    shutdown: &mut Shutdown,
) -> Option<Vec<Delivery>> {
    let first = tokio::select! {
        next = consumer.next() => next?,
        _ = shutdown.wait() => return None,
    };
    let mut bytes = first.message.body.len();
    let mut batch = vec![first];
    while batch.len() < limits.max_messages && bytes < limits.max_bytes {
        match tokio::time::timeout(limits.linger, consumer.next()).await {
            Ok(Some(delivery)) => {
                bytes += delivery.message.body.len();
                batch.push(delivery);
            }
            Ok(None) | Err(_) => break,
        }
    }
    Some(batch)
}

/// The bytes of the bodies `batch` holds.
pub fn body_bytes(batch: &[Delivery]) -> usize {
    batch.iter().map(|delivery| delivery.message.body.len()).sum()
}

/// What a batch consumer does with one batch; it must ack what it finished.
pub trait ProcessBatch: Sync {
    fn process<'a>(&'a self, batch: &'a [Delivery]) -> impl Future<Output = anyhow::Result<()>> + Send + 'a;
}

/// Consumes `queue_name` in batches until shutdown, handing each batch to `handler`. A batch that
/// fails is requeued whole and the subscription restarts after a backoff (100 ms doubling to
/// 10 s), so a broker or database outage pauses the consumer instead of ending it.
pub async fn consume_in_batches(
    queue: &dyn Queue,
    queue_name: &str,
    limits: BatchLimits,
    mut shutdown: Shutdown,
    handler: &impl ProcessBatch,
) {
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_triggered() {
        let failure = match queue.consume(queue_name, limits.prefetch).await {
            Err(error) => Some(anyhow::Error::new(error).context("subscribing")),
            Ok(mut consumer) => {
                let mut failure = None;
                while let Some(batch) = next_batch(consumer.as_mut(), &limits, &mut shutdown).await {
                    if let Err(error) = handler.process(&batch).await {
                        for delivery in &batch {
                            let _ = delivery.requeue().await;
                        }
                        failure = Some(error);
                        break;
                    }
                    backoff = Duration::from_millis(100);
                }
                failure
            }
        };
        if let Some(error) = failure {
            tracing::warn!(
                queue = queue_name,
                error = format!("{error:#}"),
                retry_in_ms = backoff.as_millis() as u64,
                "consumer interrupted"
            );
            if shutdown.sleep(backoff).await {
                break;
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn a_byte_budget_bounds_what_the_broker_may_hand_over() {
        let linger = Duration::from_millis(5);
        let limits = BatchLimits::by_bytes(64 * MIB, MIB, 500, linger);
        assert_eq!((limits.prefetch, limits.max_messages, limits.max_bytes), (64, 32, 32 * MIB));
        assert!(usize::from(limits.prefetch) * MIB <= 64 * MIB, "prefetched bodies within the budget");
        // A large budget is capped at two batches; a tiny one still lets a batch and the next flow.
        assert_eq!(BatchLimits::by_bytes(4096 * MIB, MIB, 500, linger).prefetch, 1000);
        let tiny = BatchLimits::by_bytes(MIB / 2, MIB, 500, linger);
        assert_eq!((tiny.prefetch, tiny.max_messages), (2, 1));
        let by_count = BatchLimits::by_count(100, linger);
        assert_eq!((by_count.prefetch, by_count.max_messages, by_count.max_bytes), (200, 100, usize::MAX));
    }
}
