//! The intake holds message bodies within a byte budget: a burst of megabyte messages (over the
//! 1 MiB limit, or broken JSON just under it) mixed with small valid invoices, published before
//! the intake starts, goes through with batches and a prefetch bounded by
//! `[intake] max_in_flight_mib` (here 8 MiB). While each batch is applied, the deliveries the
//! broker has handed over and not yet seen acked (published − acked − ready) are at most the
//! prefetch, each batch holds at most its share of the budget, and every large message is still
//! dead-lettered with its reason and every valid invoice stored. On RabbitMQ and the in-process
//! queue. (Resident memory is measured by `mahnwerk bench bad-input`, not asserted here.)

use crate::support;

use mahnwerk::app::Service;
use mahnwerk::config::{Config, PolicyKind};
use mahnwerk::intake::{batch_limits, message::MAX_MESSAGE_BYTES, Intake};
use mahnwerk::queue::{consume_in_batches, Delivery, Message, ProcessBatch, Queue, Topology};
use mahnwerk::runtime::ManualClock;
use mahnwerk::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::servers::Backend;

const MIB: usize = 1024 * 1024;
const BUDGET: usize = 8 * MIB;
const LARGE: usize = 24;
const VALID: usize = 24;

/// A body of `len` bytes that is no invoice: it fails at its size or as JSON.
fn large_body(len: usize) -> Vec<u8> {
    let mut body = b"{\"schema\":\"mahnwerk.invoice.v1\",\"pad\":\"".to_vec();
    body.resize(len, b'x');
    body
}

/// What one batch held, as the intake reported it, and what the broker had handed over then.
#[derive(Debug, Clone, Copy)]
struct Seen {
    messages: usize,
    bytes: usize,
    handed_over: usize,
}

/// The intake, noting what each batch held and how many deliveries were out at that moment.
struct Recording<'a> {
    intake: &'a Intake,
    queue_name: String,
    published: usize,
    seen: Mutex<Vec<Seen>>,
}

impl ProcessBatch for Recording<'_> {
    async fn process(&self, batch: &[Delivery]) -> anyhow::Result<()> {
        let ready = self.intake.queue.ready_count(&self.queue_name).await? as usize;
        let acked: usize = self.seen.lock().unwrap().iter().map(|s| s.messages).sum();
        let outcome = self.intake.process_batch(batch).await?;
        // Acked before minus not yet ready: what the broker had handed over, counting a
        // delivery whose ack it has not processed yet as returned (never more than the truth).
        let handed_over = self.published.saturating_sub(acked + ready);
        self.seen.lock().unwrap().push(Seen { messages: batch.len(), bytes: outcome.bytes, handed_over });
        Ok(())
    }
}

async fn scenario(store: Arc<dyn Store>, queue: Arc<dyn Queue>, topology: Topology) {
    let outbox = tempfile::tempdir().unwrap();
    let config = Config {
        namespace: topology.namespace.clone(),
        outbox_dir: outbox.path().to_owned(),
        policy: PolicyKind::Fixed,
        ..Config::default()
    };
    let clock = Arc::new(ManualClock::new(mahnwerk::demo::world::epoch()));
    let service = Service::assemble(&config, Arc::clone(&store), Arc::clone(&queue), clock).unwrap();
    let mut intake = service.intake();
    intake.limits = batch_limits(BUDGET);
    let limits = intake.limits;
    assert_eq!((limits.prefetch, limits.max_messages, limits.max_bytes), (8, 4, 4 * MIB));

    // The whole burst waits in the queue before the intake starts.
    let mut messages = Vec::new();
    for i in 0..LARGE {
        let len = if i % 2 == 0 { MAX_MESSAGE_BYTES + 1 } else { MAX_MESSAGE_BYTES - 1 };
        messages.push(Message::new("invoice.overdue", large_body(len)));
        messages.push(Message::new("invoice.overdue", support::malformed::valid(i).to_string().into_bytes()));
    }
    let largest = MAX_MESSAGE_BYTES + 1;
    let published = messages.len();
    for chunk in messages.chunks(4) {
        queue.publish(&topology.intake_exchange(), chunk.to_vec()).await.unwrap();
    }
    drop(messages);
    let queue_name = topology.intake_queue();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while queue.ready_count(&queue_name).await.unwrap() as usize != published {
        assert!(tokio::time::Instant::now() < deadline, "the burst never showed as ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let recording =
        Recording { intake: &intake, queue_name: queue_name.clone(), published, seen: Mutex::default() };
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let consume = consume_in_batches(queue.as_ref(), &queue_name, limits, shutdown, &recording);
    let done = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let stats = store.stats().await.unwrap();
            if stats.intake_rejections == LARGE as u64 && stats.cases.total == VALID as u64 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "gave up: {stats:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        trigger.trigger();
    };
    tokio::join!(consume, done);

    let seen = recording.seen.into_inner().unwrap();
    assert_eq!(seen.iter().map(|s| s.messages).sum::<usize>(), published, "{seen:?}");
    for s in &seen {
        assert!(s.messages <= limits.max_messages, "a batch over the count: {s:?}");
        assert!(s.bytes <= limits.max_bytes + largest, "a batch over its byte share: {s:?}");
        assert!(s.handed_over <= usize::from(limits.prefetch), "more handed over than the prefetch: {s:?}");
        assert!(
            s.handed_over * largest <= BUDGET + usize::from(limits.prefetch) * (largest - MAX_MESSAGE_BYTES)
        );
    }
    let largest_batch = seen.iter().map(|s| s.bytes).max().unwrap();
    assert!(largest_batch >= 2 * MAX_MESSAGE_BYTES - 2, "the burst made large batches: {seen:?}");
    println!(
        "{} batches, the largest holding {largest_batch} bytes (budget {BUDGET}, prefetch {})",
        seen.len(),
        limits.prefetch
    );

    // Nothing lost to the budget: every large message dead-lettered, every invoice stored.
    let dead = topology.rejected_queue();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while queue.ready_count(&dead).await.unwrap() as usize != LARGE {
        assert!(
            tokio::time::Instant::now() < deadline,
            "dead letters: {}",
            queue.ready_count(&dead).await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(store.stats().await.unwrap().cases.total, VALID as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_large_messages_stays_within_the_byte_budget_on_the_embedded_default() {
    let b = Backend::embedded().await;
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_large_messages_stays_within_the_byte_budget_on_postgres_and_rabbitmq() {
    let Some(b) = Backend::postgres_rabbitmq().await else { return };
    scenario(b.store.clone(), b.queue.clone(), b.topology.clone()).await;
}
