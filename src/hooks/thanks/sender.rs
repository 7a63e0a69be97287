//! The thank-you messages' sender: a step that leases due messages from the outbox and sends
//! them one after another ([`ThankYouSender::try_execute_task`]), and the loop around it.
//!
//! Each message is leased for [`LEASE`] before it is sent and its result recorded right after
//! the send, before the next one: a sender killed at any instant has sent at most one message it
//! did not record, which goes out again when its lease runs out (the transports get the
//! message's idempotency key `thanks-<id>`, which the HTTP providers honour; SMTP cannot). That
//! is the bound on what a debtor may receive twice from a crash.

use super::message::{compose, Parts};
use super::templates::ThanksTemplates;
use crate::deliver::{Creditors, Links, RetryPolicy, Transports};
use crate::domain::marketing_basis;
use crate::runtime::Clock;
use crate::shutdown::Shutdown;
use crate::store::marketing::{ThankYouJob, ThankYouResult};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use mahnwerk_channels::Channel;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Messages one step leases at most.
pub const BATCH: u32 = 20;
/// How long a leased message is kept from other senders.
pub const LEASE: Duration = Duration::from_secs(600);

/// What one step did (the hook runner's kind: how many were handled, or idle).
pub use crate::hooks::Outcome;

/// Sends the queued thank-you messages.
pub struct ThankYouSender {
    pub store: Arc<dyn Store>,
    pub transports: Transports,
    pub creditors: Arc<Creditors>,
    pub templates: Arc<ThanksTemplates>,
    pub links: Arc<Links>,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
}

impl ThankYouSender {
    /// One step: leases up to [`BATCH`] due messages, then sends and records each in turn.
    #[tracing::instrument(skip_all)]
    pub async fn try_execute_task(&self) -> Result<Outcome, StoreError> {
        let now = self.clock.now();
        let until = now + chrono::Duration::from_std(LEASE).expect("a short lease");
        let mut tx = self.store.begin().await?;
        let jobs = tx.lease_thank_yous(now, BATCH, until).await?;
        tx.commit().await?;
        if jobs.is_empty() {
            return Ok(Outcome::Idle);
        }
        for job in &jobs {
            let result = self.attempt(job, now).await?;
            match &result {
                ThankYouResult::Sent { .. } => {
                    tracing::info!(id = job.id, channel = %job.channel, "thank-you message sent")
                }
                ThankYouResult::Withheld { reason } => {
                    tracing::info!(id = job.id, %reason, "thank-you message withheld")
                }
                ThankYouResult::Retry { error, .. } | ThankYouResult::Failed { error } => {
                    tracing::warn!(id = job.id, channel = %job.channel, %error, "thank-you message not sent")
                }
            }
            let mut tx = self.store.begin().await?;
            tx.finish_thank_you(job.id, &result, self.clock.now()).await?;
            tx.commit().await?;
        }
        Ok(Outcome::Handled(jobs.len()))
    }

    /// Checks, renders and sends one message.
    async fn attempt(&self, job: &ThankYouJob, now: DateTime<Utc>) -> Result<ThankYouResult, StoreError> {
        let tenant = &job.subject.tenant;
        let mut tx = self.store.begin().await?;
        let audience = tx.marketing_audience(tenant, &job.subject.debtor_id).await?;
        let recommendation = tx.recommendation(tenant, job.subject.case_id).await?;
        let catalogue: HashMap<_, _> =
            tx.catalogue(tenant).await?.into_iter().map(|item| (item.sku.clone(), item)).collect();
        tx.rollback().await?;
        let withheld = |reason: &str| Ok(ThankYouResult::Withheld { reason: reason.to_owned() });
        let Some(audience) = audience else { return withheld("the debtor is no longer stored") };
        // The consent may have changed since the message was queued: never send against it.
        if let Err(reason) = marketing_basis(job.channel, &audience.consents, &audience.marketing) {
            return withheld(&reason);
        }
        // Only what the catalogue still offers.
        let items: Vec<_> = recommendation
            .map(|r| r.items)
            .unwrap_or_default()
            .into_iter()
            .filter(|item| catalogue.get(&item.sku).is_some_and(|c| c.active))
            .collect();
        if items.is_empty() {
            return withheld("no recommended item is active in the catalogue any more");
        }
        let creditor = self.creditors.get(tenant.as_str());
        let parts = Parts {
            job,
            audience: &audience,
            items: &items,
            catalogue: &catalogue,
            creditor: &creditor,
            links: &self.links,
            now,
        };
        let message = match compose(&self.templates, &parts) {
            Ok(message) => message,
            Err(error) => return Ok(ThankYouResult::Failed { error }),
        };
        let Some(transport) = self.transports.get(job.channel) else {
            return Ok(ThankYouResult::Failed { error: format!("no {} transport", job.channel) });
        };
        Ok(match transport.send(&format!("thanks-{}", job.id), &message).await {
            Ok(receipt) => ThankYouResult::Sent { provider_id: receipt.provider_id },
            Err(error) => {
                let reason = format!("{}: {}", error.class(), error.reason());
                if error.is_retryable() && job.attempts + 1 < self.retry.max_attempts {
                    let delay = error
                        .retry_after()
                        .unwrap_or_else(|| self.retry.jittered_delay(job.attempts, &mut rand::thread_rng()));
                    let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                    ThankYouResult::Retry { error: reason, at }
                } else {
                    ThankYouResult::Failed { error: reason }
                }
            }
        })
    }

    /// Sends until shutdown: at once while messages are due, each `poll` when idle, backing off
    /// up to 30 s while the store fails.
    pub async fn run(self, poll: Duration, shutdown: Shutdown) -> anyhow::Result<()> {
        crate::hooks::role::poll_steps("sending thank-you messages", poll, shutdown, || {
            self.try_execute_task()
        })
        .await
    }
}
