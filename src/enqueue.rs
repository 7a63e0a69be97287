//! `mahnwerk enqueue FILE.jsonl`: the easy way for a creditor to try mahnwerk. Each line is one
//! intake message. With RabbitMQ configured the lines are published to the intake exchange
//! (publisher confirms); in the embedded mode they go through the same intake, in this process,
//! into the configured database.

use crate::app::Service;
use crate::config::Config;
use crate::intake::message::ROUTING_KEYS;
use crate::queue::{AmqpQueue, MemoryQueue, Message, Queue, Topology};
use crate::runtime::SystemClock;
use anyhow::{bail, Context};
use secrecy::ExposeSecret;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

const PUBLISH_BATCH: usize = 500;

#[derive(Debug, Default)]
pub struct EnqueueSummary {
    pub published: usize,
    /// Only known in the embedded mode, where the intake runs here.
    pub applied: Option<usize>,
    pub rejected: Option<usize>,
}

impl fmt::Display for EnqueueSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "published {} messages", self.published)?;
        if let (Some(applied), Some(rejected)) = (self.applied, self.rejected) {
            write!(f, "; intake applied {applied}, rejected {rejected} (see `mahnwerk stats`)")?;
        }
        Ok(())
    }
}

pub async fn enqueue_file(config: &Config, file: &Path, routing_key: &str) -> anyhow::Result<EnqueueSummary> {
    if !ROUTING_KEYS.contains(&routing_key) {
        bail!("--routing-key '{routing_key}' is not one of {}", ROUTING_KEYS.join(", "));
    }
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let messages: Vec<Message> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| Message {
            routing_key: routing_key.to_owned(),
            body: line.as_bytes().to_vec(),
            headers: Vec::new(),
            message_id: None,
            content_type: Some("application/json".to_owned()),
        })
        .collect();
    let topology = Topology::new(config.namespace.clone());
    let published = messages.len();
    match &config.amqp_url {
        Some(url) => {
            let queue = AmqpQueue::connect(url.expose_secret(), topology.clone()).await?;
            queue.declare_topology().await?;
            for chunk in messages.chunks(PUBLISH_BATCH) {
                queue.publish(&topology.intake_exchange(), chunk.to_vec()).await?;
            }
            Ok(EnqueueSummary { published, applied: None, rejected: None })
        }
        None => {
            let store = crate::store::open(&config.database_url).await?;
            let queue = Arc::new(MemoryQueue::new(topology.clone()));
            queue.declare_topology().await?;
            let service = Service::assemble(config, store, queue.clone(), Arc::new(SystemClock))?;
            queue.publish(&topology.intake_exchange(), messages).await?;
            let intake = service.intake();
            let mut consumer = queue.consume(&topology.intake_queue(), 1000).await?;
            let (mut applied, mut rejected) = (0, 0);
            loop {
                let batch =
                    queue.take_ready(&topology.intake_queue(), consumer.as_mut(), crate::intake::BATCH).await;
                if batch.is_empty() {
                    break;
                }
                let outcome = intake.process_batch(&batch).await?;
                applied += outcome.applied;
                rejected += outcome.rejected;
            }
            Ok(EnqueueSummary { published, applied: Some(applied), rejected: Some(rejected) })
        }
    }
}
