//! Reconnecting after RabbitMQ closed the connection (via `rabbitmqctl close_connection`, aimed
//! only at this test's connection so parallel tests and other users of the broker are unharmed).
//! Its own test binary, so no other test of this crate shares the process while it runs.

use crate::support;

use mahnwerk::queue::{AmqpQueue, Queue};
use std::process::Command;
use std::time::{Duration, Instant};
use support::amqp::{amqp_url, fresh_queue, message, number};

/// The broker's ids of the connections named after this queue's namespace.
fn connection_pids(queue: &AmqpQueue) -> Vec<String> {
    let output = Command::new("rabbitmqctl")
        .args(["-q", "list_connections", "pid", "client_properties"])
        .output()
        .expect("running rabbitmqctl (must be on PATH, usually as root)");
    assert!(output.status.success(), "rabbitmqctl: {}", String::from_utf8_lossy(&output.stderr));
    let listing = String::from_utf8_lossy(&output.stdout).to_string();
    listing
        .lines()
        .filter(|line| line.contains(&queue.topology().namespace))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

fn close(pids: &[String]) {
    assert!(!pids.is_empty(), "found the test's connection");
    for pid in pids {
        let status = Command::new("rabbitmqctl")
            .args(["-q", "close_connection", pid, "test"])
            .status()
            .expect("running rabbitmqctl");
        assert!(status.success());
    }
}

#[tokio::test]
async fn publish_and_consume_survive_a_closed_connection() {
    let Some(url) = amqp_url() else { return };
    let queue = fresh_queue(&url).await;
    let t = queue.topology().clone();
    queue.publish(&t.intake_exchange(), vec![message("invoice.overdue", 1)]).await.unwrap();
    let mut consumer = queue.consume(&t.events_queue(), 10).await.unwrap();

    // The publisher is idle when the broker closes the connection.
    close(&connection_pids(&queue));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    queue
        .publish(&t.intake_exchange(), vec![message("invoice.overdue", 2)])
        .await
        .expect("publish after reconnect");
    eprintln!("publish with reconnect took {:?}", started.elapsed());
    assert_eq!(queue.ready_count(&t.intake_queue()).await.unwrap(), 2);

    // The consumer of the lost connection ends; consuming again works on the new connection.
    let ended =
        tokio::time::timeout(Duration::from_secs(5), consumer.next()).await.expect("the consumer ends");
    assert!(ended.is_none());
    let mut consumer = queue.consume(&t.intake_queue(), 10).await.unwrap();
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next()).await.unwrap().unwrap();
        numbers.push(number(&delivery.message));
        delivery.ack(false).await.unwrap();
    }
    numbers.sort();
    assert_eq!(numbers, vec![1, 2]);
    drop(consumer);

    // The connection breaks while a large batch is being published: the batch is sent again
    // whole, so the messages that made it before the break arrive twice.
    const BATCH: u32 = 60_000;
    let pids = connection_pids(&queue);
    let batch: Vec<_> = (0..BATCH).map(|n| message("invoice.overdue", n)).collect();
    let queue = std::sync::Arc::new(queue);
    let handle = queue.clone();
    let publishing = tokio::spawn(async move {
        let started = Instant::now();
        let result = handle.publish(&handle.topology().intake_exchange(), batch).await;
        (result, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::task::spawn_blocking(move || close(&pids)).await.unwrap();
    let closed_at = Instant::now();
    let (result, took) = publishing.await.unwrap();
    result.expect("publish after a mid-batch break");
    eprintln!("{BATCH} with a break took {took:?}, {:?} after the close", closed_at.elapsed());
    let ready = queue.ready_count(&t.intake_queue()).await.unwrap();
    eprintln!("ready after the interrupted batch: {ready}");
    assert!(ready > BATCH, "the break came mid-batch and the batch was resent: {ready}");
    queue.delete_topology().await.unwrap();
}
