//! The in-memory queue: routing, acks, redelivery on consumer drop, prefetch.

use mahnwerk::queue::{Consumer, MemoryQueue, Message, Queue, QueueError, Topology, CHANNELS, ERROR_HEADER};
use std::time::Duration;

fn message(key: &str, n: u32) -> Message {
    Message {
        routing_key: key.to_string(),
        body: n.to_be_bytes().to_vec(),
        headers: vec![("x-n".to_string(), n.to_string().into())],
        content_type: Some("application/json".to_string()),
        message_id: None,
    }
}

fn number(message: &Message) -> u32 {
    u32::from_be_bytes(message.body.as_slice().try_into().unwrap())
}

async fn nothing_within(consumer: &mut Box<dyn Consumer>, wait: Duration) -> bool {
    tokio::time::timeout(wait, consumer.next()).await.is_err()
}

#[tokio::test]
async fn routes_like_the_broker() {
    let queue = MemoryQueue::new(Topology::new("mem"));
    let t = queue.topology().clone();
    queue.declare_topology().await.unwrap();
    queue.declare_topology().await.unwrap();

    queue.publish(&t.intake_exchange(), vec![message("invoice.overdue", 1)]).await.unwrap();
    assert_eq!(queue.depth(&t.intake_queue()), 1);
    assert_eq!(queue.ready_count(&t.intake_queue()).await.unwrap(), 1);

    let error = queue.publish(&t.intake_exchange(), vec![message("foo", 2)]).await.unwrap_err();
    assert!(matches!(error, QueueError::Unroutable(_)), "{error}");
    // All or nothing: a batch with one unroutable message enqueues none.
    let mixed = vec![message("invoice.paid", 3), message("invoice", 4)];
    assert!(queue.publish(&t.intake_exchange(), mixed).await.is_err());
    assert_eq!(queue.depth(&t.intake_queue()), 1);

    for channel in CHANNELS {
        queue.publish(&t.delivery_exchange(), vec![message(channel, 5)]).await.unwrap();
        assert_eq!(queue.depth(&t.delivery_queue(channel)), 1, "{channel}");
    }
    assert!(queue.publish(&t.delivery_exchange(), vec![message("pigeon", 6)]).await.is_err());

    let mut rejected = message("invoice.overdue", 7);
    rejected.headers.push((ERROR_HEADER.to_string(), "amount: not a number".into()));
    queue.publish(&t.dead_letter_exchange(), vec![rejected.clone()]).await.unwrap();
    let mut consumer = queue.consume(&t.rejected_queue(), 10).await.unwrap();
    let delivery = consumer.next().await.unwrap();
    assert_eq!(delivery.message, rejected);
    assert_eq!(delivery.message.header(ERROR_HEADER), Some("amount: not a number"));
    assert!(!delivery.redelivered);
    delivery.ack(false).await.unwrap();

    queue.publish(&t.events_exchange(), vec![message("case.opened.x", 8)]).await.unwrap();
    assert_eq!(queue.depth(&t.events_queue()), 1);

    assert!(queue.publish("nope", vec![message("x", 9)]).await.is_err());
    assert!(queue.consume("nope", 1).await.is_err());
    queue.publish(&t.intake_exchange(), Vec::new()).await.unwrap();
}

#[tokio::test]
async fn ack_multiple_settles_the_batch() {
    let queue = MemoryQueue::new(Topology::default());
    let t = queue.topology().clone();
    queue
        .publish(&t.intake_exchange(), (0..10).map(|n| message("invoice.overdue", n)).collect())
        .await
        .unwrap();
    let mut consumer = queue.consume(&t.intake_queue(), 100).await.unwrap();
    let mut batch = Vec::new();
    for n in 0..10 {
        let delivery = consumer.next().await.unwrap();
        assert_eq!(number(&delivery.message), n, "in order");
        batch.push(delivery);
    }
    batch[6].ack(true).await.unwrap();
    assert_eq!(queue.unacked(&t.intake_queue()), 3);
    drop(batch);
    drop(consumer);
    // Only the three after the multiple ack come back.
    assert_eq!(queue.depth(&t.intake_queue()), 3);
    let mut consumer = queue.consume(&t.intake_queue(), 100).await.unwrap();
    for n in 7..10 {
        let delivery = consumer.next().await.unwrap();
        assert_eq!(number(&delivery.message), n);
        assert!(delivery.redelivered);
    }
}

