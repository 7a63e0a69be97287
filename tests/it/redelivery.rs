//! At-least-once without double effects: a message published twice yields one case, and
//! deliveries a consumer took but never acked (it died, its connection dropped) are delivered
//! again and stored.

use crate::support;

use mahnwerk::app::{Role, Service};
use mahnwerk::config::{Config, PolicyKind};
use mahnwerk::queue::{AmqpQueue, MemoryQueue, Message, Queue, Topology};
use mahnwerk::runtime::ManualClock;
use mahnwerk::store::Store;
use std::sync::Arc;
use std::time::Duration;
use support::malformed::valid;
use support::servers::{amqp_url, namespace, Backend, BrokerCleanup, TestDatabase};

fn overdue(i: usize) -> Message {
    Message::new("invoice.overdue", valid(i).to_string().into_bytes())
}

async fn wait_for_cases(store: &dyn Store, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let stats = store.stats().await.unwrap();
        if stats.cases.total >= n {
            assert_eq!(stats.cases.total, n, "no more cases than invoices");
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {n} cases: {stats:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Runs the intake role until `n` cases exist, then stops it.
async fn run_intake_until(store: &Arc<dyn Store>, queue: &Arc<dyn Queue>, topology: &Topology, n: u64) {
    let outbox = tempfile::tempdir().unwrap();
    let config = Config {
        namespace: topology.namespace.clone(),
        outbox_dir: outbox.path().to_owned(),
        // The fixed schedule, so that every reminder takes the channel these checks expect.
        policy: PolicyKind::Fixed,
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::new(mahnwerk::demo::world::epoch()));
    let service = Service::assemble(&config, Arc::clone(store), Arc::clone(queue), clock).unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let mut roles = service.spawn(Role::Intake, &shutdown);
    wait_for_cases(store.as_ref(), n).await;
    // Nothing left to consume: any duplicate has been through the intake too.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while queue.ready_count(&topology.intake_queue()).await.unwrap() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the intake queue never drained");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    trigger.trigger();
    while let Some(ended) = roles.join_next().await {
        ended.unwrap().1.unwrap();
    }
    assert_eq!(store.stats().await.unwrap().cases.total, n, "no more cases than invoices");
}

async fn duplicates_make_one_case(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let messages = vec![overdue(1), overdue(2), overdue(1)];
    queue.publish(&topology.intake_exchange(), messages.clone()).await.unwrap();
    queue.publish(&topology.intake_exchange(), messages).await.unwrap();
    run_intake_until(&store, &queue, &topology, 2).await;
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cases.total, 2);
    assert_eq!(stats.intake_rejections, 0);
    let case = store.case_by_invoice("acme", "RE-000001").await.unwrap().unwrap();
    assert_eq!(case.state.as_str(), "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_on_the_embedded_default() {
    let b = Backend::embedded().await;
    duplicates_make_one_case(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_on_postgres_and_rabbitmq() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    duplicates_make_one_case(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_deliveries_of_a_dead_consumer_are_not_lost_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = mahnwerk::store::open(&format!("sqlite://{}/m.sqlite", dir.path().display())).await.unwrap();
    let topology = Topology::new("mahnwerk");
    let memory = Arc::new(MemoryQueue::new(topology.clone()));
    memory.declare_topology().await.unwrap();
    memory.publish(&topology.intake_exchange(), (0..50).map(overdue).collect()).await.unwrap();
    {
        let mut doomed = memory.consume(&topology.intake_queue(), 100).await.unwrap();
        for _ in 0..30 {
            assert!(doomed.next().await.is_some());
        }
        // Dropped without acking: the consumer dies.
    }
    let queue: Arc<dyn Queue> = memory;
    run_intake_until(&store, &queue, &topology, 50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_deliveries_of_a_dropped_connection_are_not_lost_on_rabbitmq() {
    let (Some(db), Some(amqp)) = (TestDatabase::create().await, amqp_url()) else { return };
    let store = mahnwerk::store::open(&db.url).await.unwrap();
    let topology = Topology::new(namespace());
    let _cleanup = BrokerCleanup::new(&amqp, &topology);
    let queue: Arc<dyn Queue> = Arc::new(AmqpQueue::connect(&amqp, topology.clone()).await.unwrap());
    queue.declare_topology().await.unwrap();
    queue.publish(&topology.intake_exchange(), (0..50).map(overdue).collect()).await.unwrap();
    {
        // A second connection takes deliveries and dies before acking.
        let doomed_queue = AmqpQueue::connect(&amqp, topology.clone()).await.unwrap();
        let mut doomed = doomed_queue.consume(&topology.intake_queue(), 100).await.unwrap();
        for _ in 0..30 {
            let delivery = tokio::time::timeout(Duration::from_secs(10), doomed.next()).await.unwrap();
            assert!(delivery.is_some());
        }
        drop(doomed);
        doomed_queue.close().await;
    }
    run_intake_until(&store, &queue, &topology, 50).await;
}
