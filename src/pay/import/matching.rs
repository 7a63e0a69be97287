//! Which invoices a bank line pays, decided in this order: (1) the RF creditor references it
//! carries (structured, or written into the text), (2) invoice numbers written into its text,
//! (3) its amount and payer's name against open invoices (exact open amount, same name, one
//! candidate only). Then how its amount is split over the invoices it names: in order, each gets
//! up to what is open on it, and the rest goes to the last one as credit.

use super::normalise::{name_key, named_in_order, number_candidates, Candidate};
use super::StatementLine;
use crate::deliver::reference::{key_of_reference, references_in_text};
use crate::store::bank::InvoiceCandidate;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The rule that matched a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    Reference,
    InvoiceNumber,
    AmountAndName,
}

impl MatchRule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reference => "reference",
            Self::InvoiceNumber => "invoice_number",
            Self::AmountAndName => "amount_and_name",
        }
    }
}

/// What a line names, as match keys to look up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// Keys of its valid RF references, in order.
    pub references: Vec<String>,
    /// Runs of its words that may be invoice numbers.
    pub numbers: Vec<Candidate>,
}

impl Named {
    pub fn of(line: &StatementLine) -> Self {
        let mut references = Vec::new();
        let mut other_text = Vec::new();
        for reference in &line.references {
            match key_of_reference(reference) {
                Some(key) => references.push(key),
                None => other_text.push(reference.as_str()),
            }
        }
        references.extend(references_in_text(&line.text));
        dedupe(&mut references);
        other_text.push(&line.text);
        Self { references, numbers: number_candidates(&other_text.join(" ")) }
    }
}

fn dedupe(keys: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
}

/// Looked-up invoices by match key.
pub type ByKey = HashMap<String, Vec<InvoiceCandidate>>;

/// The one invoice `key` names in the line's currency, if exactly one.
fn only<'a>(by_key: &'a ByKey, key: &str, currency: &str) -> Option<&'a InvoiceCandidate> {
    let mut found = by_key.get(key)?.iter().filter(|c| c.open.currency().code() == currency);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Rule (1): the invoices the line's RF references name, in order.
pub fn by_reference(named: &Named, by_key: &ByKey, currency: &str) -> Vec<InvoiceCandidate> {
    named.references.iter().filter_map(|key| only(by_key, key, currency)).cloned().collect()
}

/// Rule (2): the invoices whose numbers the line's text names, in order.
pub fn by_invoice_number(named: &Named, by_key: &ByKey, currency: &str) -> Vec<InvoiceCandidate> {
    named_in_order(&named.numbers, |key| only(by_key, key, currency).is_some())
        .into_iter()
        .filter_map(|key| only(by_key, key, currency))
        .cloned()
        .collect()
}

/// Rule (3): the one open invoice whose open amount (less `paid_since`, what this import paid on
/// it since the lookup) is exactly the line's amount and whose debtor has the line's name.
pub fn by_amount_and_name(
    line: &StatementLine,
    open: &[InvoiceCandidate],
    paid_since: &HashMap<String, Decimal>,
) -> Option<InvoiceCandidate> {
    let name = name_key(line.debtor_name.as_deref()?);
    if name.is_empty() {
        return None;
    }
    let mut found = open.iter().filter(|c| {
        let paid = paid_since.get(c.invoice_number.as_str()).copied().unwrap_or_default();
        c.open.currency() == line.amount.currency()
            && c.open.amount() - paid == line.amount.amount()
            && name_key(&c.debtor_name) == name
    });
    let first = found.next()?;
    found.next().is_none().then(|| first.clone())
}

/// One invoice's share of a line's amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub invoice: String,
    pub amount: Decimal,
}

/// Splits `amount` over invoices with what is open on each, in order: each gets up to its open
/// amount, the last also whatever is left. Returns the shares (none of zero) and the credit (what
/// the last one got beyond its open amount).
pub fn allocate(amount: Decimal, invoices: &[(String, Decimal)]) -> (Vec<Share>, Decimal) {
    let mut shares = Vec::new();
    let mut left = amount;
    let mut credit = Decimal::ZERO;
    for (i, (invoice, open)) in invoices.iter().enumerate() {
        let open = (*open).max(Decimal::ZERO);
        let last = i + 1 == invoices.len();
        let share = if last { left } else { left.min(open) };
        if last {
            credit = (share - open).max(Decimal::ZERO);
        }
        if share > Decimal::ZERO {
            shares.push(Share { invoice: invoice.clone(), amount: share });
        }
        left -= share;
    }
    (shares, credit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(raw: &str) -> Decimal {
        raw.parse().unwrap()
    }

    fn open(list: &[(&str, &str)]) -> Vec<(String, Decimal)> {
        list.iter().map(|(n, a)| (n.to_string(), d(a))).collect()
    }

    fn shares(list: &[(&str, &str)]) -> Vec<Share> {
        list.iter().map(|(n, a)| Share { invoice: n.to_string(), amount: d(a) }).collect()
    }

    #[test]
    fn one_invoice_takes_everything_and_a_surplus_is_credit() {
        assert_eq!(allocate(d("40"), &open(&[("A", "100")])), (shares(&[("A", "40")]), d("0")));
        assert_eq!(allocate(d("100"), &open(&[("A", "100")])), (shares(&[("A", "100")]), d("0")));
        assert_eq!(allocate(d("120"), &open(&[("A", "100")])), (shares(&[("A", "120")]), d("20")));
    }

    #[test]
    fn two_invoices_are_paid_in_order_the_rest_on_the_last() {
        let two = open(&[("A", "100"), ("B", "50")]);
        assert_eq!(allocate(d("150"), &two), (shares(&[("A", "100"), ("B", "50")]), d("0")));
        assert_eq!(allocate(d("120"), &two), (shares(&[("A", "100"), ("B", "20")]), d("0")));
        assert_eq!(allocate(d("80"), &two), (shares(&[("A", "80")]), d("0")));
        assert_eq!(allocate(d("170"), &two), (shares(&[("A", "100"), ("B", "70")]), d("20")));
        // A first invoice already paid gets nothing.
        assert_eq!(allocate(d("50"), &open(&[("A", "0"), ("B", "50")])), (shares(&[("B", "50")]), d("0")));
    }
}
