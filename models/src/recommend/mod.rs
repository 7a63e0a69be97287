//! Product recommendations after a payment: item-to-item co-purchases, the debtor's own history
//! and popularity in the debtor's segment, fitted in batch from invoice lines.
//!
//! # The model
//! - **Co-purchases.** Each debtor is a vector over SKUs: every invoice line adds
//!   `2^(-age / similarity_half_life_days)` to its SKU, so old baskets fade. Two SKUs are
//!   similar by the cosine of their columns across debtors (or an asymmetric cosine, see
//!   [`asymmetry`](RecommenderParams::asymmetry)); each SKU keeps its
//!   [`neighbours`](RecommenderParams::neighbours) most similar SKUs.
//! - **The debtor.** A request scores each SKU by its similarity to the debtor's recent SKUs,
//!   each weighted by how recently it was bought (`recency_half_life_days`), plus a
//!   "buy again" term for the debtor's own repeatable SKUs, plus
//!   [`popularity_weight`](RecommenderParams::popularity_weight) times the SKU's recent
//!   popularity in the debtor's segment (global popularity for a segment never seen).
//! - **Rules.** Only active catalogue items; never one the debtor bought in the last
//!   `exclude_recent_days` unless the catalogue marks it repeatable; at most
//!   `max_bought_before` of the debtor's own items. A new debtor gets the segment's most
//!   popular items; a short list is filled up with them, then with everyone's.
//! - **Reasons.** Each recommendation names its largest score term as a [`Reason`].
//!
//! [`CoPurchases`] holds the counts and takes new lines at any time; [`CoPurchases::recommender`]
//! (or [`Recommender::fit`] for one batch) derives the served [`Recommender`], whose
//! [`RecommenderSnapshot`] is versioned.
//!
//! # Layout
//! `history` (purchases, a debtor's history) · `catalogue` · `params` · `intern` (SKU and debtor
//! ids) · `co_purchases` (the counts) · `neighbours` (similarities from the counts) ·
//! `recommender` (scoring a request) · `reason` · `snapshot` · `error` · `tests` (the rules).

mod catalogue;
mod co_purchases;
mod error;
mod history;
mod intern;
mod neighbours;
mod params;
mod reason;
mod recommender;
mod snapshot;
#[cfg(test)]
mod tests;

pub use catalogue::{Catalogue, CatalogueItem};
pub use co_purchases::CoPurchases;
pub use error::RecommendError;
pub use history::{Bought, Day, DebtorHistory, Purchase};
pub use params::{RecommenderParams, ValidRecommenderParams};
pub use reason::{Reason, Recommendation};
pub use recommender::{FitMeta, PopularityScope, Recommender};
pub use snapshot::{RecommenderSnapshot, SNAPSHOT_VERSION};
