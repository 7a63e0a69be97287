//! The baseline: RabbitMQ alone, through lapin with no mahnwerk code in the path. Persistent
//! messages into a durable quorum queue with publisher confirms, consumed with manual acks —
//! the ceiling any intake on this broker can reach.

use super::{Measurement, Stopwatch};
use anyhow::Context;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties};

/// Confirms awaited per window while publishing.
const CONFIRM_WINDOW: usize = 500;
const PREFETCH: u16 = 1000;
/// Publishes `bodies` and consumes them concurrently, acking every delivery (`ack_every == 1`,
/// the plain loop) or every `ack_every` deliveries with `multiple` (batched acks, the ceiling);
/// returns the time (and the host's CPU time) from the first publish to the last ack.
pub async fn publish_consume_ack(
    url: &str,
    queue: &str,
    bodies: &[Vec<u8>],
    ack_every: usize,
) -> anyhow::Result<Measurement> {
    let ack_every = ack_every.max(1);
    let connection = Connection::connect(url, ConnectionProperties::default()).await.context("connecting")?;
    let publisher = connection.create_channel().await?;
    let consumer_channel = connection.create_channel().await?;
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    publisher
        .queue_declare(queue.into(), QueueDeclareOptions { durable: true, ..Default::default() }, arguments)
        .await
        .context("declaring the benchmark queue")?;
    publisher.confirm_select(ConfirmSelectOptions::default()).await?;
    consumer_channel.basic_qos(PREFETCH, BasicQosOptions::default()).await?;
    let mut consumer = consumer_channel
        .basic_consume(queue.into(), "".into(), BasicConsumeOptions::default(), FieldTable::default())
        .await?;

    let total = bodies.len();
    let stopwatch = Stopwatch::start();
    let consume = tokio::spawn(async move {
        let mut seen = 0;
        while seen < total {
            let delivery = consumer.next().await.context("consumer ended early")??;
            seen += 1;
            if seen % ack_every == 0 || seen == total {
                delivery.acker.ack(BasicAckOptions { multiple: ack_every > 1 }).await?;
            }
        }
        anyhow::Ok(consumer)
    });
    let properties =
        BasicProperties::default().with_delivery_mode(2).with_content_type("application/json".into());
    for window in bodies.chunks(CONFIRM_WINDOW) {
        let mut confirms = Vec::with_capacity(window.len());
        for body in window {
            confirms.push(
                publisher
                    .basic_publish(
                        "".into(),
                        queue.into(),
                        BasicPublishOptions::default(),
                        body,
                        properties.clone(),
                    )
                    .await?,
            );
        }
        for confirm in confirms {
            anyhow::ensure!(confirm.await?.is_ack(), "the broker refused a message");
        }
    }
    let consumer = consume.await.context("consumer task")??;
    let measured = stopwatch.stop();
    // Clean-up after the measurement: cancel, then delete; a failure here costs no figure.
    let cleanup = async {
        consumer_channel.basic_cancel(consumer.tag(), BasicCancelOptions::default()).await?;
        consumer_channel.close(200, "benchmark done".into()).await?;
        publisher.queue_delete(queue.into(), QueueDeleteOptions::default()).await?;
        connection.close(200, "benchmark done".into()).await?;
        anyhow::Ok(())
    };
    if let Err(error) = cleanup.await {
        tracing::warn!(%error, queue, "could not clean up the raw benchmark queue");
    }
    Ok(measured)
}
