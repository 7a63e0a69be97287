//! Collecting deliveries into batches, so that one database transaction and one `multiple` ack
//! cover many messages: wait for the first delivery, then take whatever else arrives within a
//! short linger, up to a maximum.

use super::{Consumer, Delivery, Queue};
use crate::shutdown::Shutdown;
use std::future::Future;
use std::time::Duration;

/// The next batch, or `None` when shutting down or when the consumer ended (connection lost).
pub async fn next_batch(
    consumer: &mut dyn Consumer,
    max: usize,
    linger: Duration,
    shutdown: &mut Shutdown,
) -> Option<Vec<Delivery>> {
    let first = tokio::select! {
        next = consumer.next() => next?,
        _ = shutdown.wait() => return None,
    };
    let mut batch = vec![first];
    while batch.len() < max {
        match tokio::time::timeout(linger, consumer.next()).await {
            Ok(Some(delivery)) => batch.push(delivery),
            Ok(None) | Err(_) => break,
        }
    }
    Some(batch)
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
    max: usize,
    linger: Duration,
    mut shutdown: Shutdown,
    handler: &impl ProcessBatch,
) {
    let prefetch = u16::try_from(max * 2).unwrap_or(u16::MAX);
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_triggered() {
        let failure = match queue.consume(queue_name, prefetch).await {
            Err(error) => Some(anyhow::Error::new(error).context("subscribing")),
            Ok(mut consumer) => {
                let mut failure = None;
                while let Some(batch) = next_batch(consumer.as_mut(), max, linger, &mut shutdown).await {
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
