//! How a payment is applied (§§ 366, 367 BGB): to the invoice the debtor named, else to the debt
//! due first; within an invoice to costs, then interest, then principal. A partial payment thus
//! leaves principal open, on which interest keeps running.

use super::ZERO_CENTS;
use crate::domain::InvoiceNumber;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What is open on one invoice on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItems {
    pub costs: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
}

impl Default for OpenItems {
    fn default() -> Self {
        Self { costs: ZERO_CENTS, interest: ZERO_CENTS, principal: ZERO_CENTS }
    }
}

impl OpenItems {
    pub fn total(&self) -> Decimal {
        self.costs + self.interest + self.principal
    }
}

/// The parts of a payment applied to one invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub costs: Decimal,
    pub interest: Decimal,
    pub principal: Decimal,
}

impl Default for Applied {
    fn default() -> Self {
        Self { costs: ZERO_CENTS, interest: ZERO_CENTS, principal: ZERO_CENTS }
    }
}

impl Applied {
    pub fn total(&self) -> Decimal {
        self.costs + self.interest + self.principal
    }

    pub fn add(&mut self, other: Applied) {
        self.costs += other.costs;
        self.interest += other.interest;
        self.principal += other.principal;
    }
}

/// § 367 (1) BGB: costs first, then interest, then principal; never more than is open and never
/// more than `amount`. A debtor's other order (§ 367 (2)) lets the creditor refuse the payment,
/// which is a decision for a person, not this function.
pub fn apply_367(open: &OpenItems, amount: Decimal) -> Applied {
    let mut left = amount.max(ZERO_CENTS);
    let mut take = |open: Decimal| {
        let part = open.max(ZERO_CENTS).min(left);
        left -= part;
        part
    };
    let costs = take(open.costs);
    let interest = take(open.interest);
    let principal = take(open.principal);
    Applied { costs, interest, principal }
}

/// Why a payment went to an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationRule {
    /// § 366 (1): the debtor named the invoice.
    Stated,
    /// § 366 (2): no invoice named, or more paid than the named one owed.
    DueFirst,
}

impl AllocationRule {
    /// The name stored and shown: `stated`, `due_first`.
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationRule::Stated => "stated",
            AllocationRule::DueFirst => "due_first",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [AllocationRule::Stated, AllocationRule::DueFirst].into_iter().find(|rule| rule.as_str() == raw)
    }
}

/// The part of one payment applied to one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub invoice: InvoiceNumber,
    pub rule: AllocationRule,
    pub applied: Applied,
}

/// One payment and where every cent of it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentApplication {
    pub received_on: NaiveDate,
    pub amount: Decimal,
    pub for_invoice: Option<InvoiceNumber>,
    /// A credit note, applied to principal only.
    #[serde(default)]
    pub reduces_principal: bool,
    pub allocations: Vec<Allocation>,
    /// What was paid beyond everything owed that day: to be refunded or credited, not a debt.
    pub unapplied: Decimal,
}

/// What § 366 (2) looks at to pick among a debtor's invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub due_on: NaiveDate,
    /// The debtor named this invoice (§ 366 (1)).
    pub stated: bool,
    /// In default on the day paid, so bearing default interest: more burdensome for the debtor.
    pub in_default: bool,
}

/// The order in which a payment made on `paid_on` fills the candidates: the named invoice
/// first; then § 366 (2): debts due before those not yet due, among them the more burdensome (in
/// default) first, then the older (due first). Security for the creditor, the statute's second
/// criterion, is not known to the engine and taken as equal. Where the statute would split
/// between equally old debts in proportion, the invoice listed first is paid first.
pub fn order_366(paid_on: NaiveDate, candidates: &[Candidate]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| {
        let c = candidates[i];
        (!c.stated, c.due_on > paid_on, !c.in_default, c.due_on, i)
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn costs_then_interest_then_principal() {
        let open = OpenItems { costs: dec("42.50"), interest: dec("10.00"), principal: dec("1000.00") };
        let a = apply_367(&open, dec("100.00"));
        assert_eq!((a.costs, a.interest, a.principal), (dec("42.50"), dec("10.00"), dec("47.50")));
        let a = apply_367(&open, dec("20.00"));
        assert_eq!((a.costs, a.interest, a.principal), (dec("20.00"), dec("0"), dec("0")));
        let a = apply_367(&open, dec("2000.00"));
        assert_eq!(a.total(), open.total());
    }

    #[test]
    fn order_named_then_due_then_in_default_then_oldest() {
        let paid = day(2025, 6, 1);
        let c = |due_on, stated, in_default| Candidate { due_on, stated, in_default };
        let candidates = [
            c(day(2025, 7, 1), false, false), // not yet due
            c(day(2025, 3, 1), false, false), // due, oldest, not in default
            c(day(2025, 4, 1), false, true),  // due, in default
            c(day(2025, 2, 1), false, true),  // due, in default, older
            c(day(2025, 5, 1), true, true),   // named
        ];
        assert_eq!(order_366(paid, &candidates), vec![4, 3, 2, 1, 0]);
    }
}
