//! Collecting deliveries into batches, so that one database transaction and one `multiple` ack
//! cover many messages: wait for the first delivery, then take whatever else arrives within a
//! short linger, up to a maximum.

use super::{Consumer, Delivery};
use crate::shutdown::Shutdown;
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
