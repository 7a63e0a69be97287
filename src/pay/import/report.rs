//! What an import did, in counts: how lines matched, how payments came out, what was skipped;
//! and the lines that named no invoice and were applied under § 366 (2) BGB, by name.

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// Lines applied under § 366 (2) listed in a report at most: memory stays bounded however many.
pub const LISTED: usize = 1000;

/// A line that named no invoice, applied to its debtor's open invoices under § 366 (2) BGB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnnamedApplied {
    /// The bank line's key (its payments' references start with it).
    pub line_key: String,
    /// The debtor the payer's IBAN belongs to.
    pub debtor: String,
    /// The invoices it paid, in the order § 366 (2) filled them.
    pub paid: Vec<InvoicePart>,
    /// What exceeded everything the debtor owed: kept for review as line `<key>/rest`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rest: Decimal,
}

/// The part of a line one invoice took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoicePart {
    pub invoice: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

impl fmt::Display for UnnamedApplied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.paid.iter().map(|p| format!("{} {}", p.invoice, p.amount)).collect();
        write!(f, "{} (debtor {}): {}", self.line_key, self.debtor, parts.join(", "))?;
        if self.rest > Decimal::ZERO {
            write!(f, "; rest {} kept for review", self.rest)?;
        }
        Ok(())
    }
}

/// The counts of one import. A line can be partial, overpaid or split besides how it matched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Credit lines read (debits not included).
    pub lines: u64,
    pub matched_by_reference: u64,
    pub matched_by_invoice_number: u64,
    pub matched_by_amount_and_name: u64,
    /// Lines that named no invoice, from a payer whose IBAN is one debtor's: applied to that
    /// debtor's open invoices in the order of § 366 (2) BGB (not counted as partial, overpaid or
    /// split; their rest, if any, is a line of its own in the review list).
    pub applied_by_366_2: u64,
    /// Those lines, each with the invoices it paid and its rest (the first [`LISTED`]).
    pub applied_by_366_2_lines: Vec<UnnamedApplied>,
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
        self.applied_by_366_2 += chunk.applied_by_366_2;
        let room = LISTED.saturating_sub(self.applied_by_366_2_lines.len());
        self.applied_by_366_2_lines.extend(chunk.applied_by_366_2_lines.iter().take(room).cloned());
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
        self.matched_by_reference
            + self.matched_by_invoice_number
            + self.matched_by_amount_and_name
            + self.applied_by_366_2
    }

    /// Counts a line applied under § 366 (2) and lists it while the list has room.
    pub fn add_unnamed(&mut self, applied: UnnamedApplied) {
        self.applied_by_366_2 += 1;
        if self.applied_by_366_2_lines.len() < LISTED {
            self.applied_by_366_2_lines.push(applied);
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} credit lines read, {} debits skipped", self.lines, self.debits_skipped)?;
        writeln!(f, "  matched by reference:       {}", self.matched_by_reference)?;
        writeln!(f, "  matched by invoice number:  {}", self.matched_by_invoice_number)?;
        writeln!(f, "  matched by amount and name: {}", self.matched_by_amount_and_name)?;
        writeln!(f, "  applied by § 366 (2):       {}", self.applied_by_366_2)?;
        for line in &self.applied_by_366_2_lines {
            writeln!(f, "    {line}")?;
        }
        if self.applied_by_366_2 > self.applied_by_366_2_lines.len() as u64 {
            writeln!(
                f,
                "    … and {} more",
                self.applied_by_366_2 - self.applied_by_366_2_lines.len() as u64
            )?;
        }
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