#[tokio::test]
async fn dropped_consumer_loses_nothing() {
    let queue = MemoryQueue::new(Topology::default());
    let t = queue.topology().clone();
    queue
        .publish(&t.intake_exchange(), (0..5).map(|n| message("invoice.overdue", n)).collect())
        .await
        .unwrap();
    let mut first = queue.consume(&t.intake_queue(), 10).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(first.next().await.unwrap());
    }
    held[0].ack(false).await.unwrap();
    drop(first); // killed before acking 1 and 2
    assert!(held[1].ack(false).await.is_err(), "its consumer is gone");
    assert_eq!(queue.depth(&t.intake_queue()), 4);

    let mut second = queue.consume(&t.intake_queue(), 10).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let delivery = second.next().await.unwrap();
        seen.push((number(&delivery.message), delivery.redelivered));
        delivery.ack(false).await.unwrap();
    }
    assert_eq!(seen, vec![(1, true), (2, true), (3, false), (4, false)]);
    assert_eq!(queue.depth(&t.intake_queue()), 0);
    assert_eq!(queue.unacked(&t.intake_queue()), 0);
}

#[tokio::test]
async fn prefetch_limits_unacked() {
    let queue = MemoryQueue::new(Topology::default());
    let t = queue.topology().clone();
    queue
        .publish(&t.intake_exchange(), (0..5).map(|n| message("invoice.overdue", n)).collect())
        .await
        .unwrap();
    let mut consumer = queue.consume(&t.intake_queue(), 2).await.unwrap();
    let a = consumer.next().await.unwrap();
    let b = consumer.next().await.unwrap();
    assert!(nothing_within(&mut consumer, Duration::from_millis(50)).await, "prefetch 2 reached");
    a.ack(false).await.unwrap();
    let c = consumer.next().await.unwrap();
    assert_eq!(number(&c.message), 2);
    assert!(nothing_within(&mut consumer, Duration::from_millis(50)).await);
    c.ack(true).await.unwrap(); // settles b too
    let d = consumer.next().await.unwrap();
    let e = consumer.next().await.unwrap();
    assert_eq!((number(&d.message), number(&e.message)), (3, 4));
    drop(b);
}

#[tokio::test]
async fn requeue_puts_the_message_back_first() {
    let queue = MemoryQueue::new(Topology::default());
    let t = queue.topology().clone();
    queue
        .publish(&t.intake_exchange(), (0..2).map(|n| message("invoice.overdue", n)).collect())
        .await
        .unwrap();
    let mut consumer = queue.consume(&t.intake_queue(), 0).await.unwrap();
    let first = consumer.next().await.unwrap();
    first.requeue().await.unwrap();
    assert!(first.ack(false).await.is_err(), "settled by the requeue");
    let again = consumer.next().await.unwrap();
    assert_eq!(number(&again.message), 0);
    assert!(again.redelivered);
}

#[tokio::test]
async fn next_waits_for_a_publish_and_close_ends_it() {
    let queue = MemoryQueue::new(Topology::default());
    let t = queue.topology().clone();
    let mut consumer = queue.consume(&t.intake_queue(), 1).await.unwrap();
    let waiter = tokio::spawn(async move { consumer.next().await.map(|d| number(&d.message)) });
    tokio::time::sleep(Duration::from_millis(20)).await;
    queue.publish(&t.intake_exchange(), vec![message("invoice.overdue", 42)]).await.unwrap();
    assert_eq!(waiter.await.unwrap(), Some(42));

    let mut consumer = queue.consume(&t.events_queue(), 1).await.unwrap();
    let waiter = tokio::spawn(async move { consumer.next().await.is_none() });
    tokio::time::sleep(Duration::from_millis(20)).await;
    queue.close();
    assert!(waiter.await.unwrap(), "closed queue ends consumers");
    assert!(matches!(
        queue.publish(&t.intake_exchange(), vec![message("invoice.overdue", 1)]).await,
        Err(QueueError::Unavailable(_))
    ));
}

#[tokio::test]
async fn competing_consumers_share_the_queue() {
    let queue = MemoryQueue::new(Topology::default());
    let t = queue.topology().clone();
    let mut a = queue.consume(&t.intake_queue(), 1).await.unwrap();
    let mut b = queue.consume(&t.intake_queue(), 1).await.unwrap();
    queue
        .publish(&t.intake_exchange(), (0..2).map(|n| message("invoice.overdue", n)).collect())
        .await
        .unwrap();
    let x = a.next().await.unwrap();
    let y = b.next().await.unwrap();
    let mut got = vec![number(&x.message), number(&y.message)];
    got.sort();
    assert_eq!(got, vec![0, 1]);
}

#[tokio::test]
async fn delete_topology_ends_consumers() {
    let queue = MemoryQueue::new(Topology::default());
    let t = queue.topology().clone();
    let mut consumer = queue.consume(&t.intake_queue(), 1).await.unwrap();
    queue.delete_topology().await.unwrap();
    assert!(consumer.next().await.is_none());
    assert!(queue.publish(&t.intake_exchange(), vec![message("invoice.overdue", 1)]).await.is_err());
    queue.declare_topology().await.unwrap();
    queue.publish(&t.intake_exchange(), vec![message("invoice.overdue", 1)]).await.unwrap();
}
