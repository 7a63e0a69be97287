//! Shared setup for the RabbitMQ tests.

#![allow(dead_code)]

use mahnwerk::queue::{AmqpOptions, AmqpQueue, Message, Topology};
use std::time::Duration;

#[allow(unused_imports)] // not every test binary uses it
pub use super::servers::amqp_url;

/// A queue on a fresh namespace, topology declared. The connection is named after the namespace
/// so a test can find it in `rabbitmqctl list_connections`.
pub async fn fresh_queue(url: &str) -> AmqpQueue {
    let namespace = format!("test-{}", uuid::Uuid::new_v4());
    let options = AmqpOptions {
        reconnect_timeout: Duration::from_secs(30),
        connection_name: Some(format!("mahnwerk {namespace}")),
    };
    let queue = AmqpQueue::connect_with(url, Topology::new(namespace), options).await.expect("connecting");
    mahnwerk::queue::Queue::declare_topology(&queue).await.expect("declaring");
    queue
}

pub fn message(key: &str, n: u32) -> Message {
    Message {
        routing_key: key.to_string(),
        body: format!("{{\"n\":{n}}}").into_bytes(),
        headers: vec![
            ("x-n".to_string(), n.to_string().into()),
            ("x-tenant".to_string(), "acme GmbH ä".into()),
        ],
        content_type: Some("application/json".to_string()),
        message_id: None,
    }
}

pub fn number(message: &Message) -> u32 {
    let body = std::str::from_utf8(&message.body).unwrap();
    body.trim_start_matches("{\"n\":").trim_end_matches('}').parse().unwrap()
}
