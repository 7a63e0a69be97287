//! Post-payment hooks: what happens once a payment has closed a case, whichever source paid it.
//!
//! `crate::pay::record_payment` queues every case it closes in the `paid_cases` outbox, in the
//! payment's own transaction. The [`HookRunner`] claims queued cases, runs every
//! [`PaymentHook`] on each, and marks the case handled, all in one transaction: a hook's
//! effects (its rows, its events) are committed exactly once per case, and a crash before the
//! commit leaves the case queued for the next runner. A replayed payment closes nothing and
//! queues nothing.
//!
//! # Layout
//! `recommendation` (the first hook: product recommendations, `recommendation.created`) ·
//! `thanks` (the second: the thank-you message with those recommendations, where the creditor
//! wants it and consent allows, its outbox and sender, and its opt-out link) · `shop` (the
//! third: the same body as `recommendation.created` POSTed, signed, to the creditor's shop,
//! from an outbox with retries) · `refit` (fitting
//! each tenant's recommender from its purchase history; the catalogue it recommends from comes
//! in through `crate::intake::catalogue`) · `conversions` (later purchases of recommended SKUs,
//! `recommendation.converted`) · `role` (the `recommender` role's loops). The signed links of the
//! recommended items are minted where the thank-you view shows them (`crate::pay::page::click`).

pub mod conversions;
pub mod recommendation;
pub mod refit;
pub mod role;
pub mod shop;
pub mod thanks;

use crate::runtime::Clock;
use crate::store::recommend::PaidCase;
use crate::store::{Store, StoreError, StoreTx};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Paid cases one runner step handles at most.
pub const BATCH: u32 = 50;

/// Something that reacts to a payment closing a case. Runs inside the runner's transaction:
/// what it writes through `tx` is committed with the case marked handled, once.
#[async_trait]
pub trait PaymentHook: Send + Sync {
    /// For logs.
    fn name(&self) -> &'static str;

    /// Reacts to `paid`. A store error rolls the whole step back (the cases stay queued and
    /// are tried again); anything else the hook cannot do it logs and skips.
    async fn on_case_paid(
        &self,
        tx: &mut dyn StoreTx,
        paid: &PaidCase,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// What one step of a post-payment loop did: the hook runner's, or a sender's
/// ([`role::poll_steps`] loops them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// This many were handled: paid cases through every hook, or messages or deliveries leased
    /// and their attempts recorded.
    Handled(usize),
    /// Nothing was queued or due.
    Idle,
}

/// Runs the hooks over queued paid cases.
pub struct HookRunner {
    pub store: Arc<dyn Store>,
    pub hooks: Vec<Arc<dyn PaymentHook>>,
    pub clock: Arc<dyn Clock>,
}

impl HookRunner {
    /// One step: claims up to [`BATCH`] queued cases and runs every hook on each, in one
    /// transaction.
    #[tracing::instrument(skip_all)]
    pub async fn try_execute_task(&self) -> Result<Outcome, StoreError> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let claimed = tx.claim_paid_cases(BATCH).await?;
        if claimed.is_empty() {
            tx.rollback().await?;
            return Ok(Outcome::Idle);
        }
        for paid in &claimed {
            for hook in &self.hooks {
                hook.on_case_paid(tx.as_mut(), paid, now).await?;
            }
            tx.finish_paid_case(paid.subject.case_id, now).await?;
        }
        tx.commit().await?;
        tracing::debug!(cases = claimed.len(), "post-payment hooks ran");
        Ok(Outcome::Handled(claimed.len()))
    }
}
