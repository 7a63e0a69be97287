//! What can go wrong at the recommender's boundary, each variant naming the value at fault.

/// Why the recommender refused a call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecommendError {
    /// A hyper-parameter is out of its documented range (see
    /// [`RecommenderParams`](super::RecommenderParams)).
    #[error("invalid recommender parameter `{name}`: {reason}")]
    InvalidParam { name: &'static str, reason: String },
    /// Two catalogue items share a SKU.
    #[error("catalogue: SKU {0:?} appears twice")]
    DuplicateSku(String),
    /// A snapshot written by a format this build does not read.
    #[error("recommender snapshot version {found} is not supported (this build reads version {supported})")]
    SnapshotVersion { found: u32, supported: u32 },
    /// A snapshot of the right version whose content is inconsistent (an id out of range, ...).
    #[error("invalid recommender snapshot: {0}")]
    InvalidSnapshot(String),
}

impl RecommendError {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        RecommendError::InvalidParam { name, reason: reason.into() }
    }
}
