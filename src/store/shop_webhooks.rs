//! The store's narrow steps for the shop webhook ([`ShopWebhookSteps`], part of every
//! [`StoreTx`](super::StoreTx)): its outbox. What is sent, where, and what an answer means is
//! decided in `crate::hooks::shop`; these steps only read and write rows.

use super::StoreError;
use crate::domain::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A delivery to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShopWebhook {
    pub case_id: i64,
    pub tenant: TenantId,
    /// The JSON body, exactly as it will be signed and sent.
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A delivery leased for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopWebhookJob {
    pub id: i64,
    pub tenant: TenantId,
    pub case_id: i64,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShopWebhookResult {
    /// The shop answered 2xx.
    Delivered,
    /// Down, or a transient answer: tried again at `at`.
    Retry { error: String, at: DateTime<Utc> },
    /// Refused for good, the attempts used up, or the webhook turned off.
    Failed { error: String },
}

/// The narrow steps of the shop webhook.
#[async_trait]
pub trait ShopWebhookSteps: Send {
    /// Queues a delivery, due at once; `false` (and nothing written) when the case has one.
    async fn queue_shop_webhook(&mut self, webhook: &NewShopWebhook) -> Result<bool, StoreError>;

    /// Leases up to `limit` pending deliveries due at `now` until `until`, the earliest due
    /// first (on PostgreSQL skipping those another sender holds).
    async fn lease_shop_webhooks(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
        until: DateTime<Utc>,
    ) -> Result<Vec<ShopWebhookJob>, StoreError>;

    /// Records how an attempt ended, on a delivery still pending.
    async fn finish_shop_webhook(
        &mut self,
        id: i64,
        result: &ShopWebhookResult,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}
