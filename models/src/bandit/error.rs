//! What can go wrong at the bandit's boundary, each variant naming the field or value at fault.

use super::DecisionId;

/// Why the bandit refused a call. Nothing here is a panic: a bad request, an unknown decision id or
/// a snapshot from another format version is an answer the caller can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BanditError {
    /// A hyper-parameter is out of its documented range (see [`BanditParams`](super::BanditParams)).
    #[error("invalid bandit parameter `{name}`: {reason}")]
    InvalidParam { name: &'static str, reason: String },
    /// A decision request is malformed: no channels, an hour above 23, a duplicate arm, a bad cost.
    #[error("invalid request: `{field}` {reason}")]
    InvalidRequest { field: &'static str, reason: String },
    /// An outcome for a decision this bandit does not hold: never made, already settled, or expired.
    #[error("unknown decision {0} (never made here, already settled, or expired)")]
    UnknownDecision(DecisionId),
    /// A reward that is not a finite number in `[0, 1]`.
    #[error("invalid reward {0}: must be a finite number between 0 and 1")]
    InvalidReward(f64),
    /// A snapshot written by a format this build does not read; `supported` is the newest it reads.
    #[error("snapshot version {found} is not supported (this build reads versions 1 to {supported})")]
    SnapshotVersion { found: u32, supported: u32 },
    /// A snapshot of the right version whose content is inconsistent (a slot out of range, ...).
    #[error("invalid snapshot: {0}")]
    InvalidSnapshot(String),
    /// The warm start could not be fitted or does not fit these parameters.
    #[error("warm start: {0}")]
    Prior(String),
}

impl BanditError {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        BanditError::InvalidParam { name, reason: reason.into() }
    }

    pub(crate) fn request(field: &'static str, reason: impl Into<String>) -> Self {
        BanditError::InvalidRequest { field, reason: reason.into() }
    }
}
