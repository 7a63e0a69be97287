//! One channel's worker: a step that handles one batch of deliveries ([`ChannelWorker::process_batch`])
//! and the loop around it.

use super::links::Links;
use super::render::Creditors;
use super::templates::Templates;
use crate::observe::{names, Tally};
use crate::queue::{consume_in_batches, BatchLimits, Delivery, ProcessBatch, Queue, Topology};
use crate::runtime::{Clock, DeliveryMessage};
use crate::shutdown::Shutdown;
use crate::store::{DeliveryJob, DeliveryReport, DeliveryResult, Store};
use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use mahnwerk_channels::{Channel, SendError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Most messages handled per batch (each carries up to
/// [`crate::runtime::REMINDERS_PER_MESSAGE`] reminders).
const BATCH: usize = 10;
/// Most sends of a batch in flight at once.
pub const CONCURRENT_SENDS: usize = 64;
/// Send results are recorded as they complete, while the sends go on: each recording takes what
/// has completed, at most this many, and at most this many more wait for it (the sends pause when
/// they would be more). A worker killed at any moment has sent at most twice this many reminders
/// it did not record, besides the [`CONCURRENT_SENDS`] in flight; they are sent again after the
/// restart (email has no provider idempotency key): the bound on what a debtor may receive twice
/// from a crash.
pub const RECORD_EVERY: usize = 128;
const BATCH_LINGER: Duration = Duration::from_millis(5);

/// How transient failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Attempts after which a reminder is given up as failed.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(6 * 3600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`: doubling from `first_delay`, capped.
    pub fn delay(&self, attempts: u32) -> Duration {
        self.first_delay.saturating_mul(2u32.saturating_pow(attempts.min(20))).min(self.max_delay)
    }

    /// [`RetryPolicy::delay`] with "equal jitter": half of it fixed, the other half drawn at
    /// random, so reminders that failed together (a provider outage) do not retry in lockstep.
    pub fn jittered_delay(&self, attempts: u32, rng: &mut impl rand::Rng) -> Duration {
        let full = self.delay(attempts);
        let half = full / 2;
        half + half.mul_f64(rng.gen::<f64>())
    }
}

#[derive(Clone)]
pub struct ChannelWorker {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub topology: Topology,
    pub transport: Arc<dyn Channel>,
    pub creditors: Arc<Creditors>,
    pub templates: Arc<Templates>,
    pub links: Arc<Links>,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
    /// How long a reminder may stay queued without a send result before the scheduler
    /// dispatches it again (see [`super::stamp`]).
    pub redispatch_after: chrono::Duration,
}

impl ChannelWorker {
    /// Handles one batch: load, send, record, ack. Returns how many reminders were sent.
    pub async fn process_batch(&self, deliveries: &[Delivery]) -> anyhow::Result<usize> {
        let Some(last) = deliveries.last() else { return Ok(0) };
        let mut ids = Vec::with_capacity(deliveries.len());
        // Each reminder's newest dispatch stamp among the batch's copies.
        let mut stamps: HashMap<i64, Option<DateTime<Utc>>> = HashMap::new();
        for delivery in deliveries {
            match DeliveryMessage::parse(&delivery.message.body) {
                Ok(message) => {
                    for &id in &message.reminder_ids {
                        let stamp = stamps.entry(id).or_insert(message.queued_at);
                        *stamp = (*stamp).max(message.queued_at);
                    }
                    ids.extend(message.reminder_ids);
                }
                // Only the dispatcher publishes here; a foreign message is dropped loudly.
                Err(error) => tracing::error!(%error, "unreadable message on a delivery queue; dropped"),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let started = std::time::Instant::now();
        let jobs = self.store.delivery_jobs(&ids).await.context("loading delivery jobs")?;
        let loaded_in = started.elapsed();
        let now = self.clock.now();
        // Sends complete into a small queue that a recorder empties while the sends go on, each
        // time taking what has completed (see RECORD_EVERY): a crash re-sends little, and the
        // sends never wait for the database unless the recorder falls behind. The messages are
        // acked once everything is recorded.
        let (completed, mut to_record) = tokio::sync::mpsc::channel::<DeliveryReport>(RECORD_EVERY);
        let (jobs_loaded, results) = (jobs.len(), Mutex::new(Tally::<3>::default()));
        let latency = metrics::histogram!(names::SEND_DURATION, "channel" => self.transport.kind().as_str());
        let (latency, counted) = (&latency, &results);
        let sending = async move {
            let mut reports = std::pin::pin!(stream::iter(jobs)
                .map(|job| {
                    let stamp = stamps.get(&job.reminder_id).copied().flatten();
                    let span = tracing::debug_span!(
                        "deliver",
                        tenant = %job.tenant,
                        case = job.case_id,
                        invoice = %job.invoice_number,
                        reminder = job.reminder_id
                    );
                    self.deliver(job, stamp, now, latency, counted).instrument(span)
                })
                .buffer_unordered(CONCURRENT_SENDS)
                .filter_map(|report| async move { report }));
            let mut sent = 0;
            while let Some(report) = reports.next().await {
                sent += usize::from(matches!(report.result, DeliveryResult::Sent { .. }));
                if completed.send(report).await.is_err() {
                    break; // the recorder failed; its error ends the batch
                }
            }
            (sent, started.elapsed())
        };
        // The recorder owns the receiving end: when a recording fails (the database went away),
        // the receiver goes with it, the sends' next report finds the queue closed, and the batch
        // ends with the error. Borrowed instead, the receiver outlived the recorder, the sends
        // filled its queue and waited for it forever, and the channel stopped delivering until
        // the process was restarted (found by `mahnwerk bench faults`).
        let recording = async move {
            let mut group = Vec::with_capacity(RECORD_EVERY);
            while to_record.recv_many(&mut group, RECORD_EVERY).await > 0 {
                self.record(&mut group).await?;
            }
            anyhow::Ok(())
        };
        let ((sent, sent_in), recorded) = tokio::join!(sending, recording);
        // Counted once recorded: a batch whose recording failed is sent again and counted then.
        let results = results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        recorded?;
        results.flush(names::DELIVERIES, ["channel", "tenant", "result"]);
        last.ack(true).await.context("acking deliveries")?;
        tracing::debug!(
            channel = %self.transport.kind(),
            batch = deliveries.len(),
            reminders = jobs_loaded,
            sent,
            load_ms = loaded_in.as_millis() as u64,
            send_ms = (sent_in - loaded_in).as_millis() as u64,
            record_ms = (started.elapsed() - sent_in).as_millis() as u64,
            "delivery batch"
        );
        Ok(sent)
    }

    /// Records `reports` (and empties it).
    async fn record(&self, reports: &mut Vec<DeliveryReport>) -> anyhow::Result<()> {
        if !reports.is_empty() {
            super::record_deliveries(self.store.as_ref(), reports, self.clock.now())
                .await
                .context("recording deliveries")?;
            reports.clear();
        }
        Ok(())
    }

    /// Sends one job, or says why not. `None`: the reminder was already handled (a redelivery),
    /// or this copy of its message is not the one to send it (see [`super::stamp`]).
    async fn deliver(
        &self,
        job: DeliveryJob,
        stamp: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        latency: &metrics::Histogram,
        results: &Mutex<Tally<3>>,
    ) -> Option<DeliveryReport> {
        let reminder_id = job.reminder_id;
        if !job.status.is_pending() {
            return None;
        }
        if let Some(reason) = super::stamp::stale_copy(&job, stamp, now, self.redispatch_after) {
            tracing::debug!(reminder_id, reason, "delivery copy dropped");
            return None;
        }
        let result = if let Some(reason) = super::instalment::reason_not_to_send(&job) {
            DeliveryResult::Skipped { reason }
        } else if let Some(reason) = job.consents.refusal(job.channel) {
            // Consent changed after planning (a STOP in between): never send against the ledger,
            // and let the planner choose among the channels still allowed.
            DeliveryResult::OptedOut { reason }
        } else {
            let creditor = self.creditors.get(job.tenant.as_str());
            match self.templates.render_job(&job, &creditor, &self.links, now) {
                Err(error) => DeliveryResult::Failed { error: error.to_string() },
                Ok(message) => {
                    let started = Instant::now();
                    let sent = self.transport.send(&job.idempotency_key, &message).await;
                    latency.record(started.elapsed().as_secs_f64());
                    match sent {
                        Ok(receipt) => DeliveryResult::Sent { provider_id: receipt.provider_id },
                        Err(error) => self.on_error(&job, error, now),
                    }
                }
            }
        };
        if let Ok(mut results) = results.lock() {
            results.add([job.channel.as_str(), job.tenant.as_str(), result_label(&result)]);
        }
        // A sent reminder may fix the case's default date when it is recorded (see `record`).
        let sent = matches!(result, DeliveryResult::Sent { .. });
        let undated = (sent && job.default_on.is_none()).then(|| Box::new(job));
        Some(DeliveryReport { reminder_id, result, undated })
    }

    fn on_error(&self, job: &DeliveryJob, error: SendError, now: DateTime<Utc>) -> DeliveryResult {
        tracing::warn!(
            tenant = %job.tenant,
            case = job.case_id,
            reminder_id = job.reminder_id,
            class = error.class(),
            reason = error.reason(),
            "send failed"
        );
        let reason = format!("{}: {}", error.class(), error.reason());
        if error.is_unreachable() {
            // The address is dead: remember it, and let the planner choose another channel.
            if let Some(address) = job.debtor.address_on(job.channel) {
                return DeliveryResult::Unreachable { error: reason, address };
            }
        }
        if !error.is_retryable() || job.attempts + 1 >= self.retry.max_attempts {
            return DeliveryResult::Failed { error: reason };
        }
        let delay = error
            .retry_after()
            .unwrap_or_else(|| self.retry.jittered_delay(job.attempts, &mut rand::thread_rng()));
        let retry_at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
        DeliveryResult::Retry { error: reason, retry_at }
    }

    /// Consumes until shutdown; re-subscribes with backoff when the broker goes away.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let queue_name = self.topology.delivery_queue(self.transport.kind().as_str());
        let limits = BatchLimits::by_count(BATCH, BATCH_LINGER);
        consume_in_batches(self.queue.as_ref(), &queue_name, limits, shutdown, &self).await;
        Ok(())
    }
}

/// A delivery result as the `result` label of [`names::DELIVERIES`].
fn result_label(result: &DeliveryResult) -> &'static str {
    match result {
        DeliveryResult::Sent { .. } => "sent",
        DeliveryResult::Failed { .. } => "failed",
        DeliveryResult::Retry { .. } => "retry",
        DeliveryResult::Unreachable { .. } => "unreachable",
        DeliveryResult::OptedOut { .. } => "opted_out",
        DeliveryResult::Skipped { .. } => "skipped",
    }
}

impl ProcessBatch for ChannelWorker {
    async fn process(&self, batch: &[Delivery]) -> anyhow::Result<()> {
        let span = tracing::info_span!(
            "delivery_batch",
            channel = self.transport.kind().as_str(),
            messages = batch.len()
        );
        self.process_batch(batch).instrument(span).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(0), Duration::from_secs(60));
        assert_eq!(policy.delay(3), Duration::from_secs(480));
        assert_eq!(policy.delay(30), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn jitter_stays_between_half_and_the_whole_delay() {
        use rand::SeedableRng;
        let policy = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let draws: Vec<Duration> = (0..200).map(|_| policy.jittered_delay(2, &mut rng)).collect();
        let full = policy.delay(2);
        assert!(draws.iter().all(|d| *d >= full / 2 && *d <= full), "{draws:?}");
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(distinct.len() > 100, "the delays are spread, not one value");
    }
}
