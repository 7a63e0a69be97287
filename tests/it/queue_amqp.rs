//! The RabbitMQ queue against a real broker (`MAHNWERK_TEST_AMQP_URL`); each test uses its own
//! namespace and deletes its topology at the end.

use crate::support;

use mahnwerk::queue::{AmqpOptions, AmqpQueue, Consumer, Queue, QueueError, Topology, ERROR_HEADER};
use std::time::{Duration, Instant};
use support::amqp::{amqp_url, fresh_queue, message, number};

async fn next(consumer: &mut Box<dyn Consumer>) -> mahnwerk::queue::Delivery {
    tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await
        .expect("a delivery in time")
        .expect("open")
}

#[tokio::test]
async fn a_thousand_messages_round_trip_with_headers() {
    let Some(url) = amqp_url() else { return };
    let queue = fresh_queue(&url).await;
    let t = queue.topology().clone();
    let started = Instant::now();
    let batch: Vec<_> = (0..1000).map(|n| message("invoice.overdue", n)).collect();
    queue.publish(&t.intake_exchange(), batch).await.unwrap();
    eprintln!("published 1000 in {:?}", started.elapsed());
    assert_eq!(queue.ready_count(&t.intake_queue()).await.unwrap(), 1000);

    let mut consumer = queue.consume(&t.intake_queue(), 200).await.unwrap();
    let mut seen = vec![false; 1000];
    for i in 0..1000 {
        let delivery = next(&mut consumer).await;
        let n = number(&delivery.message);
        assert!(!seen[n as usize], "{n} twice");
        seen[n as usize] = true;
        assert!(!delivery.redelivered);
        assert_eq!(delivery.message.routing_key, "invoice.overdue");
        assert_eq!(delivery.message.content_type.as_deref(), Some("application/json"));
        let mut headers = delivery.message.headers.clone();
        headers.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected = message("invoice.overdue", n).headers;
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(headers, expected);
        if i % 100 == 99 {
            delivery.ack(true).await.unwrap();
        }
    }
    eprintln!("round trip of 1000 in {:?}", started.elapsed());
    drop(consumer);
    assert_eq!(queue.ready_count(&t.intake_queue()).await.unwrap(), 0, "all acked, none redelivered");
    queue.delete_topology().await.unwrap();
}

#[tokio::test]
async fn a_consumer_dropped_before_ack_loses_nothing() {
    let Some(url) = amqp_url() else { return };
    let queue = fresh_queue(&url).await;
    let t = queue.topology().clone();
    let sms = t.delivery_queue("sms");
    queue.publish(&t.delivery_exchange(), (0..5).map(|n| message("sms", n)).collect()).await.unwrap();

    let mut first = queue.consume(&sms, 10).await.unwrap();
    let mut deliveries = Vec::new();
    for _ in 0..5 {
        deliveries.push(next(&mut first).await);
    }
    assert!(deliveries.iter().all(|d| !d.redelivered));
    drop(first); // closes its channel: the five go back to the queue
    assert!(deliveries[0].ack(false).await.is_err(), "the channel is gone");

    let mut second = queue.consume(&sms, 10).await.unwrap();
    let mut numbers = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let delivery = next(&mut second).await;
        assert!(delivery.redelivered, "came back from the dropped consumer");
        numbers.push(number(&delivery.message));
        last = Some(delivery);
    }
    numbers.sort();
    assert_eq!(numbers, vec![0, 1, 2, 3, 4]);
    last.unwrap().ack(true).await.unwrap();
    drop(second);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(queue.ready_count(&sms).await.unwrap(), 0, "the multiple ack covered all five");
    queue.delete_topology().await.unwrap();
}

