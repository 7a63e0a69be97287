//! In-process queue for the embedded mode and tests: routes like RabbitMQ with the same topology
//! (topic and direct exchanges), keeps unacked deliveries per consumer, and puts them back at the
//! front of their queue (marked redelivered) when their consumer is dropped. Nothing survives the
//! process.

use crate::queue::{Ack, Binding, Consumer, Delivery, ExchangeType, Message, Queue, QueueError, Topology};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::Notify;

/// The in-process [`Queue`]. Cloning gives another handle on the same queues.
#[derive(Clone)]
pub struct MemoryQueue {
    topology: Topology,
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Woken on every change a waiting consumer may care about.
    changed: Notify,
}

#[derive(Default)]
struct State {
    closed: bool,
    exchanges: HashMap<String, ExchangeType>,
    bindings: Vec<Binding>,
    queues: HashMap<String, VecDeque<Ready>>,
    consumers: HashMap<u64, ConsumerState>,
    next_consumer: u64,
}

struct Ready {
    message: Message,
    redelivered: bool,
}

struct ConsumerState {
    queue: String,
    prefetch: u16,
    next_tag: u64,
    unacked: BTreeMap<u64, Message>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent across a panic (every update is a single collection call).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MemoryQueue {
    /// A queue with the topology already declared (declaring again is a no-op).
    pub fn new(topology: Topology) -> Self {
        let queue =
            Self { topology, shared: Arc::new(Shared { state: Mutex::default(), changed: Notify::new() }) };
        queue.declare();
        queue
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Messages ready for delivery in `queue` (0 for an unknown queue).
    /// The deliveries of `queue` ready right now (at most `max`), taken through `consumer`
    /// without waiting for more: how the demo and the embedded `enqueue` drive a role step by step.
    pub async fn take_ready(&self, queue: &str, consumer: &mut dyn Consumer, max: usize) -> Vec<Delivery> {
        let mut batch = Vec::new();
        while batch.len() < max && self.depth(queue) > 0 {
            match consumer.next().await {
                Some(delivery) => batch.push(delivery),
                None => break,
            }
        }
        batch
    }

    pub fn depth(&self, queue: &str) -> usize {
        self.shared.lock().queues.get(queue).map_or(0, VecDeque::len)
    }

    /// Delivered but not yet acked messages of `queue`, over all its consumers.
    pub fn unacked(&self, queue: &str) -> usize {
        self.shared.lock().consumers.values().filter(|c| c.queue == queue).map(|c| c.unacked.len()).sum()
    }

    /// Shuts the queue down: consumers' `next()` returns `None`, publish and consume fail.
    pub fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_waiters();
    }

    fn declare(&self) {
        let mut state = self.shared.lock();
        for (exchange, kind) in self.topology.exchanges() {
            state.exchanges.insert(exchange, kind);
        }
        for queue in self.topology.queues() {
            state.queues.entry(queue).or_default();
        }
        for binding in self.topology.bindings() {
            if !state.bindings.contains(&binding) {
                state.bindings.push(binding);
            }
        }
    }

    fn check_open(state: &State) -> Result<(), QueueError> {
        if state.closed {
            Err(QueueError::Unavailable("the in-memory queue is closed".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn declare_topology(&self) -> Result<(), QueueError> {
        Self::check_open(&self.shared.lock())?;
        self.declare();
        Ok(())
    }

    /// All or nothing: if any message is unroutable, none is enqueued.
    async fn publish(&self, exchange: &str, messages: Vec<Message>) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        Self::check_open(&state)?;
        let kind = *state
            .exchanges
            .get(exchange)
            .ok_or_else(|| QueueError::Other(format!("no exchange named {exchange:?}")))?;
        let mut routes = Vec::with_capacity(messages.len());
        for message in &messages {
            let targets: Vec<String> = state
                .bindings
                .iter()
                .filter(|b| b.exchange == exchange && kind.matches(&b.key, &message.routing_key))
                .map(|b| b.queue.clone())
                .collect();
            if targets.is_empty() {
                return Err(QueueError::Unroutable(format!(
                    "no queue is bound to {exchange:?} for routing key {:?}",
                    message.routing_key
                )));
            }
            routes.push(targets);
        }
        for (message, mut targets) in messages.into_iter().zip(routes) {
            targets.sort();
            targets.dedup();
            for queue in targets {
                let cap = self.topology.max_length(&queue).map(|max| max as usize);
                let ready = state.queues.entry(queue).or_default();
                ready.push_back(Ready { message: message.clone(), redelivered: false });
                // x-overflow: drop-head, as RabbitMQ does with x-max-length.
                while cap.is_some_and(|max| ready.len() > max) {
                    ready.pop_front();
                }
            }
        }
        drop(state);
        self.shared.changed.notify_waiters();
        Ok(())
    }

    async fn consume(&self, queue: &str, prefetch: u16) -> Result<Box<dyn Consumer>, QueueError> {
        let mut state = self.shared.lock();
        Self::check_open(&state)?;
        if !state.queues.contains_key(queue) {
            return Err(QueueError::Other(format!("no queue named {queue:?}")));
        }
        let id = state.next_consumer;
        state.next_consumer += 1;
        state.consumers.insert(
            id,
            ConsumerState { queue: queue.to_string(), prefetch, next_tag: 1, unacked: BTreeMap::new() },
        );
        Ok(Box::new(MemoryConsumer { shared: self.shared.clone(), id }))
    }

    async fn delete_topology(&self) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        for queue in self.topology.queues() {
            state.queues.remove(&queue);
        }
        for (exchange, _) in self.topology.exchanges() {
            state.exchanges.remove(&exchange);
        }
        let queues = self.topology.queues();
        state.bindings.retain(|b| !queues.contains(&b.queue));
        drop(state);
        self.shared.changed.notify_waiters();
        Ok(())
    }

    async fn ready_count(&self, queue: &str) -> Result<u32, QueueError> {
        let state = self.shared.lock();
        let ready =
            state.queues.get(queue).ok_or_else(|| QueueError::Other(format!("no queue named {queue:?}")))?;
        Ok(u32::try_from(ready.len()).unwrap_or(u32::MAX))
    }
}

struct MemoryConsumer {
    shared: Arc<Shared>,
    id: u64,
}

impl MemoryConsumer {
    /// Takes the next ready message if the prefetch allows; `Err(())` when the consumer is over
    /// (queue closed or deleted).
    fn try_take(&self) -> Result<Option<Delivery>, ()> {
        let mut state = self.shared.lock();
        if state.closed {
            return Err(());
        }
        let State { queues, consumers, .. } = &mut *state;
        let consumer = consumers.get_mut(&self.id).ok_or(())?;
        let ready = queues.get_mut(&consumer.queue).ok_or(())?;
        if consumer.prefetch != 0 && consumer.unacked.len() >= usize::from(consumer.prefetch) {
            return Ok(None);
        }
        let Some(item) = ready.pop_front() else { return Ok(None) };
        let tag = consumer.next_tag;
        consumer.next_tag += 1;
        consumer.unacked.insert(tag, item.message.clone());
        let acker = MemoryAcker { shared: self.shared.clone(), consumer: self.id, tag };
        Ok(Some(Delivery::new(item.message, item.redelivered, Box::new(acker))))
    }
}

#[async_trait]
impl Consumer for MemoryConsumer {
    async fn next(&mut self) -> Option<Delivery> {
        loop {
            // Register for wake-ups before looking, so a change between the look and the wait is
            // not missed.
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.try_take() {
                Ok(Some(delivery)) => return Some(delivery),
                Ok(None) => changed.await,
                Err(()) => return None,
            }
        }
    }
}

impl Drop for MemoryConsumer {
    /// Unacked deliveries go back to the front of their queue, in order, marked redelivered.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let Some(consumer) = state.consumers.remove(&self.id) else { return };
        if let Some(ready) = state.queues.get_mut(&consumer.queue) {
            for message in consumer.unacked.into_values().rev() {
                ready.push_front(Ready { message, redelivered: true });
            }
        }
        drop(state);
        self.shared.changed.notify_waiters();
    }
}

struct MemoryAcker {
    shared: Arc<Shared>,
    consumer: u64,
    tag: u64,
}

impl MemoryAcker {
    /// Removes this delivery (and with `multiple` every earlier one) from the unacked set.
    fn settle(&self, multiple: bool) -> Result<(String, Vec<Message>), QueueError> {
        let mut state = self.shared.lock();
        let consumer = state.consumers.get_mut(&self.consumer).ok_or_else(|| {
            QueueError::Other("the consumer of this delivery is gone; it was returned to its queue".into())
        })?;
        let Some(message) = consumer.unacked.remove(&self.tag) else {
            return Err(QueueError::Other(format!("unknown delivery tag {} (already settled?)", self.tag)));
        };
        let mut settled = Vec::new();
        if multiple {
            let later = consumer.unacked.split_off(&self.tag);
            settled.extend(std::mem::replace(&mut consumer.unacked, later).into_values());
        }
        settled.push(message);
        Ok((consumer.queue.clone(), settled))
    }
}

#[async_trait]
impl Ack for MemoryAcker {
    async fn ack(&self, multiple: bool) -> Result<(), QueueError> {
        self.settle(multiple)?;
        self.shared.changed.notify_waiters();
        Ok(())
    }

    async fn requeue(&self) -> Result<(), QueueError> {
        let (queue, messages) = self.settle(false)?;
        let mut state = self.shared.lock();
        if let Some(ready) = state.queues.get_mut(&queue) {
            for message in messages.into_iter().rev() {
                ready.push_front(Ready { message, redelivered: true });
            }
        }
        drop(state);
        self.shared.changed.notify_waiters();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn multiple_ack_settles_only_earlier_deliveries() {
        let queue = MemoryQueue::new(Topology::new("unit"));
        let topology = queue.topology().clone();
        let messages = (0..4).map(|i| Message::new("invoice.overdue", vec![i])).collect();
        queue.publish(&topology.intake_exchange(), messages).await.unwrap();
        let mut consumer = queue.consume(&topology.intake_queue(), 0).await.unwrap();
        let mut deliveries = Vec::new();
        for _ in 0..4 {
            deliveries.push(consumer.next().await.unwrap());
        }
        deliveries[2].ack(true).await.unwrap();
        assert_eq!(queue.unacked(&topology.intake_queue()), 1);
        assert!(deliveries[1].ack(false).await.is_err(), "already settled by the multiple ack");
        deliveries[3].requeue().await.unwrap();
        assert_eq!(queue.depth(&topology.intake_queue()), 1);
        let again = consumer.next().await.unwrap();
        assert!(again.redelivered);
        assert_eq!(again.message.body, vec![3]);
    }
}
