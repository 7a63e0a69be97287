//! What the engine is given: one debtor's invoices with their reminders and collection costs,
//! and the payments received, as plain data a caller builds from a case and its events.

use super::{InDefault, LegalError};
use crate::domain::{Currency, DebtorKind, InvoiceNumber};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;

/// One debtor's claims against one creditor: the unit payments are applied over (§ 366 BGB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub debtor: DebtorKind,
    #[serde(deserialize_with = "currency_from_code")]
    pub currency: Currency,
    pub claims: Vec<Claim>,
    pub payments: Vec<Payment>,
}

/// One invoice and what happened to it that the law looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub invoice: InvoiceNumber,
    /// The invoice's amount, in cents.
    pub principal: Decimal,
    /// The last day to pay; also the day the claim arose, for limitation.
    pub due_on: NaiveDate,
    /// See [`DefaultFacts::due_by_calendar`].
    pub due_by_calendar: bool,
    pub invoice_received_on: Option<NaiveDate>,
    /// See [`DefaultFacts::invoice_states_30_day_rule`].
    pub invoice_states_30_day_rule: bool,
    pub reminders: Vec<Reminder>,
    pub collection_costs: Vec<CollectionCost>,
    /// A default the creditor has fixed already (stored on the case): taken as it is instead
    /// of computing one from the facts above, so the figures agree with what was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_default: Option<InDefault>,
}

/// A reminder sent for a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// The stage of the dunning plan, for the letter's fee lines.
    pub stage: u32,
    pub sent_on: NaiveDate,
    /// When it reached the debtor: the day sent for email and SMS, later for a letter (the
    /// caller decides; the engine does not guess postal times).
    pub received_on: NaiveDate,
    /// What the reminder cost the creditor (print, postage), in cents; capped when charged.
    pub actual_cost: Decimal,
}

/// A cost of collection the creditor incurred after default (collection agency, court fees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionCost {
    pub on: NaiveDate,
    pub label: String,
    pub amount: Decimal,
}

/// Money received from the debtor, or a credit the creditor granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub received_on: NaiveDate,
    pub amount: Decimal,
    /// The invoice the debtor named (§ 366 (1) BGB), if any.
    pub for_invoice: Option<InvoiceNumber>,
    /// A credit note: the claim itself is smaller, so it lowers the principal only (§ 367 BGB
    /// orders what a debtor pays, not what the creditor forgoes). Interest up to its day ran on
    /// the principal before it.
    #[serde(default)]
    pub reduces_principal: bool,
}

/// Refuses what the engine cannot compute honestly; each error names the field.
pub(super) fn validate(account: &Account) -> Result<(), LegalError> {
    let cents = |field: String, amount: Decimal| {
        if amount < Decimal::ZERO || amount.normalize().scale() > 2 {
            Err(LegalError::Amount { field, amount })
        } else {
            Ok(())
        }
    };
    let mut seen = HashSet::new();
    for (i, c) in account.claims.iter().enumerate() {
        if !seen.insert(&c.invoice) {
            return Err(LegalError::DuplicateInvoice { invoice: c.invoice.to_string() });
        }
        cents(format!("claims[{i}].principal"), c.principal)?;
        for (j, r) in c.reminders.iter().enumerate() {
            cents(format!("claims[{i}].reminders[{j}].actual_cost"), r.actual_cost)?;
            if r.received_on < r.sent_on {
                return Err(LegalError::ReminderReceivedBeforeSent {
                    invoice: c.invoice.to_string(),
                    sent_on: r.sent_on,
                    received_on: r.received_on,
                });
            }
        }
        for (j, k) in c.collection_costs.iter().enumerate() {
            cents(format!("claims[{i}].collection_costs[{j}].amount"), k.amount)?;
        }
    }
    for (i, p) in account.payments.iter().enumerate() {
        cents(format!("payments[{i}].amount"), p.amount)?;
        if let Some(invoice) = &p.for_invoice {
            if !seen.contains(invoice) {
                return Err(LegalError::UnknownInvoice {
                    invoice: invoice.to_string(),
                    received_on: p.received_on,
                });
            }
        }
    }
    Ok(())
}

/// `Currency`'s own `Deserialize` holds only for `'static` input (its code is a `&'static str`),
/// which would make every type holding it unreadable from a borrowed buffer.
pub(super) fn currency_from_code<'de, D: Deserializer<'de>>(raw: D) -> Result<Currency, D::Error> {
    let code = String::deserialize(raw)?;
    Currency::parse(&code).map_err(serde::de::Error::custom)
}
