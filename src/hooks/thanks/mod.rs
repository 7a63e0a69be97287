//! The thank-you message after a payment: where the creditor turned it on
//! (`[creditors.<tenant>] thank_you_message = true`) and consent allows
//! (`crate::domain::marketing`), the items the recommendation hook chose for the paid case go
//! to the debtor in a message of thanks, with an opt-out link that records an objection.
//!
//! The [`ThankYouHook`] runs after the recommendation hook, in the hook runner's transaction: it
//! picks the first channel that may carry the message and queues it in the
//! `thank_you_messages` outbox, at most one per case, so neither a replayed payment nor a
//! runner that crashed before its commit queues a second. The [`sender::ThankYouSender`]
//! leases due messages, checks the consent again (it may have changed since), renders them
//! ([`message`]) and sends them through the reminders' channel transports with the message's
//! idempotency key, recording each result before the next send.
//!
//! # Layout
//! `templates` (the message's templates, tenant-overridable) · `message` (one message rendered
//! for its channel) · `sender` (the outbox's one-step sender and its loop) · `optout` (the
//! signed opt-out link and the objection it records). Consents and objections enter the ledger
//! through `crate::intake::marketing::record_event`, whoever reports them.

pub mod message;
pub mod optout;
pub mod sender;
pub mod templates;

use super::PaymentHook;
use crate::deliver::Creditors;
use crate::domain::marketing_channel;
use crate::store::marketing::NewThankYou;
use crate::store::recommend::PaidCase;
use crate::store::{StoreError, StoreTx};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Queues a thank-you message for each paid case of a tenant that wants them.
pub struct ThankYouHook {
    creditors: Arc<Creditors>,
}

impl ThankYouHook {
    pub fn new(creditors: Arc<Creditors>) -> Self {
        Self { creditors }
    }
}

#[async_trait]
impl PaymentHook for ThankYouHook {
    fn name(&self) -> &'static str {
        "thank_you"
    }

    #[tracing::instrument(skip_all, fields(tenant = %paid.subject.tenant.as_str(), case_id = paid.subject.case_id))]
    async fn on_case_paid(
        &self,
        tx: &mut dyn StoreTx,
        paid: &PaidCase,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let subject = &paid.subject;
        if !self.creditors.get(subject.tenant.as_str()).thank_you_message {
            return Ok(());
        }
        if tx.recommendation(&subject.tenant, subject.case_id).await?.is_none() {
            tracing::debug!("nothing recommended: no thank-you message");
            return Ok(());
        }
        let Some(audience) = tx.marketing_audience(&subject.tenant, &subject.debtor_id).await? else {
            return Ok(());
        };
        let debtor = &audience.debtor;
        let reachable = |channel| {
            debtor
                .address_on(channel)
                .is_some_and(|address| debtor.unreachable.get(&channel) != Some(&address))
        };
        let Some((channel, basis)) = marketing_channel(reachable, &audience.consents, &audience.marketing)
        else {
            tracing::debug!("no channel may carry marketing to the debtor: no thank-you message");
            return Ok(());
        };
        let message = NewThankYou {
            case_id: subject.case_id,
            tenant: subject.tenant.clone(),
            channel,
            basis,
            created_at: now,
        };
        if tx.queue_thank_you(&message).await? {
            tracing::debug!(%channel, %basis, "thank-you message queued");
        }
        Ok(())
    }
}
