//! Intake: consumes `mahnwerk.invoice.v1` messages from the intake queue, applies them to the
//! store in batches, and acks only after the commit. A message that does not parse (or names an
//! invoice that does not exist) is published to the dead-letter exchange with an
//! `x-mahnwerk-error` header naming the field, and recorded in `intake_rejections`; nothing is
//! dropped silently and a bad message never stops the batch it came with.

mod apply;
pub mod catalogue;
mod command;
pub mod contact;
mod fields;
pub mod marketing;
pub mod message;
pub mod privacy;
mod settle;

pub use apply::{apply_commands, cancel as cancel_invoice};
pub use command::{IntakeCommand, IntakeOutcome};
pub use settle::Settle;

use crate::domain::{AttributionWindow, FieldError, PlanBook};
use crate::observe::names;
use crate::queue::{
    body_bytes, consume_in_batches, BatchLimits, Delivery, Message, ProcessBatch, Queue, Topology,
    ERROR_HEADER,
};
use crate::runtime::Clock;
use crate::shutdown::Shutdown;
use crate::store::{Rejection, Store};
use anyhow::Context;
use message::Identity;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// Most messages applied in one transaction.
pub const BATCH: usize = 500;
/// How long to wait for more messages before applying a partial batch.
const BATCH_LINGER: Duration = Duration::from_millis(5);
/// Stored rejections keep at most this much of the message.
const MAX_STORED_PAYLOAD: usize = 64 * 1024;
/// Dead-lettered copies are published this many body bytes at a time (at least one message per
/// publish), so that a batch of large rejected bodies is copied a chunk at a time, not whole.
const DEAD_LETTER_CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// How the intake batches and prefetches under a byte budget for the bodies it holds at once
/// (prefetched and in the batch being applied): a prefetch of `budget / 1 MiB` messages (the
/// largest body it accepts), half of them or half the budget in bytes per batch, whichever
/// comes first, and never more than [`BATCH`] messages per batch.
pub fn batch_limits(max_in_flight_bytes: usize) -> BatchLimits {
    BatchLimits::by_bytes(max_in_flight_bytes, message::MAX_MESSAGE_BYTES, BATCH, BATCH_LINGER)
}

/// What one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    pub applied: usize,
    pub rejected: usize,
    /// The bytes of the batch's message bodies, all held until it was acked.
    pub bytes: usize,
}

pub struct Intake {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub topology: Topology,
    pub plans: Arc<PlanBook>,
    pub clock: Arc<dyn Clock>,
    /// How long after a reminder a payment still counts as its success.
    pub attribution: AttributionWindow,
    /// The pay stage's rules for payments and dispute resolutions.
    pub settle: Arc<dyn Settle>,
    /// How many messages and body bytes a batch and the prefetch may hold ([`batch_limits`]).
    pub limits: BatchLimits,
}

struct Pending<'a> {
    delivery: &'a Delivery,
    command: IntakeCommand,
}

impl Intake {
    /// Applies one batch of deliveries and acks them. On a store or broker failure nothing is
    /// acked; the caller requeues the batch.
    pub async fn process_batch(&self, deliveries: &[Delivery]) -> anyhow::Result<BatchOutcome> {
        let Some(last) = deliveries.last() else { return Ok(BatchOutcome::default()) };
        let span = tracing::info_span!(
            "intake_batch",
            messages = deliveries.len(),
            bytes = body_bytes(deliveries),
            applied = tracing::field::Empty,
            rejected = tracing::field::Empty
        );
        let outcome = self.process_batch_in(deliveries, last).instrument(span.clone()).await?;
        span.record("applied", outcome.applied).record("rejected", outcome.rejected);
        Ok(outcome)
    }

    async fn process_batch_in(
        &self,
        deliveries: &[Delivery],
        last: &Delivery,
    ) -> anyhow::Result<BatchOutcome> {
        let now = self.clock.now();
        let mut rejections: Vec<(&Delivery, FieldError, Identity)> = Vec::new();
        let mut pending = Vec::new();
        for delivery in deliveries {
            let m = &delivery.message;
            match message::parse(&m.routing_key, &m.body, &self.plans, now) {
                Ok(command) => pending.push(Pending { delivery, command }),
                Err((error, identity)) => rejections.push((delivery, error, identity)),
            }
        }
        let started = std::time::Instant::now();
        let applied = self.apply(&mut pending, &mut rejections, now).await?;
        tracing::debug!(
            batch = deliveries.len(),
            applied,
            apply_ms = started.elapsed().as_millis() as u64,
            "intake batch"
        );
        let rejected = rejections.len();
        if !rejections.is_empty() {
            self.reject(&rejections, now).await?;
        }
        last.ack(true).await.context("acking the batch")?;
        Ok(BatchOutcome { applied, rejected, bytes: body_bytes(deliveries) })
    }

