//! The queue of a process that talks to no broker: the `api` role, which writes only to the
//! database (events leave through the store's log, relayed by a scheduler), so that webhooks,
//! unsubscribe links and pay-pages keep working while RabbitMQ is down. Every call is refused
//! with an error saying so, never silently swallowed.

use super::{Consumer, Message, Queue, QueueError};
use async_trait::async_trait;

/// A queue that refuses every operation: this process does not connect to RabbitMQ.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBroker;

fn refused() -> QueueError {
    QueueError::Other("this process runs without a broker connection (the api role needs none)".into())
}

#[async_trait]
impl Queue for NoBroker {
    async fn declare_topology(&self) -> Result<(), QueueError> {
        Ok(()) // nothing to declare where nothing is published or consumed
    }

    async fn publish(&self, _exchange: &str, _messages: Vec<Message>) -> Result<(), QueueError> {
        Err(refused())
    }

    async fn consume(&self, _queue: &str, _prefetch: u16) -> Result<Box<dyn Consumer>, QueueError> {
        Err(refused())
    }

    async fn delete_topology(&self) -> Result<(), QueueError> {
        Err(refused())
    }

    async fn ready_count(&self, _queue: &str) -> Result<u32, QueueError> {
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_use_is_refused_and_says_why() {
        let error = NoBroker.publish("x", vec![Message::new("k", b"{}".to_vec())]).await.unwrap_err();
        assert!(error.to_string().contains("without a broker"), "{error}");
        assert!(!error.is_transient(), "waiting does not connect it");
        assert!(NoBroker.consume("q", 1).await.is_err());
    }
}
