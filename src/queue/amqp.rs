//! RabbitMQ implementation of [`Queue`] over lapin: one connection, a few publisher channels in
//! confirm mode (each behind a mutex, so that the dispatcher and the event relay publish side by
//! side instead of one waiting out the other's confirms), one channel per consumer. A broken
//! connection is replaced with exponential backoff (100 ms doubling to 5 s) for up to
//! [`AmqpOptions::reconnect_timeout`]; a publish that was cut off is sent again whole once
//! reconnected (at-least-once).

use crate::queue::{
    Ack, Consumer, Delivery, ExchangeType, HeaderValue, Message, Queue, QueueError, Topology,
};
use async_trait::async_trait;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::uri::AMQPUri;
use lapin::{
    BasicProperties, Channel, ChannelStatus, Confirmation, Connection, ConnectionProperties, ErrorKind,
    ExchangeKind,
};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
const PERSISTENT: u8 = 2;
/// Publisher channels per connection: one each for the roles that publish at once (dispatcher,
/// event relay, intake's dead-lettering, `enqueue`), so none waits for another's confirms.
const PUBLISHER_CHANNELS: usize = 4;

/// Tuning for [`AmqpQueue`].
#[derive(Clone, Debug)]
pub struct AmqpOptions {
    /// How long one operation (connect, publish, consume, ...) keeps retrying a lost broker
    /// before failing with [`QueueError::Unavailable`]. Default 60 s.
    pub reconnect_timeout: Duration,
    /// Shown in the RabbitMQ management UI and `rabbitmqctl list_connections`; default
    /// `mahnwerk {namespace}`.
    pub connection_name: Option<String>,
}

impl Default for AmqpOptions {
    fn default() -> Self {
        Self { reconnect_timeout: Duration::from_secs(60), connection_name: None }
    }
}

/// The RabbitMQ [`Queue`].
pub struct AmqpQueue {
    uri: AMQPUri,
    topology: Topology,
    options: AmqpOptions,
    connection: Mutex<Option<Arc<Connection>>>,
    /// Opened on first use; a publish takes a free one. Messages of one publish go out on one
    /// channel, in order.
    publishers: Vec<Mutex<Option<Channel>>>,
    next_publisher: AtomicUsize,
}

impl AmqpQueue {
    /// Connects (retrying for up to 60 s if the broker is not up yet).
    pub async fn connect(url: &str, topology: Topology) -> Result<Self, QueueError> {
        Self::connect_with(url, topology, AmqpOptions::default()).await
    }

    pub async fn connect_with(
        url: &str,
        topology: Topology,
        options: AmqpOptions,
    ) -> Result<Self, QueueError> {
        // The parse error does not echo the URL, which may hold a password.
        let uri = url
            .parse::<AMQPUri>()
            .map_err(|error| QueueError::Other(format!("invalid AMQP URL: {error}")))?;
        let queue = Self {
            uri,
            topology,
            options,
            connection: Mutex::new(None),
            publishers: (0..PUBLISHER_CHANNELS).map(|_| Mutex::new(None)).collect(),
            next_publisher: AtomicUsize::new(0),
        };
        queue.connection(&mut queue.backoff()).await?;
        Ok(queue)
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Closes the connection gracefully (consumers end with `None`). Later calls reconnect.
    pub async fn close(&self) {
        for publisher in &self.publishers {
            publisher.lock().await.take();
        }
        if let Some(connection) = self.connection.lock().await.take() {
            if let Err(error) = connection.close(200, "bye".into()).await {
                tracing::debug!(%error, "closing the RabbitMQ connection");
            }
        }
    }

    /// A publisher channel slot no other publish holds, or, when all are busy, the next one in
    /// turn once it is free.
    async fn publisher_slot(&self) -> tokio::sync::MutexGuard<'_, Option<Channel>> {
        let start = self.next_publisher.fetch_add(1, Ordering::Relaxed);
        let count = self.publishers.len();
        for offset in 0..count {
            if let Ok(slot) = self.publishers[(start + offset) % count].try_lock() {
                return slot;
            }
        }
        self.publishers[start % count].lock().await
    }