    /// Applies the parsed commands; outcomes that refer to unknown invoices become rejections.
    /// If the batch as a whole fails with a data error, each message is retried alone so that
    /// one poison message is rejected and the others are applied.
    async fn apply<'a>(
        &self,
        pending: &mut Vec<Pending<'a>>,
        rejections: &mut Vec<(&'a Delivery, FieldError, Identity)>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<usize> {
        let commands: Vec<IntakeCommand> = pending.iter().map(|p| p.command.clone()).collect();
        let apply = |commands| {
            apply_commands(self.store.as_ref(), self.settle.as_ref(), commands, self.attribution, now)
        };
        let results: Vec<Result<IntakeOutcome, FieldError>> = match apply(&commands).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(batch_error) if batch_error.is_refused_data() => {
                tracing::warn!(error = %batch_error, "batch refused by the database; applying messages one by one");
                let mut results = Vec::with_capacity(commands.len());
                for command in &commands {
                    results.push(match apply(std::slice::from_ref(command)).await {
                        Ok(mut one) => Ok(one.pop().unwrap_or(IntakeOutcome::Duplicate)),
                        Err(e) if e.is_refused_data() => {
                            Err(FieldError::new("$", format!("refused by the database: {e}")))
                        }
                        Err(e) => return Err(e).context("applying intake message"),
                    });
                }
                results
            }
            Err(e) => return Err(e).context("applying intake batch"),
        };
        let mut applied = 0;
        let mut accepted = crate::observe::Tally::<2>::default();
        for (p, result) in pending.drain(..).zip(results) {
            let error = match result {
                Err(error) => Some(error),
                Ok(IntakeOutcome::UnknownInvoice) => Some(FieldError::new(
                    "invoice_number",
                    "no overdue invoice with this number for this tenant",
                )),
                Ok(IntakeOutcome::CurrencyMismatch { expected }) => {
                    Some(FieldError::new("currency", format!("the invoice is in {expected}")))
                }
                Ok(_) => None,
            };
            match error {
                Some(error) => {
                    let identity = identity_of(&p.command);
                    rejections.push((p.delivery, error, identity));
                }
                None => {
                    applied += 1;
                    accepted.add([p.command.kind(), p.command.tenant().as_str()]);
                }
            }
        }
        accepted.flush(names::INTAKE_ACCEPTED, ["kind", "tenant"]);
        Ok(applied)
    }

    /// Publishes rejected messages to the dead-letter exchange, a chunk of bodies at a time,
    /// and records them.
    async fn reject(
        &self,
        rejections: &[(&Delivery, FieldError, Identity)],
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        let mut rest = rejections;
        while !rest.is_empty() {
            let (chunk, later) = rest.split_at(dead_letter_chunk(rest));
            self.queue
                .publish(&self.topology.dead_letter_exchange(), chunk.iter().map(dead_letter).collect())
                .await
                .context("publishing rejected messages to the dead-letter exchange")?;
            rest = later;
        }
        let rows: Vec<Rejection> = rejections
            .iter()
            .map(|(delivery, error, identity)| Rejection {
                received_at: now,
                routing_key: delivery.message.routing_key.clone(),
                field: error.field.clone(),
                reason: error.reason.clone(),
                tenant: identity.tenant.clone(),
                invoice_number: identity.invoice_number.clone(),
                payload: delivery.message.body[..delivery.message.body.len().min(MAX_STORED_PAYLOAD)]
                    .to_vec(),
            })
            .collect();
        self.store.record_rejections(&rows).await.context("recording rejections")?;
        let mut rejected = crate::observe::Tally::<2>::default();
        for (_, error, identity) in rejections {
            tracing::info!(field = %error.field, "intake message rejected");
            let tenant = identity.tenant.as_deref().filter(|t| crate::domain::TenantId::parse(t).is_ok());
            rejected.add([&crate::observe::field_label(&error.field), tenant.unwrap_or("unknown")]);
        }
        rejected.flush(names::INTAKE_REJECTED, ["field", "tenant"]);
        Ok(())
    }

    /// Consumes until shutdown; re-subscribes with backoff when the broker goes away.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let queue_name = self.topology.intake_queue();
        consume_in_batches(self.queue.as_ref(), &queue_name, self.limits, shutdown, &self).await;
        Ok(())
    }
}

impl ProcessBatch for Intake {
    async fn process(&self, batch: &[Delivery]) -> anyhow::Result<()> {
        self.process_batch(batch).await.map(drop)
    }
}

/// How many of `rejections` (at least one) the next dead-letter publish takes: as many as fit
/// in [`DEAD_LETTER_CHUNK_BYTES`] of bodies.
fn dead_letter_chunk(rejections: &[(&Delivery, FieldError, Identity)]) -> usize {
    let mut bytes = 0;
    let over = rejections.iter().position(|(delivery, _, _)| {
        bytes += delivery.message.body.len();
        bytes > DEAD_LETTER_CHUNK_BYTES
    });
    over.map_or(rejections.len(), |first_over| first_over.max(1))
}

/// The dead-lettered copy of a rejected message: every original header, and the reason.
fn dead_letter((delivery, error, _): &(&Delivery, FieldError, Identity)) -> Message {
    let mut headers = delivery.message.headers.clone();
    headers.retain(|(k, _)| k != ERROR_HEADER);
    headers.push((ERROR_HEADER.to_owned(), crate::queue::HeaderValue::text(error.to_string())));
    Message { headers, ..delivery.message.clone() }
}

fn identity_of(command: &IntakeCommand) -> Identity {
    if let IntakeCommand::CatalogueItem { tenant, .. } = command {
        return Identity { tenant: Some(tenant.to_string()), invoice_number: None };
    }
    let (tenant, number) = match command {
        IntakeCommand::Overdue { invoice, .. } | IntakeCommand::Issued { invoice, .. } => {
            (&invoice.tenant, &invoice.number)
        }
        IntakeCommand::Paid(p) => (&p.tenant, &p.invoice_number),
        IntakeCommand::Cancelled { tenant, invoice_number, .. }
        | IntakeCommand::DisputeResolved { tenant, invoice_number, .. } => (tenant, invoice_number),
        IntakeCommand::CatalogueItem { .. } => unreachable!("answered above"),
    };
    Identity { tenant: Some(tenant.to_string()), invoice_number: Some(number.to_string()) }
}
