//! Purchases as the recommender sees them: who bought which SKU on which day. Tenant-agnostic:
//! the caller fits one recommender per tenant.

use serde::{Deserialize, Serialize};

/// A calendar day as a whole number of days since an epoch the caller chooses (for example
/// days since 1970-01-01). Only differences between days matter.
pub type Day = i32;

/// One invoice line of one debtor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// The tenant's own debtor key (e.g. `C-1001`); never shown.
    pub debtor: String,
    /// The debtor's segment, e.g. `business` or `consumer` (the intake message's `debtor.kind`).
    pub segment: String,
    pub sku: String,
    pub day: Day,
    pub quantity: u32,
    /// The line's amount in cents. Kept for the caller; the model counts lines, not money, so
    /// that a large business order does not outweigh many consumers.
    pub amount_cents: i64,
}

/// One SKU a debtor bought on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bought {
    pub sku: String,
    pub day: Day,
}

/// What a request knows about one debtor: their segment and what they bought.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DebtorHistory {
    pub segment: String,
    pub bought: Vec<Bought>,
}

impl DebtorHistory {
    /// A debtor with no purchases yet (a new debtor).
    pub fn new(segment: impl Into<String>) -> Self {
        DebtorHistory { segment: segment.into(), bought: Vec::new() }
    }

    /// The purchases of `debtor` among `lines`, with the segment of their latest line; `None`
    /// when `debtor` bought nothing there.
    pub fn of(debtor: &str, lines: &[Purchase]) -> Option<Self> {
        let mine: Vec<&Purchase> = lines.iter().filter(|p| p.debtor == debtor).collect();
        let latest = mine.iter().max_by_key(|p| p.day)?;
        Some(DebtorHistory {
            segment: latest.segment.clone(),
            bought: mine.iter().map(|p| Bought { sku: p.sku.clone(), day: p.day }).collect(),
        })
    }
}