    fn backoff(&self) -> Backoff {
        Backoff { delay: FIRST_RETRY_DELAY, deadline: Instant::now() + self.options.reconnect_timeout }
    }

    /// The current connection, or a new one if there is none or it broke.
    async fn connection(&self, backoff: &mut Backoff) -> Result<Arc<Connection>, QueueError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            if connection.status().connected() {
                return Ok(connection.clone());
            }
            tracing::warn!("the RabbitMQ connection was lost; reconnecting");
        }
        *slot = None;
        let name = match &self.options.connection_name {
            Some(name) => name.clone(),
            None => format!("mahnwerk {}", self.topology.namespace),
        };
        let (host, port, vhost) = (&self.uri.authority.host, self.uri.authority.port, &self.uri.vhost);
        loop {
            let properties = ConnectionProperties::default().with_connection_name(name.clone().into());
            let attempt = tokio::time::timeout(
                backoff.remaining().max(FIRST_RETRY_DELAY),
                Connection::connect_uri(self.uri.clone(), properties),
            )
            .await;
            let error = match attempt {
                Ok(Ok(connection)) => {
                    tracing::info!(%host, port, %vhost, "connected to RabbitMQ");
                    let connection = Arc::new(connection);
                    *slot = Some(connection.clone());
                    return Ok(connection);
                }
                Ok(Err(error)) => error.to_string(),
                Err(_) => "connecting timed out".to_string(),
            };
            tracing::warn!(%host, port, %vhost, %error, "connecting to RabbitMQ failed");
            backoff.wait(&error).await?;
        }
    }

    fn connection_broken(connection: &Connection, error: &lapin::Error) -> bool {
        !connection.status().connected()
            || error.is_io_error()
            || error.is_amqp_hard_error()
            || matches!(error.kind(), ErrorKind::MissingHeartbeatError | ErrorKind::InvalidConnectionState(_))
    }

    /// The publisher channel in confirm mode, (re)opened if needed.
    async fn publisher_channel(
        &self,
        slot: &mut Option<Channel>,
        backoff: &mut Backoff,
    ) -> Result<(Arc<Connection>, Channel), QueueError> {
        loop {
            let connection = self.connection(backoff).await?;
            if let Some(channel) = slot.as_ref() {
                if channel.status().connected() && connection.status().connected() {
                    return Ok((connection, channel.clone()));
                }
            }
            *slot = None;
            let opened = async {
                let channel = connection.create_channel().await?;
                channel.confirm_select(ConfirmSelectOptions::default()).await?;
                Ok::<_, lapin::Error>(channel)
            };
            match opened.await {
                Ok(channel) => {
                    *slot = Some(channel.clone());
                    return Ok((connection, channel));
                }
                Err(error) => {
                    tracing::warn!(%error, "opening the publisher channel failed");
                    backoff.wait(&error.to_string()).await?;
                }
            }
        }
    }

    /// Runs `op` on a fresh channel (closed afterwards), retrying while the connection is broken.
    async fn on_fresh_channel<T, F, Fut>(&self, what: &str, op: F) -> Result<T, QueueError>
    where
        F: Fn(Channel) -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, lapin::Error>> + Send,
        T: Send,
    {
        let mut backoff = self.backoff();
        loop {
            let connection = self.connection(&mut backoff).await?;
            let result = match connection.create_channel().await {
                Ok(channel) => {
                    let result = op(channel.clone()).await;
                    if channel.status().connected() {
                        let _ = channel.close(200, "OK".into()).await;
                    }
                    result
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(value) => return Ok(value),
                Err(error) if Self::connection_broken(&connection, &error) => {
                    tracing::warn!(%error, "{what} was interrupted; retrying");
                    backoff.wait(&error.to_string()).await?;
                }
                Err(error) => return Err(QueueError::Other(format!("{what}: {error}"))),
            }
        }
    }
}

#[async_trait]
impl Queue for AmqpQueue {
    async fn declare_topology(&self) -> Result<(), QueueError> {
        let topology = self.topology.clone();
        self.on_fresh_channel("declaring the topology", |channel| declare(channel, topology.clone())).await
    }

