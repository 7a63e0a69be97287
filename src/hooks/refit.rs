//! Fitting each tenant's recommender from its purchase history: one step per tenant
//! ([`refit_tenant`]) that reads the history, fits in batch off the async threads, and stores a
//! new versioned snapshot when the history changed since the last one.

use crate::domain::TenantId;
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use mahnwerk_models::recommend::{Recommender, ValidRecommenderParams};

/// What one refit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refit {
    /// A new snapshot of this version, fitted on this many lines.
    Fitted { version: i64, lines: i64 },
    /// The history has as many lines as the newest snapshot saw: nothing to do.
    Unchanged,
    /// The tenant has no purchases with a SKU yet.
    NoHistory,
}

/// Fits `tenant`'s recommender if its purchase history changed since the newest snapshot
/// (counted in lines), and stores it as a new version.
#[tracing::instrument(skip_all, fields(tenant = %tenant.as_str()))]
pub async fn refit_tenant(
    store: &dyn Store,
    tenant: &TenantId,
    params: &ValidRecommenderParams,
    now: DateTime<Utc>,
) -> anyhow::Result<Refit> {
    let mut tx = store.begin().await?;
    let purchases = tx.purchases(tenant, None).await.context("reading the purchase history")?;
    let latest = tx.latest_recommender(tenant).await?;
    tx.rollback().await?;
    let lines = purchases.len() as i64;
    if lines == 0 {
        return Ok(Refit::NoHistory);
    }
    // Same lines and same parameters: a fit would give the same model.
    let params_json = serde_json::to_value(params).context("parameters as JSON")?;
    if let Some(latest) = latest.filter(|l| l.lines == lines) {
        let same_params = serde_json::from_str::<serde_json::Value>(&latest.body)
            .ok()
            .is_some_and(|body| body.get("params") == Some(&params_json));
        if same_params {
            return Ok(Refit::Unchanged);
        }
    }
    let params = params.clone();
    let body = tokio::task::spawn_blocking(move || {
        let model = Recommender::fit(params, &purchases);
        serde_json::to_string(&model.snapshot())
    })
    .await
    .context("the fit panicked")?
    .context("the snapshot as JSON")?;
    let mut tx = store.begin().await?;
    let version = tx.save_recommender(tenant, now, lines, &body).await?;
    tx.commit().await?;
    tracing::info!(version, lines, "recommender fitted");
    Ok(Refit::Fitted { version, lines })
}

/// Refits every tenant with a catalogue; a tenant that fails is logged and the others go on.
pub async fn refit_all(
    store: &dyn Store,
    params: &ValidRecommenderParams,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(TenantId, Refit)>> {
    let mut tx = store.begin().await?;
    let tenants = tx.catalogue_tenants().await?;
    tx.rollback().await?;
    let mut done = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        match refit_tenant(store, &tenant, params, now).await {
            Ok(refit) => done.push((tenant, refit)),
            Err(error) => {
                tracing::warn!(tenant = %tenant.as_str(), error = %format!("{error:#}"), "refit failed")
            }
        }
    }
    Ok(done)
}
