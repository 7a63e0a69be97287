//! What an import did, in counts: how lines matched, how payments came out, what was skipped.

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// The counts of one import. A line can be partial, overpaid or split besides how it matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Credit lines read (debits not included).
    pub lines: u64,
    pub matched_by_reference: u64,
    pub matched_by_invoice_number: u64,
    pub matched_by_amount_and_name: u64,
    /// Lines that left an invoice partly open.
    pub partial: u64,
    /// Lines that paid more than was open: the surplus is credit.
    pub overpaid: u64,
    /// Lines split over several invoices.
    pub split: u64,
    /// Lines kept for review (`mahnwerk payments unmatched`).
    pub unmatched: u64,
    /// Lines imported before (by their key): nothing done.
    pub duplicates_skipped: u64,
    pub debits_skipped: u64,
    /// Payments recorded (one per invoice a line paid).
    pub payments_recorded: u64,
    /// Surplus recorded as credit, summed over currencies.
    #[serde(with = "rust_decimal::serde::str")]
    pub credit: Decimal,
    /// Why the import stopped early; the lines before it are imported.
    pub failed: Option<String>,
}

impl ImportReport {
    /// Adds a chunk's counts (not `failed`).
    pub fn add(&mut self, chunk: &ImportReport) {
        self.lines += chunk.lines;
        self.matched_by_reference += chunk.matched_by_reference;
        self.matched_by_invoice_number += chunk.matched_by_invoice_number;
        self.matched_by_amount_and_name += chunk.matched_by_amount_and_name;
        self.partial += chunk.partial;
        self.overpaid += chunk.overpaid;
        self.split += chunk.split;
        self.unmatched += chunk.unmatched;
        self.duplicates_skipped += chunk.duplicates_skipped;
        self.debits_skipped += chunk.debits_skipped;
        self.payments_recorded += chunk.payments_recorded;
        self.credit += chunk.credit;
    }

    pub fn matched(&self) -> u64 {
        self.matched_by_reference + self.matched_by_invoice_number + self.matched_by_amount_and_name
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} credit lines read, {} debits skipped", self.lines, self.debits_skipped)?;
        writeln!(f, "  matched by reference:       {}", self.matched_by_reference)?;
        writeln!(f, "  matched by invoice number:  {}", self.matched_by_invoice_number)?;
        writeln!(f, "  matched by amount and name: {}", self.matched_by_amount_and_name)?;
        writeln!(f, "  partial payments:           {}", self.partial)?;
        writeln!(f, "  overpaid (credit {}):      {}", self.credit, self.overpaid)?;
        writeln!(f, "  split over invoices:        {}", self.split)?;
        writeln!(f, "  unmatched, kept for review: {}", self.unmatched)?;
        writeln!(f, "  duplicates skipped:         {}", self.duplicates_skipped)?;
        write!(f, "  payments recorded:          {}", self.payments_recorded)?;
        if let Some(failed) = &self.failed {
            write!(f, "\nstopped: {failed} (the lines before it are imported)")?;
        }
        Ok(())
    }
}
