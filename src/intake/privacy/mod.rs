//! A debtor's personal data as the creditor's processor keeps it: everything stored about one
//! debtor for the right of access (Art. 15 GDPR, [`export`]), and the anonymisation behind the
//! right to erasure (Art. 17 GDPR, [`erase`]) that keeps the figures the creditor's bookkeeping
//! must retain (§ 147 AO: invoice numbers, amounts, dates, payments, fees, interest).
//!
//! The stop of dunning that goes with an erasure is the schedule's rule
//! (`crate::schedule::erase`); this module only reads and overwrites the data.

pub mod erase;
pub mod export;

pub use erase::{anonymise_debtor, Anonymised, ERASED};
pub use export::{debtor_export, CaseData, DebtorExport, MarketingConsentEntry, EXPORT_SCHEMA};