    async fn publish(&self, exchange: &str, messages: Vec<Message>) -> Result<(), QueueError> {
        if messages.is_empty() {
            return Ok(());
        }
        let exchange = short(exchange)?;
        let batch = messages.into_iter().map(Outgoing::new).collect::<Result<Vec<_>, _>>()?;
        let mut backoff = self.backoff();
        let mut slot = self.publisher_slot().await;
        loop {
            let (connection, channel) = self.publisher_channel(&mut slot, &mut backoff).await?;
            let attempt = tokio::time::timeout(
                self.options.reconnect_timeout,
                publish_confirmed(&channel, &exchange, &batch),
            )
            .await
            .unwrap_or_else(|_| Err(PublishFailure::TimedOut));
            let error = match attempt {
                Ok(()) => return Ok(()),
                Err(PublishFailure::Lapin(error)) if Self::connection_broken(&connection, &error) => {
                    error.to_string()
                }
                Err(PublishFailure::TimedOut) => {
                    // A connection that stops confirming is treated as dead.
                    self.connection.lock().await.take();
                    "the broker did not confirm in time".to_string()
                }
                Err(PublishFailure::Lapin(error)) => return Err(QueueError::NotConfirmed(error.to_string())),
                Err(PublishFailure::Refused(error)) => return Err(error),
            };
            *slot = None;
            tracing::warn!(%exchange, messages = batch.len(), %error, "publish interrupted; retrying the batch");
            backoff.wait(&error).await?;
        }
    }