#[tokio::test]
async fn rejected_messages_land_in_the_rejected_queue() {
    let Some(url) = amqp_url() else { return };
    let queue = fresh_queue(&url).await;
    let t = queue.topology().clone();
    let mut rejected = message("invoice.overdue", 7);
    rejected.headers.push((ERROR_HEADER.to_string(), "amount: not a number".into()));
    queue.publish(&t.dead_letter_exchange(), vec![rejected]).await.unwrap();
    assert_eq!(queue.ready_count(&t.rejected_queue()).await.unwrap(), 1);
    assert_eq!(queue.ready_count(&t.intake_queue()).await.unwrap(), 0);

    let mut consumer = queue.consume(&t.rejected_queue(), 1).await.unwrap();
    let delivery = next(&mut consumer).await;
    assert_eq!(delivery.message.routing_key, "invoice.overdue");
    assert_eq!(delivery.message.header(ERROR_HEADER), Some("amount: not a number"));
    assert_eq!(number(&delivery.message), 7);
    delivery.ack(false).await.unwrap();
    queue.delete_topology().await.unwrap();
}

#[tokio::test]
async fn refusals_are_errors_and_do_not_poison_the_publisher() {
    let Some(url) = amqp_url() else { return };
    let queue = fresh_queue(&url).await;
    let t = queue.topology().clone();

    let started = Instant::now();
    let error = queue.publish(&t.intake_exchange(), vec![message("foo", 1)]).await.unwrap_err();
    assert!(matches!(error, QueueError::Unroutable(_)), "{error}");
    let error = queue.publish(&format!("{}.nope", t.namespace), vec![message("x", 2)]).await.unwrap_err();
    assert!(matches!(error, QueueError::NotConfirmed(_)), "{error}");
    assert!(error.to_string().contains("NOT_FOUND") || error.to_string().contains("404"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5), "refusals are not retried");

    queue.publish(&t.intake_exchange(), vec![message("invoice.paid", 3)]).await.unwrap();
    assert_eq!(queue.ready_count(&t.intake_queue()).await.unwrap(), 1);
    assert!(queue.ready_count(&format!("{}.nope", t.namespace)).await.is_err());
    assert!(queue.consume(&format!("{}.nope", t.namespace), 1).await.is_err());
    queue.declare_topology().await.expect("declaring again is idempotent");
    queue.delete_topology().await.unwrap();
    queue.delete_topology().await.expect("deleting again is fine");
}

#[tokio::test]
async fn prefetch_and_requeue() {
    let Some(url) = amqp_url() else { return };
    let queue = fresh_queue(&url).await;
    let t = queue.topology().clone();
    queue.publish(&t.events_exchange(), (0..3).map(|n| message("case.opened", n)).collect()).await.unwrap();
    let mut consumer = queue.consume(&t.events_queue(), 2).await.unwrap();
    let a = next(&mut consumer).await;
    let _b = next(&mut consumer).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), consumer.next()).await.is_err(),
        "prefetch 2 holds back the third"
    );
    a.requeue().await.unwrap();
    let mut redelivered = 0;
    for _ in 0..2 {
        let delivery = next(&mut consumer).await;
        if number(&delivery.message) == number(&a.message) {
            assert!(delivery.redelivered);
            redelivered += 1;
        }
        delivery.ack(false).await.unwrap();
    }
    assert_eq!(redelivered, 1);
    queue.delete_topology().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_broker_is_unavailable_after_the_reconnect_window() {
    // Needs no broker: nothing listens on port 1 of the loopback address.
    let options = AmqpOptions { reconnect_timeout: Duration::from_millis(800), connection_name: None };
    let started = Instant::now();
    let result =
        AmqpQueue::connect_with("amqp://guest:guest@127.0.0.1:1/%2f", Topology::new("t"), options).await;
    assert!(matches!(result, Err(QueueError::Unavailable(_))), "{:?}", result.err());
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(700) && took < Duration::from_secs(5), "{took:?}");

    let invalid = AmqpQueue::connect("http://nope", Topology::new("t")).await;
    assert!(matches!(invalid, Err(QueueError::Other(_))), "{:?}", invalid.err());
}
