//! mahnwerk: an omnichannel dunning worker.
//!
//! # Layout
//! One module per stage of an invoice's path, in the order the data travels:
//! - [`domain`]: pure types (parsed values, invoices, the case state machine, dunning plans).
pub mod domain;
pub mod store;

/// How long after a reminder a payment still counts as its success (the bandit's reward window).
pub const ATTRIBUTION_WINDOW_SECS: u64 = 72 * 3600;
