//! 1,000 malformed messages of many kinds, interleaved with 100 valid ones, through a running
//! intake: every bad one lands in the dead-letter queue with an `x-mahnwerk-error` header naming
//! its field and a row in `intake_rejections`; every good one is stored; the intake keeps running.

use crate::support;

use mahnwerk::app::{Role, Service};
use mahnwerk::config::{Config, PolicyKind};
use mahnwerk::queue::{HeaderValue, Message, Queue, Topology, ERROR_HEADER};
use mahnwerk::runtime::ManualClock;
use mahnwerk::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use support::malformed;
use support::servers::Backend;

const MALFORMED: usize = 1000;
const VALID: usize = 100;

/// Headers of the AMQP types RabbitMQ carries in tables, as a producer may send them: all must
/// reach the dead letters.
fn typed_headers(i: usize) -> Vec<(String, HeaderValue)> {
    vec![
        ("x-test-id".into(), format!("bad-{i}").into()),
        ("x-attempt".into(), HeaderValue::I32(3)),
        ("x-sequence".into(), HeaderValue::I64(i as i64)),
        ("x-signed".into(), HeaderValue::Bool(true)),
        ("x-raw".into(), HeaderValue::Bytes(vec![0, 159, 255])),
        ("x-weight".into(), HeaderValue::F64(0.5)),
        ("x-sent-at".into(), HeaderValue::Timestamp(1_790_000_000)),
        ("x-trace".into(), HeaderValue::Table(vec![("span".into(), HeaderValue::text("a1"))])),
        ("x-hops".into(), HeaderValue::Array(vec![HeaderValue::text("erp"), HeaderValue::I8(2)])),
    ]
}

async fn scenario(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let outbox = tempfile::tempdir().unwrap();
    let config = Config {
        namespace: topology.namespace.clone(),
        outbox_dir: outbox.path().to_owned(),
        // The fixed schedule, so that every reminder takes the channel these checks expect.
        policy: PolicyKind::Fixed,
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::new(mahnwerk::demo::world::epoch()));
    let service = Service::assemble(&config, Arc::clone(&store), Arc::clone(&queue), clock).unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let mut roles = service.spawn(Role::Intake, &shutdown);

    let bad = malformed::generate(2026, MALFORMED);
    let mut messages = Vec::new();
    let mut expected_field = HashMap::new();
    for (i, m) in bad.iter().enumerate() {
        expected_field.insert(format!("bad-{i}"), m.field.clone());
        messages.push(Message {
            routing_key: m.routing_key.clone(),
            body: m.body.clone(),
            headers: typed_headers(i),
            content_type: Some("application/json".into()),
            message_id: Some(format!("msg-{i}")),
        });
        if i % (MALFORMED / VALID) == 0 {
            let valid = malformed::valid(messages.len());
            messages.push(Message::new("invoice.overdue", valid.to_string().into_bytes()));
        }
    }
    for chunk in messages.chunks(250) {
        queue.publish(&topology.intake_exchange(), chunk.to_vec()).await.unwrap();
    }

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let stats = store.stats().await.unwrap();
        if stats.intake_rejections == MALFORMED as u64 && stats.cases.total == VALID as u64 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "gave up: {stats:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(roles.try_join_next().is_none(), "the intake is still running");

    let mut consumer = queue.consume(&topology.rejected_queue(), 500).await.unwrap();
    let mut seen = HashMap::new();
    while seen.len() < MALFORMED {
        let delivery = tokio::time::timeout(Duration::from_secs(30), consumer.next())
            .await
            .expect("a dead letter within 30 s")
            .expect("the consumer is open");
        let id = delivery.message.header("x-test-id").expect("the original headers are kept").to_owned();
        let error = delivery.message.header(ERROR_HEADER).expect("a reason header").to_owned();
        let i: usize = id.trim_start_matches("bad-").parse().unwrap();
        let mut kept = delivery.message.headers.clone();
        kept.retain(|(key, _)| key != ERROR_HEADER);
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        let mut sent = typed_headers(i);
        sent.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(kept, sent, "every original header, with its type");
        assert_eq!(delivery.message.message_id.as_deref(), Some(format!("msg-{i}").as_str()));
        delivery.ack(false).await.unwrap();
        seen.insert(id, error);
    }
    for (id, field) in &expected_field {
        let error = &seen[id];
        assert!(
            error.starts_with(&format!("{field}: ")),
            "{id}: expected the error to name '{field}', got '{error}'"
        );
    }
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.intake_rejections, MALFORMED as u64);
    assert_eq!(stats.cases.total, VALID as u64);
    trigger.trigger();
    while let Some(ended) = roles.join_next().await {
        ended.unwrap().1.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_on_the_embedded_default() {
    let b = Backend::embedded().await;
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_on_postgres_and_rabbitmq() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}
