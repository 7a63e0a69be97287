//! The shop webhook's sender: a step that leases due deliveries and POSTs them one after another
//! ([`ShopWebhookSender::try_execute_task`]), and the loop around it.
//!
//! A 2xx answer delivers. A shop that cannot be reached, times out, or answers 408, 429 or 5xx
//! is tried again with the reminders' backoff (doubling from a minute up to six hours, with
//! jitter, honouring `Retry-After`), up to [`MAX_ATTEMPTS`]; any other answer (a 4xx: the shop
//! refuses the request itself) fails the delivery at once. Each delivery is leased for
//! [`LEASE`] before its POST and its answer recorded right after, before the next POST: a
//! sender killed at any instant has POSTed at most one delivery it did not record, which is
//! POSTed again when its lease runs out with the same `Mahnwerk-Delivery` id. That is the bound
//! on duplicates; nothing queued is lost.

use super::signature::{sign, DELIVERY_HEADER, SIGNATURE_HEADER};
use crate::deliver::{Creditors, RetryPolicy};
use crate::runtime::Clock;
use crate::shutdown::Shutdown;
use crate::store::shop_webhooks::{ShopWebhookJob, ShopWebhookResult};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

/// Deliveries one step leases at most.
pub const BATCH: u32 = 20;
/// How long a leased delivery is kept from other senders: longer than a POST may take.
pub const LEASE: Duration = Duration::from_secs(120);
/// How long one POST may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts after which a delivery is given up as failed (with the default backoff, about 4
/// days after the first).
pub const MAX_ATTEMPTS: u32 = 20;

/// What one step did (the hook runner's kind: how many were handled, or idle).
pub use crate::hooks::Outcome;

/// POSTs the queued shop webhooks.
pub struct ShopWebhookSender {
    pub store: Arc<dyn Store>,
    pub creditors: Arc<Creditors>,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
}

impl ShopWebhookSender {
    pub fn new(
        store: Arc<dyn Store>,
        creditors: Arc<Creditors>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let retry = RetryPolicy { max_attempts: MAX_ATTEMPTS, ..RetryPolicy::default() };
        Ok(Self { store, creditors, http, clock, retry })
    }

    /// One step: leases up to [`BATCH`] due deliveries, then POSTs and records each in turn.
    #[tracing::instrument(skip_all)]
    pub async fn try_execute_task(&self) -> Result<Outcome, StoreError> {
        let now = self.clock.now();
        let until = now + chrono::Duration::from_std(LEASE).expect("a short lease");
        let mut tx = self.store.begin().await?;
        let jobs = tx.lease_shop_webhooks(now, BATCH, until).await?;
        tx.commit().await?;
        if jobs.is_empty() {
            return Ok(Outcome::Idle);
        }
        for job in &jobs {
            let result = self.attempt(job, now).await;
            match &result {
                ShopWebhookResult::Delivered => {
                    tracing::info!(id = job.id, tenant = %job.tenant, "shop webhook delivered")
                }
                ShopWebhookResult::Retry { error, .. } => {
                    tracing::warn!(id = job.id, tenant = %job.tenant, %error, "shop webhook not delivered; trying again later")
                }
                ShopWebhookResult::Failed { error } => {
                    tracing::error!(id = job.id, tenant = %job.tenant, %error, "shop webhook given up")
                }
            }
            let mut tx = self.store.begin().await?;
            tx.finish_shop_webhook(job.id, &result, self.clock.now()).await?;
            tx.commit().await?;
        }
        Ok(Outcome::Handled(jobs.len()))
    }

    /// POSTs one delivery to the tenant's shop as configured now.
    async fn attempt(&self, job: &ShopWebhookJob, now: DateTime<Utc>) -> ShopWebhookResult {
        let creditor = self.creditors.get(job.tenant.as_str());
        let (Some(url), Some(secret)) = (&creditor.shop_webhook_url, &creditor.shop_webhook_secret) else {
            return ShopWebhookResult::Failed { error: "the tenant's shop webhook was turned off".into() };
        };
        let signature = sign(secret.0.expose_secret().as_bytes(), now.timestamp(), job.body.as_bytes());
        let sent = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(DELIVERY_HEADER, job.id.to_string())
            .body(job.body.clone())
            .send()
            .await;
        let (error, retry_after) = match sent {
            Ok(response) if response.status().is_success() => return ShopWebhookResult::Delivered,
            Ok(response) => {
                let status = response.status();
                let transient = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
                if !transient {
                    return ShopWebhookResult::Failed { error: format!("the shop answered {status}") };
                }
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(Duration::from_secs);
                (format!("the shop answered {status}"), retry_after)
            }
            // No answer: down, refused, timed out. The body may or may not have arrived.
            Err(error) => (format!("no answer from the shop: {}", without_url(&error)), None),
        };
        if job.attempts + 1 >= self.retry.max_attempts {
            return ShopWebhookResult::Failed {
                error: format!("{error}; {} attempts made", job.attempts + 1),
            };
        }
        let delay = retry_after
            .map(|d| d.min(self.retry.max_delay))
            .unwrap_or_else(|| self.retry.jittered_delay(job.attempts, &mut rand::thread_rng()));
        let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
        ShopWebhookResult::Retry { error, at }
    }

    /// POSTs until shutdown: at once while deliveries are due, each `poll` when idle, backing
    /// off up to 30 s while the store fails.
    pub async fn run(self, poll: Duration, shutdown: Shutdown) -> anyhow::Result<()> {
        crate::hooks::role::poll_steps("delivering shop webhooks", poll, shutdown, || self.try_execute_task())
            .await
    }
}

/// A request error without its URL (which may carry a token the creditor put there).
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}