    async fn consume(&self, queue: &str, prefetch: u16) -> Result<Box<dyn Consumer>, QueueError> {
        let name = short(queue)?;
        let mut backoff = self.backoff();
        loop {
            let connection = self.connection(&mut backoff).await?;
            let started = async {
                let channel = connection.create_channel().await?;
                channel.basic_qos(prefetch, BasicQosOptions::default()).await?;
                let consumer = channel
                    .basic_consume(
                        name.clone(),
                        "".into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                Ok::<_, lapin::Error>((channel, consumer))
            };
            match started.await {
                Ok((channel, consumer)) => {
                    tracing::debug!(queue, prefetch, "consuming");
                    return Ok(Box::new(AmqpConsumer {
                        channel,
                        consumer,
                        queue: queue.to_string(),
                        done: false,
                        dropped: Arc::new(AtomicBool::new(false)),
                    }));
                }
                Err(error) if Self::connection_broken(&connection, &error) => {
                    tracing::warn!(queue, %error, "subscribing interrupted; retrying");
                    backoff.wait(&error.to_string()).await?;
                }
                Err(error) => return Err(QueueError::Other(format!("consuming {queue}: {error}"))),
            }
        }
    }

    async fn delete_topology(&self) -> Result<(), QueueError> {
        // One channel per deletion: a refused deletion closes its channel.
        for queue in self.topology.queues() {
            let name = short(&queue)?;
            self.on_fresh_channel("deleting a queue", |channel| {
                let name = name.clone();
                async move { ignore_not_found(channel.queue_delete(name, QueueDeleteOptions::default()).await) }
            })
            .await?;
        }
        for (exchange, _) in self.topology.exchanges() {
            let name = short(&exchange)?;
            self.on_fresh_channel("deleting an exchange", |channel| {
                let name = name.clone();
                async move {
                    ignore_not_found(channel.exchange_delete(name, ExchangeDeleteOptions::default()).await)
                }
            })
            .await?;
        }
        Ok(())
    }

    async fn ready_count(&self, queue: &str) -> Result<u32, QueueError> {
        let name = short(queue)?;
        self.on_fresh_channel("counting messages", |channel| {
            let name = name.clone();
            async move {
                let options = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
                let declared = channel.queue_declare(name, options, FieldTable::default()).await?;
                Ok(declared.message_count())
            }
        })
        .await
    }
}

async fn declare(channel: Channel, topology: Topology) -> Result<(), lapin::Error> {
    for (exchange, kind) in topology.exchanges() {
        let kind = match kind {
            ExchangeType::Topic => ExchangeKind::Topic,
            ExchangeType::Direct => ExchangeKind::Direct,
        };
        let options = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
        channel.exchange_declare(exchange.into(), kind, options, FieldTable::default()).await?;
    }
    for queue in topology.queues() {
        let mut arguments = FieldTable::default();
        arguments.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        if let Some(max) = topology.max_length(&queue) {
            arguments.insert("x-max-length".into(), AMQPValue::LongLongInt(i64::from(max)));
            arguments.insert("x-overflow".into(), AMQPValue::LongString("drop-head".into()));
        }
        let options = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
        channel.queue_declare(queue.into(), options, arguments).await?;
    }
    for binding in topology.bindings() {
        let (queue, exchange, key) = (binding.queue.into(), binding.exchange.into(), binding.key.into());
        channel.queue_bind(queue, exchange, key, QueueBindOptions::default(), FieldTable::default()).await?;
    }
    Ok(())
}

fn ignore_not_found<T>(result: Result<T, lapin::Error>) -> Result<(), lapin::Error> {
    match result {
        Err(error)
            if matches!(error.kind(), ErrorKind::ProtocolError(e)
                if matches!(e.kind(), AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND))) =>
        {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

/// AMQP names and header keys are short strings (at most 255 bytes); lapin panics on longer ones.
fn short(value: &str) -> Result<ShortString, QueueError> {
    ShortString::try_new(value).map_err(|error| QueueError::Other(format!("invalid AMQP name: {error}")))
}

/// A message converted to what lapin publishes; it takes the body over instead of copying it (a
/// dead-lettered megabyte body is not held twice).
struct Outgoing {
    routing_key: ShortString,
    body: Vec<u8>,
    properties: BasicProperties,
}

impl Outgoing {
    fn new(message: Message) -> Result<Self, QueueError> {
        let mut properties =
            BasicProperties::default().with_delivery_mode(PERSISTENT).with_headers(table(&message.headers)?);
        if let Some(content_type) = &message.content_type {
            properties = properties.with_content_type(short(content_type)?);
        }
        if let Some(message_id) = &message.message_id {
            properties = properties.with_message_id(short(message_id)?);
        }
        Ok(Self { routing_key: short(&message.routing_key)?, body: message.body, properties })
    }
}

enum PublishFailure {
    /// lapin reported an error (the caller decides whether the connection broke).
    Lapin(lapin::Error),
    /// The broker answered, and the answer was no.
    Refused(QueueError),
    TimedOut,
}

/// Publishes the whole batch, then awaits every confirm.
async fn publish_confirmed(
    channel: &Channel,
    exchange: &ShortString,
    batch: &[Outgoing],
) -> Result<(), PublishFailure> {
    let options = BasicPublishOptions { mandatory: true, immediate: false };
    let mut confirms = Vec::with_capacity(batch.len());
    let mut failure = None;
    for message in batch {
        let published = channel
            .basic_publish(
                exchange.clone(),
                message.routing_key.clone(),
                options,
                &message.body,
                message.properties.clone(),
            )
            .await;
        match published {
            Ok(confirm) => confirms.push(confirm),
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    // Await what was sent even after a failure: a broker refusal (say, a missing exchange) shows
    // up here and explains the failure better than the closed channel does.
    let (mut returned, mut nacked, mut first_return) = (0usize, 0usize, None);
    let mut confirm_error = None;
    for confirm in confirms {
        match confirm.await {
            Ok(Confirmation::Ack(None)) => {}
            Ok(Confirmation::Ack(Some(message)) | Confirmation::Nack(Some(message))) => {
                returned += 1;
                first_return.get_or_insert_with(|| {
                    format!(
                        "{} {} (routing key {:?})",
                        message.reply_code,
                        message.reply_text,
                        message.routing_key.as_str()
                    )
                });
            }
            Ok(Confirmation::Nack(None)) => nacked += 1,
            Ok(Confirmation::NotRequested) => {
                return Err(PublishFailure::Refused(QueueError::NotConfirmed(
                    "channel not in confirm mode".into(),
                )));
            }
            Err(error) => {
                confirm_error.get_or_insert(error);
            }
        }
    }
    if let Some(error) = confirm_error.or(failure) {
        return Err(PublishFailure::Lapin(error));
    }
    if returned > 0 {
        let first = first_return.unwrap_or_default();
        return Err(PublishFailure::Refused(QueueError::Unroutable(format!(
            "{returned} of {} messages to {exchange:?} were returned, first: {first}",
            batch.len()
        ))));
    }
    if nacked > 0 {
        return Err(PublishFailure::Refused(QueueError::NotConfirmed(format!(
            "{nacked} of {} messages to {exchange:?} were nacked",
            batch.len()
        ))));
    }
    Ok(())
}

/// Retry pacing shared by every attempt of one operation.
struct Backoff {
    delay: Duration,
    deadline: Instant,
}

impl Backoff {
    fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Sleeps before the next attempt, or fails with `Unavailable` once the deadline passed.
    async fn wait(&mut self, last_error: &str) -> Result<(), QueueError> {
        let remaining = self.remaining();
        if remaining.is_zero() {
            return Err(QueueError::Unavailable(last_error.to_string()));
        }
        tokio::time::sleep(self.delay.min(remaining)).await;
        self.delay = (self.delay * 2).min(MAX_RETRY_DELAY);
        Ok(())
    }
}

struct AmqpConsumer {
    /// Held so the channel stays open; dropping the consumer closes it, which returns its unacked
    /// deliveries to the queue.
    channel: Channel,
    consumer: lapin::Consumer,
    queue: String,
    done: bool,
    /// Set on drop, so acks after it fail instead of vanishing on the closing channel.
    dropped: Arc<AtomicBool>,
}

impl Drop for AmqpConsumer {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl Consumer for AmqpConsumer {
    async fn next(&mut self) -> Option<Delivery> {
        if self.done {
            return None;
        }
        match self.consumer.next().await {
            Some(Ok(delivery)) => {
                let acker = AmqpAcker {
                    acker: delivery.acker.clone(),
                    channel: self.channel.status().clone(),
                    consumer_dropped: self.dropped.clone(),
                };
                Some(convert(delivery, acker))
            }
            Some(Err(error)) => {
                tracing::warn!(queue = %self.queue, %error, "consumer lost");
                self.done = true;
                None
            }
            None => {
                tracing::info!(queue = %self.queue, "consumer cancelled");
                self.done = true;
                None
            }
        }
    }
}

fn convert(delivery: lapin::message::Delivery, acker: AmqpAcker) -> Delivery {
    let headers = delivery.properties.headers().as_ref().map(entries).unwrap_or_default();
    let message = Message {
        routing_key: delivery.routing_key.to_string(),
        content_type: delivery.properties.content_type().as_ref().map(ToString::to_string),
        message_id: delivery.properties.message_id().as_ref().map(ToString::to_string),
        headers,
        body: delivery.data,
    };
    Delivery::new(message, delivery.redelivered, Box::new(acker))
}

/// A header table as mahnwerk keeps it: every entry, with its type.
fn entries(table: &FieldTable) -> Vec<(String, HeaderValue)> {
    table.inner().iter().map(|(key, value)| (key.to_string(), from_amqp(value))).collect()
}

/// `headers` as an AMQP table; a key longer than 255 bytes is an error.
fn table(headers: &[(String, HeaderValue)]) -> Result<FieldTable, QueueError> {
    let mut table = FieldTable::default();
    for (key, value) in headers {
        table.insert(short(key)?, to_amqp(value)?);
    }
    Ok(table)
}

fn from_amqp(value: &AMQPValue) -> HeaderValue {
    use HeaderValue as H;
    match value {
        AMQPValue::Boolean(v) => H::Bool(*v),
        AMQPValue::ShortShortInt(v) => H::I8(*v),
        AMQPValue::ShortShortUInt(v) => H::U8(*v),
        AMQPValue::ShortInt(v) => H::I16(*v),
        AMQPValue::ShortUInt(v) => H::U16(*v),
        AMQPValue::LongInt(v) => H::I32(*v),
        AMQPValue::LongUInt(v) => H::U32(*v),
        AMQPValue::LongLongInt(v) => H::I64(*v),
        AMQPValue::Float(v) => H::F32(*v),
        AMQPValue::Double(v) => H::F64(*v),
        AMQPValue::DecimalValue(v) => H::Decimal { scale: v.scale, value: v.value },
        AMQPValue::ShortString(v) => H::ShortText(v.to_string()),
        AMQPValue::LongString(v) => H::Text(v.as_bytes().to_vec()),
        AMQPValue::FieldArray(v) => H::Array(v.as_slice().iter().map(from_amqp).collect()),
        AMQPValue::Timestamp(v) => H::Timestamp(*v),
        AMQPValue::FieldTable(v) => H::Table(entries(v)),
        AMQPValue::ByteArray(v) => H::Bytes(v.as_slice().to_vec()),
        AMQPValue::Void => H::Void,
    }
}

fn to_amqp(value: &HeaderValue) -> Result<AMQPValue, QueueError> {
    use HeaderValue as H;
    Ok(match value {
        H::Bool(v) => AMQPValue::Boolean(*v),
        H::I8(v) => AMQPValue::ShortShortInt(*v),
        H::U8(v) => AMQPValue::ShortShortUInt(*v),
        H::I16(v) => AMQPValue::ShortInt(*v),
        H::U16(v) => AMQPValue::ShortUInt(*v),
        H::I32(v) => AMQPValue::LongInt(*v),
        H::U32(v) => AMQPValue::LongUInt(*v),
        H::I64(v) => AMQPValue::LongLongInt(*v),
        H::F32(v) => AMQPValue::Float(*v),
        H::F64(v) => AMQPValue::Double(*v),
        H::Decimal { scale, value } => {
            AMQPValue::DecimalValue(lapin::types::DecimalValue { scale: *scale, value: *value })
        }
        // RabbitMQ reads no short strings in tables (its `s` is a 16-bit integer): sent long.
        H::ShortText(v) => AMQPValue::LongString(LongString::from(v.as_bytes())),
        H::Text(v) => AMQPValue::LongString(LongString::from(v.as_slice())),
        H::Timestamp(v) => AMQPValue::Timestamp(*v),
        H::Array(values) => {
            AMQPValue::FieldArray(values.iter().map(to_amqp).collect::<Result<Vec<_>, _>>()?.into())
        }
        H::Table(entries) => AMQPValue::FieldTable(table(entries)?),
        H::Bytes(v) => AMQPValue::ByteArray(v.as_slice().into()),
        H::Void => AMQPValue::Void,
    })
}

struct AmqpAcker {
    acker: lapin::Acker,
    channel: ChannelStatus,
    consumer_dropped: Arc<AtomicBool>,
}

impl AmqpAcker {
    fn usable(&self, what: &str) -> Result<(), QueueError> {
        if self.consumer_dropped.load(Ordering::SeqCst) || !self.channel.connected() {
            return Err(QueueError::Other(format!(
                "cannot {what}: the consumer or its channel is gone (the delivery will be redelivered)"
            )));
        }
        Ok(())
    }

    fn settled(done: Result<bool, lapin::Error>, what: &str) -> Result<(), QueueError> {
        match done {
            Ok(true) => Ok(()),
            Ok(false) => Err(QueueError::Other(format!(
                "cannot {what}: the delivery was already settled or its channel closed (it will be redelivered)"
            ))),
            Err(error) => Err(QueueError::Other(format!("{what} failed: {error}"))),
        }
    }
}

#[async_trait]
impl Ack for AmqpAcker {
    async fn ack(&self, multiple: bool) -> Result<(), QueueError> {
        self.usable("ack")?;
        Self::settled(self.acker.ack(BasicAckOptions { multiple }).await, "ack")
    }

    async fn requeue(&self) -> Result<(), QueueError> {
        self.usable("requeue")?;
        Self::settled(self.acker.nack(BasicNackOptions { multiple: false, requeue: true }).await, "requeue")
    }
}
