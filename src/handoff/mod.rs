//! The hand-off of escalated cases to whoever collects next (a collection agency, a lawyer, the
//! court dunning procedure): each escalated case's claim statement (Forderungsaufstellung), fixed
//! when it escalated ([`crate::domain::legal::ClaimStatement`], stored by the scheduler), exported
//! as JSON, as CSV (one row per case, the sums) or as a PDF per case in the letters' layout.
//!
//! - [`words`]: the statement's fixed words (German and English).
//! - [`pdf`]: one statement as a PDF.
//! - [`export`]: reading the statements and writing them out (`mahnwerk cases export`).

pub mod export;
pub mod pdf;
pub mod words;

pub use export::{export_escalated, ExportFormat, ExportOptions, ExportSummary};
