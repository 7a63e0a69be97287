//! The store's narrow steps for conversions ([`ConversionSteps`], part of every
//! [`StoreTx`](super::StoreTx)): later purchases of recommended SKUs, the conversions recorded,
//! and what the report of click-through and conversion per model version reads. Which purchase
//! counts as a conversion is decided in `crate::hooks::conversions`.

use super::StoreError;
use crate::runtime::Subject;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// A recommended item and a later invoice line of the same debtor with its SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionCandidate {
    /// The paid case the item was recommended for.
    pub subject: Subject,
    pub sku: String,
    pub model_version: i64,
    pub recommended_at: DateTime<Utc>,
    /// The invoice the SKU appears in (a dunned one or an `invoice.issued` one).
    pub invoice: String,
    pub issued_on: NaiveDate,
}

/// One recommended item with what became of it, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendedOutcome {
    pub tenant: String,
    pub model_version: i64,
    pub case_id: i64,
    pub sku: String,
    pub converted: bool,
}

/// One recorded click, for the report (read from the event log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedClick {
    pub tenant: String,
    pub case_id: i64,
    /// The `recommendation.clicked` body, as stored.
    pub body: String,
}

/// The narrow steps of conversions.
#[async_trait]
pub trait ConversionSteps: Send {
    /// Every recommended item recommended at or after `since` that has no conversion yet, with
    /// each line of another invoice of the same debtor carrying its SKU; by case, SKU, then the
    /// line's issue date and invoice.
    async fn conversion_candidates(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ConversionCandidate>, StoreError>;

    /// Records the conversion of the case's recommended `sku` in `invoice`; `false` (and
    /// nothing written) when it was recorded before.
    async fn insert_conversion(
        &mut self,
        case_id: i64,
        sku: &str,
        invoice: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Every recommended item, with whether it converted.
    async fn recommended_outcomes(&mut self) -> Result<Vec<RecommendedOutcome>, StoreError>;

    /// Every `recommendation.clicked` event in the log.
    async fn recorded_clicks(&mut self) -> Result<Vec<RecordedClick>, StoreError>;
}
