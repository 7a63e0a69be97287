//! The tenants' summaries: the facts `GET /api/v1/stats` and the overview compute their figures
//! from ([`TenantFacts`]: cases grouped by state and currency, payments added up per source,
//! currency and month, sent reminders counted, what earned reminders brought), read by the
//! database per tenant and kept in the `api` role's memory with the moment they are as of.
//!
//! A call no longer reads a tenant's fifty thousand cases: it is answered from the summary,
//! which [`keep_refreshing`] reads anew every `[console] summary_refresh_secs`, one tenant after
//! another so that the reading takes at most one of the database's cores at a time. A tenant not
//! summarised yet (a fresh start, a tenant's first call) is read on demand, once, however many
//! calls ask at the same time. So that no operator's first call waits for that reading, the
//! `api` role reads the summaries of the tenants with console accounts when it starts
//! ([`Summaries::read_ahead`], in the background, `[console] summaries_at_start`), through the
//! same gate: a call arriving during it shares the reading. Every `api` process keeps its own
//! summaries, of the tenants it read ahead and those it was asked about.

use crate::domain::TenantId;
use crate::learn::stats::{cash_sources, TenantFacts, COST_CURRENCY};
use crate::runtime::Clock;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Every summarised tenant's facts, and a gate per tenant for its first reading.
#[derive(Default)]
pub struct Summaries {
    by_tenant: RwLock<HashMap<TenantId, Arc<TenantFacts>>>,
    first_reading: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
}

impl Summaries {
    pub fn new() -> Self {
        Self::default()
    }

    /// `tenant`'s summary: the one kept, or, for a tenant without one, read now and kept.
    pub async fn facts(
        &self,
        store: &dyn Store,
        clock: &dyn Clock,
        tenant: &TenantId,
    ) -> Result<Arc<TenantFacts>, StoreError> {
        if let Some(facts) = self.kept(tenant) {
            return Ok(facts);
        }
        let gate = {
            let mut gates = self.first_reading.lock().expect("not poisoned");
            Arc::clone(gates.entry(tenant.clone()).or_default())
        };
        let _reading = gate.lock().await;
        // Another call may have read it while this one waited at the gate.
        if let Some(facts) = self.kept(tenant) {
            return Ok(facts);
        }
        let facts = Arc::new(read_facts(store, tenant, clock.now()).await?);
        self.keep(tenant, Arc::clone(&facts));
        Ok(facts)
    }

    /// Reads the summary of every tenant with a console account (an operator or a live API key)
    /// that has none yet, one after another, each through the gate of [`Self::facts`] (a call for
    /// the tenant meanwhile waits for this reading instead of making its own). Stops early at
    /// shutdown; a tenant whose reading fails is logged and left to be read on demand. Answers
    /// how many were read.
    pub async fn read_ahead(&self, store: &dyn Store, clock: &dyn Clock, shutdown: &Shutdown) -> usize {
        let tenants = async {
            let mut tx = store.begin().await?;
            tx.tenants_with_accounts().await
        };
        let tenants = match tenants.await {
            Ok(tenants) => tenants,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "listing the tenants to summarise failed");
                return 0;
            }
        };
        let mut read = 0;
        for tenant in tenants {
            if shutdown.is_triggered() {
                break;
            }
            if self.kept(&tenant).is_some() {
                continue;
            }
            match self.facts(store, clock, &tenant).await {
                Ok(_) => read += 1,
                Err(error) => tracing::warn!(
                    tenant = tenant.as_str(),
                    error = format!("{error:#}"),
                    "reading a tenant's summary ahead failed; it is read on its first call"
                ),
            }
        }
        read
    }

    /// Reads every summarised tenant's facts anew, one after another; a tenant whose reading
    /// fails keeps its older summary (and the failure is logged). Answers how many were read.
    pub async fn refresh(&self, store: &dyn Store, clock: &dyn Clock) -> usize {
        let tenants: Vec<TenantId> = self.by_tenant.read().expect("not poisoned").keys().cloned().collect();
        let mut read = 0;
        for tenant in tenants {
            match read_facts(store, &tenant, clock.now()).await {
                Ok(facts) => {
                    self.keep(&tenant, Arc::new(facts));
                    read += 1;
                }
                Err(error) => tracing::warn!(
                    tenant = tenant.as_str(),
                    error = format!("{error:#}"),
                    "reading a tenant's summary failed; keeping the older one"
                ),
            }
        }
        read
    }

    fn kept(&self, tenant: &TenantId) -> Option<Arc<TenantFacts>> {
        self.by_tenant.read().expect("not poisoned").get(tenant).cloned()
    }

    fn keep(&self, tenant: &TenantId, facts: Arc<TenantFacts>) {
        self.by_tenant.write().expect("not poisoned").insert(tenant.clone(), facts);
    }
}

/// Reads `tenant`'s facts as of `as_of`, in one transaction of short reads (no parallel workers:
/// a reading takes at most one core of the database).
pub async fn read_facts(
    store: &dyn Store,
    tenant: &TenantId,
    as_of: DateTime<Utc>,
) -> Result<TenantFacts, StoreError> {
    let mut tx = store.begin().await?;
    tx.plan_short_reads().await?;
    let cases = tx.case_amounts(tenant).await?;
    let payments = tx.payment_sums(tenant).await?;
    let sent = tx.sent_facts(tenant).await?;
    let earned = tx.earned_facts(tenant, COST_CURRENCY, &cash_sources()).await?;
    drop(tx);
    Ok(TenantFacts { as_of, cases, payments, sent, earned })
}

/// The `api` role's refresher: reads the summaries of the tenants with console accounts first
/// when `ahead` ([`Summaries::read_ahead`]), then every summary anew every `every` until
/// shutdown.
pub async fn keep_refreshing(
    summaries: Arc<Summaries>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    every: Duration,
    ahead: bool,
    mut shutdown: Shutdown,
) {
    if ahead {
        let read = summaries.read_ahead(store.as_ref(), clock.as_ref(), &shutdown).await;
        tracing::info!(tenants = read, "tenant summaries read at the start");
    }
    while !shutdown.sleep(every).await {
        let read = summaries.refresh(store.as_ref(), clock.as_ref()).await;
        tracing::debug!(tenants = read, "tenant summaries read anew");
    }
}
