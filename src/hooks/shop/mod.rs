//! The shop webhook: after a payment closed a case and the recommendation hook chose items,
//! the same body as `recommendation.created` is POSTed to the creditor's shop
//! (`[creditors.<tenant>] shop_webhook_url`), signed with `shop_webhook_secret`
//! ([`signature`]), so the shop can greet the returning customer with them.
//!
//! The [`ShopWebhookHook`] runs after the recommendation hook, in the hook runner's transaction,
//! and queues the body in the `shop_webhooks` outbox, at most once per case. The
//! [`sender::ShopWebhookSender`] leases due deliveries, POSTs them, and records each answer
//! before the next POST; a shop that is down is tried again with backoff, so it loses nothing.
//!
//! # Layout
//! `signature` (the `Mahnwerk-Signature` header) · `sender` (the outbox's one-step sender and
//! its loop).

pub mod sender;
pub mod signature;

use super::PaymentHook;
use crate::deliver::Creditors;
use crate::runtime::{EventBody, NewEvent};
use crate::store::recommend::PaidCase;
use crate::store::shop_webhooks::NewShopWebhook;
use crate::store::{StoreError, StoreTx};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Queues the shop webhook for each paid case of a tenant that has one.
pub struct ShopWebhookHook {
    creditors: Arc<Creditors>,
}

impl ShopWebhookHook {
    pub fn new(creditors: Arc<Creditors>) -> Self {
        Self { creditors }
    }
}

#[async_trait]
impl PaymentHook for ShopWebhookHook {
    fn name(&self) -> &'static str {
        "shop_webhook"
    }

    #[tracing::instrument(skip_all, fields(tenant = %paid.subject.tenant.as_str(), case_id = paid.subject.case_id))]
    async fn on_case_paid(
        &self,
        tx: &mut dyn StoreTx,
        paid: &PaidCase,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let subject = &paid.subject;
        if self.creditors.get(subject.tenant.as_str()).shop_webhook_url.is_none() {
            return Ok(());
        }
        let Some(stored) = tx.recommendation(&subject.tenant, subject.case_id).await? else {
            return Ok(());
        };
        // The very body of `recommendation.created`: the same event, built from what was stored.
        let body =
            EventBody::RecommendationCreated { model_version: stored.model_version, items: stored.items };
        let event = stored.subject.event(stored.created_at, body);
        let webhook = NewShopWebhook {
            case_id: subject.case_id,
            tenant: subject.tenant.clone(),
            body: NewEvent::from(&event).data,
            created_at: stored.created_at,
        };
        tx.queue_shop_webhook(&webhook).await?;
        Ok(())
    }
}
