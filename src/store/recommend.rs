//! The store's narrow steps for product recommendations ([`RecommendSteps`], part of every
//! [`StoreTx`](super::StoreTx)): the tenant's catalogue, purchase history (invoice lines and
//! `invoice.issued` lines), fitted recommender snapshots, the paid-case outbox the post-payment
//! hooks work from, and what was recommended for a case. Which items a debtor sees is decided in
//! `crate::hooks`; these steps only read and write rows.

use super::StoreError;
use crate::domain::{DebtorId, TenantId};
use crate::runtime::{RecommendedItem, Subject};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use mahnwerk_models::recommend::{CatalogueItem, Day, Purchase};

/// Snapshots kept per tenant; older ones are deleted when a new one is saved.
pub const RECOMMENDER_SNAPSHOTS_KEPT: i64 = 5;

/// One line of an invoice that was issued but never dunned (`invoice.issued`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLine {
    pub tenant: TenantId,
    pub invoice_number: String,
    /// 0-based position of the line in its invoice.
    pub position: i32,
    pub debtor_id: DebtorId,
    /// `consumer` or `business` (the debtor's kind).
    pub segment: String,
    pub sku: String,
    pub issued_on: NaiveDate,
    pub quantity: i64,
    pub amount_cents: i64,
}

/// A case a payment closed, waiting for the post-payment hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidCase {
    pub subject: Subject,
    /// The debtor's kind (`consumer` or `business`): their segment for the recommender.
    pub segment: String,
    pub paid_at: DateTime<Utc>,
}

/// What the recommendation hook showed for a case.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecommendation {
    pub subject: Subject,
    pub model_version: i64,
    pub created_at: DateTime<Utc>,
    pub items: Vec<RecommendedItem>,
}

/// The newest fitted recommender of a tenant, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommenderRecord {
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub lines: i64,
    /// A `RecommenderSnapshot` as JSON.
    pub body: String,
}

/// The recommender's day number of a date: days since 1970-01-01.
pub fn day_of(date: NaiveDate) -> Day {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    (date - epoch).num_days() as Day
}

/// The narrow steps of recommendations.
#[async_trait]
pub trait RecommendSteps: Send {
    /// Writes `items` into the tenant's catalogue; an item with a SKU already there replaces it.
    async fn upsert_catalogue(
        &mut self,
        tenant: &TenantId,
        items: &[CatalogueItem],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The tenant's whole catalogue, active or not, by SKU.
    async fn catalogue(&mut self, tenant: &TenantId) -> Result<Vec<CatalogueItem>, StoreError>;

    /// The tenants that have a catalogue.
    async fn catalogue_tenants(&mut self) -> Result<Vec<TenantId>, StoreError>;

    /// The tenant's purchase history: every invoice line with a SKU (of dunned invoices and of
    /// `invoice.issued` ones not also dunned), of one debtor or (`None`) of all.
    async fn purchases(
        &mut self,
        tenant: &TenantId,
        debtor: Option<&DebtorId>,
    ) -> Result<Vec<Purchase>, StoreError>;

    /// Stores lines of issued invoices; a line already stored is left alone. Returns how many
    /// were new.
    async fn insert_issued_lines(&mut self, lines: &[IssuedLine]) -> Result<u64, StoreError>;

    /// Stores a fitted recommender and returns its version; keeps the tenant's last
    /// [`RECOMMENDER_SNAPSHOTS_KEPT`].
    async fn save_recommender(
        &mut self,
        tenant: &TenantId,
        created_at: DateTime<Utc>,
        lines: i64,
        body: &str,
    ) -> Result<i64, StoreError>;

    /// The version of the tenant's newest recommender: a cheap poll.
    async fn latest_recommender_version(&mut self, tenant: &TenantId) -> Result<Option<i64>, StoreError>;

    async fn latest_recommender(
        &mut self,
        tenant: &TenantId,
    ) -> Result<Option<RecommenderRecord>, StoreError>;

    /// Up to `limit` paid cases no hook has handled, oldest first; on PostgreSQL locked,
    /// skipping those another runner holds.
    async fn claim_paid_cases(&mut self, limit: u32) -> Result<Vec<PaidCase>, StoreError>;

    /// Marks a paid case as handled by the hooks.
    async fn finish_paid_case(&mut self, case_id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Stores what was recommended for a case; `false` (and nothing written) when the case has
    /// recommendations already.
    async fn insert_recommendation(
        &mut self,
        recommendation: &StoredRecommendation,
    ) -> Result<bool, StoreError>;

    /// What was recommended for `tenant`'s case `case_id`, if anything.
    async fn recommendation(
        &mut self,
        tenant: &TenantId,
        case_id: i64,
    ) -> Result<Option<StoredRecommendation>, StoreError>;
}
