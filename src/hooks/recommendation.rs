//! The recommendation hook: after a payment closed a case, up to `top_k` items of the tenant's
//! active catalogue for that debtor, from the tenant's newest fitted recommender, stored for the
//! thank-you view and announced as `recommendation.created` in the same transaction.
//!
//! A tenant without a fitted recommender or a catalogue gets nothing (the case is handled all
//! the same), as does a tenant in `[recommend] disabled_tenants`.

use super::PaymentHook;
use crate::config::recommend::RecommendConfig;
use crate::runtime::{EventBody, NewEvent, RecommendedItem};
use crate::store::recommend::{day_of, PaidCase, StoredRecommendation};
use crate::store::{StoreError, StoreTx};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mahnwerk_models::recommend::{Catalogue, DebtorHistory, Recommender, RecommenderSnapshot};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The recommendation hook, with the recommenders it has loaded, by tenant.
pub struct RecommendationHook {
    config: RecommendConfig,
    /// Per tenant: the version loaded and the model.
    loaded: Mutex<HashMap<String, (i64, Arc<Recommender>)>>,
}

impl RecommendationHook {
    pub fn new(config: RecommendConfig) -> Self {
        Self { config, loaded: Mutex::new(HashMap::new()) }
    }

    /// The tenant's newest recommender and its version, loaded once per version.
    async fn recommender(
        &self,
        tx: &mut dyn StoreTx,
        tenant: &crate::domain::TenantId,
    ) -> Result<Option<(i64, Arc<Recommender>)>, StoreError> {
        let Some(version) = tx.latest_recommender_version(tenant).await? else { return Ok(None) };
        if let Some((loaded, model)) = self.loaded.lock().expect("not poisoned").get(tenant.as_str()) {
            if *loaded == version {
                return Ok(Some((version, Arc::clone(model))));
            }
        }
        let Some(record) = tx.latest_recommender(tenant).await? else { return Ok(None) };
        let model = serde_json::from_str::<RecommenderSnapshot>(&record.body)
            .map_err(|e| e.to_string())
            .and_then(|snapshot| Recommender::from_snapshot(snapshot).map_err(|e| e.to_string()));
        match model {
            Ok(model) => {
                let model = Arc::new(model);
                let entry = (record.version, Arc::clone(&model));
                self.loaded.lock().expect("not poisoned").insert(tenant.as_str().to_owned(), entry);
                Ok(Some((record.version, model)))
            }
            Err(error) => {
                tracing::error!(tenant = %tenant.as_str(), version = record.version, %error, "recommender snapshot does not load");
                Ok(None)
            }
        }
    }
}

#[async_trait]
impl PaymentHook for RecommendationHook {
    fn name(&self) -> &'static str {
        "recommendation"
    }

    #[tracing::instrument(skip_all, fields(tenant = %paid.subject.tenant.as_str(), case_id = paid.subject.case_id))]
    async fn on_case_paid(
        &self,
        tx: &mut dyn StoreTx,
        paid: &PaidCase,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let subject = &paid.subject;
        if !self.config.enabled_for(subject.tenant.as_str()) {
            return Ok(());
        }
        let Some((version, model)) = self.recommender(tx, &subject.tenant).await? else {
            tracing::debug!("no fitted recommender for the tenant: nothing recommended");
            return Ok(());
        };
        let catalogue = match Catalogue::new(tx.catalogue(&subject.tenant).await?) {
            Ok(catalogue) => catalogue,
            Err(error) => return Err(StoreError::Corrupt(format!("catalogue: {error}"))),
        };
        let bought = tx.purchases(&subject.tenant, Some(&subject.debtor_id)).await?;
        let history = DebtorHistory::of(subject.debtor_id.as_str(), &bought)
            .unwrap_or_else(|| DebtorHistory::new(paid.segment.clone()));
        let today = day_of(paid.paid_at.date_naive());
        let items: Vec<RecommendedItem> = model
            .recommend(&history, today, &catalogue)
            .into_iter()
            .zip(1..)
            .map(|(r, rank)| RecommendedItem {
                rank,
                reason_text: r.reason.render(&catalogue),
                sku: r.sku,
                name: r.name,
                url: r.url,
                price: Decimal::new(r.price_cents, 2),
                score: r.score,
                reason: r.reason,
            })
            .collect();
        if items.is_empty() {
            return Ok(());
        }
        let stored =
            StoredRecommendation { subject: subject.clone(), model_version: version, created_at: now, items };
        if tx.insert_recommendation(&stored).await? {
            let body = EventBody::RecommendationCreated { model_version: version, items: stored.items };
            tx.append_events(&[NewEvent::from(&subject.event(now, body))]).await?;
        }
        Ok(())
    }
}
