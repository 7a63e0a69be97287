//! `[recommend]`: product recommendations after payment — whether the recommender role runs,
//! how often it refits each tenant's model, how many items a debtor is shown, which tenants
//! turned the recommendation hook off, and how later purchases count as conversions.

use anyhow::{anyhow, bail};
use linfa::ParamGuard;
use mahnwerk_models::recommend::{RecommenderParams, ValidRecommenderParams};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecommendConfig {
    /// Whether the `recommender` role (refits and the post-payment hook) runs in `--role all`.
    /// Default `true`. With `false` paid cases wait in the outbox until a recommender runs.
    pub enabled: bool,
    /// Seconds between two passes over the tenants' purchase histories; a tenant whose history
    /// grew since its last fit is fitted again. Default 3600, at least 1.
    pub refit_secs: u64,
    /// Items per recommendation (1 to 100). Default 3.
    pub top_k: usize,
    /// No item the debtor bought in the last this many days unless the catalogue marks it
    /// repeatable (0 to 3650). Default 90.
    pub exclude_recent_days: u32,
    /// How often the hook runner looks for newly paid cases when idle, in milliseconds.
    /// Default 1000, at least 10.
    pub poll_ms: u64,
    /// Tenants whose debtors get no recommendations (the hook is off for them).
    pub disabled_tenants: BTreeSet<String>,
    /// A recommended SKU counts as bought (`recommendation.converted`) when an invoice of the
    /// debtor issued within this many days of the recommendation contains it (1 to 3650).
    /// Default 90.
    pub conversion_window_days: u32,
    /// Seconds between two looks for conversions in the invoices that arrived. Default 300, at
    /// least 1.
    pub conversion_scan_secs: u64,
}

impl Default for RecommendConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            refit_secs: 3600,
            top_k: 3,
            exclude_recent_days: 90,
            poll_ms: 1000,
            disabled_tenants: BTreeSet::new(),
            conversion_window_days: 90,
            conversion_scan_secs: 300,
        }
    }
}

impl RecommendConfig {
    /// The recommender's checked parameters: the model's defaults with `top_k` and
    /// `exclude_recent_days` from here.
    pub fn params(&self) -> anyhow::Result<ValidRecommenderParams> {
        RecommenderParams::new()
            .top_k(self.top_k)
            .exclude_recent_days(self.exclude_recent_days)
            .check()
            .map_err(|e| anyhow!("recommend: {e}"))
    }

    /// Whether the recommendation hook runs for `tenant`.
    pub fn enabled_for(&self, tenant: &str) -> bool {
        !self.disabled_tenants.contains(tenant)
    }

    pub(super) fn validate(&self) -> anyhow::Result<()> {
        if self.refit_secs == 0 {
            bail!("recommend.refit_secs must be at least 1");
        }
        if !(1..=3650).contains(&self.conversion_window_days) {
            bail!("recommend.conversion_window_days must be 1 to 3650, got {}", self.conversion_window_days);
        }
        if self.conversion_scan_secs == 0 {
            bail!("recommend.conversion_scan_secs must be at least 1");
        }
        if self.poll_ms < 10 {
            bail!("recommend.poll_ms must be at least 10, got {}", self.poll_ms);
        }
        self.params().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_named() {
        let bad = RecommendConfig { top_k: 0, ..RecommendConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("top_k"), "{:?}", bad.validate());
        let bad = RecommendConfig { refit_secs: 0, ..RecommendConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("recommend.refit_secs"));
        let bad = RecommendConfig { exclude_recent_days: 5000, ..RecommendConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("exclude_recent_days"));
        assert!(RecommendConfig::default().validate().is_ok());
    }

    #[test]
    fn a_tenant_can_turn_the_hook_off() {
        let config: RecommendConfig =
            toml::from_str("top_k = 2\ndisabled_tenants = [\"acme\"]").expect("parses");
        assert_eq!(config.params().unwrap().top_k(), 2);
        assert!(!config.enabled_for("acme"));
        assert!(config.enabled_for("other"));
    }
}
