//! The message queue seam: the [`Queue`] trait the intake, scheduler and delivery workers talk to,
//! with a RabbitMQ implementation ([`AmqpQueue`]) and an in-process one for the embedded mode
//! ([`MemoryQueue`]). Delivery is at-least-once: publishes return after the broker confirmed
//! them, consumers ack manually, and whatever was not acked comes back with `redelivered` set.

mod amqp;
mod batch;
mod header;
mod memory;
mod none;
mod topology;

pub use amqp::{AmqpOptions, AmqpQueue};
pub use batch::{body_bytes, consume_in_batches, next_batch, BatchLimits, ProcessBatch};
pub use header::HeaderValue;
pub use memory::MemoryQueue;
pub use none::NoBroker;
pub use topology::{
    topic_matches, Binding, ExchangeType, Topology, CHANNELS, DEFAULT_NAMESPACE, EVENTS_LOG_MAX_LENGTH,
    OUTCOME_EVENT, SENT_EVENT,
};

use async_trait::async_trait;
use std::fmt;

/// Header naming why an intake message was rejected (set on messages sent to the dead-letter
/// exchange).
pub const ERROR_HEADER: &str = "x-mahnwerk-error";

/// A message as published or received.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub routing_key: String,
    pub body: Vec<u8>,
    /// Every header, with its type.
    pub headers: Vec<(String, HeaderValue)>,
    pub content_type: Option<String>,
    /// The publisher's `message_id`, kept when the message is passed on.
    pub message_id: Option<String>,
}

impl Message {
    /// A message with no headers and no content type.
    pub fn new(routing_key: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            routing_key: routing_key.into(),
            body: body.into(),
            headers: Vec::new(),
            content_type: None,
            message_id: None,
        }
    }

    /// The value of the first header named `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).and_then(|(_, value)| value.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The broker could not be reached (within the reconnect window), or the queue was closed.
    #[error("broker unreachable: {0}")]
    Unavailable(String),
    /// The broker nacked a publish, or the channel failed before confirming it.
    #[error("broker did not confirm the publish: {0}")]
    NotConfirmed(String),
    /// A published message matched no queue (it was returned, or in memory: nothing was bound).
    #[error("unroutable message: {0}")]
    Unroutable(String),
    #[error("{0}")]
    Other(String),
}

impl QueueError {
    /// Whether trying again later may succeed: the broker away or a publish not confirmed (after
    /// a reconnect the batch goes out again). An unroutable message stays unroutable until the
    /// topology changes, which takes an operator.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable(_) | Self::NotConfirmed(_) => true,
            Self::Unroutable(_) | Self::Other(_) => false,
        }
    }
}

#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Declares every exchange, queue and binding of the topology (durable; queues are quorum
    /// queues on AMQP: x-queue-type=quorum). Idempotent.
    async fn declare_topology(&self) -> Result<(), QueueError>;

    /// Publishes persistent messages to `exchange` and returns only after the broker confirmed
    /// every one of them (publisher confirms, pipelined: publish all, then await all confirms).
    /// An unroutable or nacked message is an error. After a reconnect the whole batch is sent
    /// again, so a message may arrive twice.
    async fn publish(&self, exchange: &str, messages: Vec<Message>) -> Result<(), QueueError>;

    /// Starts consuming `queue` with the given prefetch (basic.qos; 0 = unlimited). Manual acks.
    async fn consume(&self, queue: &str, prefetch: u16) -> Result<Box<dyn Consumer>, QueueError>;

    /// Deletes the queues and exchanges of the topology (tests clean up with it).
    async fn delete_topology(&self) -> Result<(), QueueError>;

    /// Messages ready for delivery in `queue` (not counting delivered but unacked ones).
    async fn ready_count(&self, queue: &str) -> Result<u32, QueueError>;
}

#[async_trait]
pub trait Consumer: Send {
    /// The next delivery; `None` when the consumer was cancelled or the connection was lost (the
    /// caller re-consumes; unacked deliveries are redelivered by the broker). Cancel-safe: a
    /// dropped `next()` future loses no delivery, so it can sit in `select!` or `timeout`.
    async fn next(&mut self) -> Option<Delivery>;
}

/// How a delivery is settled; one implementation per backend.
#[async_trait]
pub(crate) trait Ack: Send + Sync {
    async fn ack(&self, multiple: bool) -> Result<(), QueueError>;
    async fn requeue(&self) -> Result<(), QueueError>;
}

/// One received message, to be acked (or requeued) once processed.
pub struct Delivery {
    pub message: Message,
    pub redelivered: bool,
    acker: Box<dyn Ack>,
}

impl Delivery {
    pub(crate) fn new(message: Message, redelivered: bool, acker: Box<dyn Ack>) -> Self {
        Self { message, redelivered, acker }
    }

    /// Acknowledges this delivery and, when `multiple`, every earlier unacked delivery of the same
    /// consumer (AMQP basic.ack multiple): how the intake acks a batch after one commit. Do not
    /// ack a delivery again after a later one acked it with `multiple`.
    pub async fn ack(&self, multiple: bool) -> Result<(), QueueError> {
        self.acker.ack(multiple).await
    }

    /// Returns the delivery to the queue (basic.nack requeue=true).
    pub async fn requeue(&self) -> Result<(), QueueError> {
        self.acker.requeue().await
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("routing_key", &self.message.routing_key)
            .field("body_len", &self.message.body.len())
            .field("redelivered", &self.redelivered)
            .finish_non_exhaustive()
    }
}
