//! One dunning case as the legal engine sees it: the invoice, the reminders that went out for
//! it and the payments received, as the store keeps them. [`CaseClaim::owed`] turns it into the
//! [`Breakdown`] that the pay-page, every reminder and the escalation print, so they all show
//! the same figures from the same function.
//!
//! Every payment mahnwerk records is recorded on one invoice, so a case is one claim with a stated
//! purpose (§ 366 (1) BGB). A bank line that names no invoice is first split over the debtor's
//! open cases in the order of § 366 (2) (`unnamed_payment`), and each part recorded on its case.

use super::{
    breakdown, Account, Breakdown, Claim, Germany, InDefault, Jurisdiction, LegalError, NoStatute, Payment,
    PaymentApplication, Reminder,
};
use crate::domain::{ChannelKind, Currency, DebtorKind, InvoiceNumber};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Days a posted letter takes to reach the debtor, for the start of default: the presumption
/// German procedural law makes for posted notices (§ 122 (2) Nr. 1 AO, four days since 2025).
/// Electronic reminders reach the debtor the day they are sent.
pub const LETTER_DELIVERY_DAYS: u64 = 4;

/// A reminder that went out for the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentReminder {
    /// The plan's stage, counted from 0 as stored.
    pub stage: u32,
    pub channel: ChannelKind,
    pub sent_on: NaiveDate,
    /// What the plan's stage charges for it (the creditor's cost); the law caps it.
    pub fee: Decimal,
}

impl SentReminder {
    /// When it reached the debtor.
    pub fn received_on(&self) -> NaiveDate {
        let days = if self.channel == ChannelKind::Letter { LETTER_DELIVERY_DAYS } else { 0 };
        self.sent_on.checked_add_days(Days::new(days)).unwrap_or(self.sent_on)
    }
}

/// Money received for the case, or a credit the creditor granted on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedPayment {
    pub received_on: NaiveDate,
    pub amount: Decimal,
    /// A credit note of the creditor (source `credit`): it makes the claim smaller and so
    /// lowers the principal, instead of paying costs and interest first as money does.
    #[serde(default)]
    pub reduces_principal: bool,
}

/// Everything the law looks at in one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClaim {
    pub invoice: InvoiceNumber,
    pub debtor: DebtorKind,
    pub currency: Currency,
    /// The invoice's amount.
    pub principal: Decimal,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// The invoice set its due date by the calendar (§ 286 (2) Nr. 1 BGB).
    pub due_by_calendar: bool,
    /// The invoice pointed out the 30-day rule of § 286 (3) BGB (needed for consumers).
    pub states_30_day_rule: bool,
    pub reminders: Vec<SentReminder>,
    pub payments: Vec<ReceivedPayment>,
    /// The default date the case stores, once fixed (see `stored_default`): the engine takes it
    /// instead of computing one, so what is shown is what the case holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_on: Option<InDefault>,
}

impl CaseClaim {
    /// The case as the engine's input. The invoice is taken as received on its issue day: the
    /// intake has no later date to offer, and a later one would only move default later.
    pub fn account(&self) -> Account {
        let reminders = self
            .reminders
            .iter()
            .map(|r| Reminder {
                stage: r.stage + 1,
                sent_on: r.sent_on,
                received_on: r.received_on(),
                actual_cost: r.fee.round_dp(2),
            })
            .collect();
        Account {
            debtor: self.debtor,
            currency: self.currency,
            claims: vec![Claim {
                invoice: self.invoice.clone(),
                principal: self.principal.round_dp(2),
                due_on: self.due_on,
                due_by_calendar: self.due_by_calendar,
                invoice_received_on: Some(self.issued_on),
                invoice_states_30_day_rule: self.states_30_day_rule,
                reminders,
                collection_costs: Vec::new(),
                fixed_default: self.default_on,
            }],
            payments: self
                .payments
                .iter()
                .map(|p| Payment {
                    received_on: p.received_on,
                    amount: p.amount.round_dp(2),
                    for_invoice: Some(self.invoice.clone()),
                    reduces_principal: p.reduces_principal,
                })
                .collect(),
        }
    }

    /// What the case owes on `as_of` under the creditor's law; invoices in a currency that law is
    /// not written for are owed under [`NoStatute`] (no statutory interest or flat fee).
    pub fn owed(&self, law: &Germany, as_of: NaiveDate) -> Result<Breakdown, LegalError> {
        let account = self.account();
        if law.check_currency(self.currency).is_ok() {
            breakdown(law, &account, as_of)
        } else {
            breakdown(&NoStatute, &account, as_of)
        }
    }

    /// How `payment`, received after the case's payments so far, is applied (§§ 366, 367 BGB):
    /// the engine's breakdown on the day it was received, of which it is the last payment.
    pub fn allocation_of(
        &self,
        law: &Germany,
        payment: ReceivedPayment,
    ) -> Result<PaymentApplication, LegalError> {
        let day = payment.received_on;
        let mut claim = self.clone();
        // Payments received later than this one are not in the breakdown of its day; same-day
        // ones come before it, as they were recorded first.
        claim.payments.push(payment);
        let owed = claim.owed(law, day)?;
        owed.payments.last().cloned().ok_or(LegalError::PaymentNotApplied { received_on: day })
    }
}

/// The sums of a claim statement, as `case.escalated` carries them: what the collection
/// agency or the court is handed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementTotals {
    /// The day the figures are for.
    pub as_of: NaiveDate,
    /// The law they were computed under (`DE`, or `none`).
    pub jurisdiction: String,
    pub principal: Decimal,
    pub fees: Decimal,
    pub interest: Decimal,
    pub paid: Decimal,
    pub total: Decimal,
    /// The first day of default, if the debtor is in default.
    pub in_default_from: Option<NaiveDate>,
    /// The last day before the claim becomes time-barred.
    pub limitation_last_day: Option<NaiveDate>,
}

impl StatementTotals {
    pub fn of(breakdown: &Breakdown) -> Self {
        let t = &breakdown.totals;
        let claim = breakdown.claims.first();
        Self {
            as_of: breakdown.as_of,
            jurisdiction: breakdown.jurisdiction.clone(),
            principal: t.principal,
            fees: t.fees,
            interest: t.interest,
            paid: t.paid.total(),
            total: t.total,
            in_default_from: claim.and_then(|c| c.in_default).map(|d| d.from),
            limitation_last_day: claim.map(|c| c.limitation.last_day),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::legal::AllocationRule;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn claim(currency: &str) -> CaseClaim {
        CaseClaim {
            invoice: InvoiceNumber::parse("R-1").unwrap(),
            debtor: DebtorKind::Consumer,
            currency: Currency::parse(currency).unwrap(),
            principal: Decimal::new(100_000, 2),
            issued_on: day(2025, 1, 1),
            due_on: day(2025, 1, 31),
            due_by_calendar: false,
            states_30_day_rule: false,
            reminders: vec![
                SentReminder {
                    stage: 0,
                    channel: ChannelKind::Email,
                    sent_on: day(2025, 2, 3),
                    fee: Decimal::ZERO,
                },
                SentReminder {
                    stage: 1,
                    channel: ChannelKind::Letter,
                    sent_on: day(2025, 2, 10),
                    fee: Decimal::new(500, 2),
                },
            ],
            payments: vec![ReceivedPayment {
                received_on: day(2025, 3, 1),
                amount: Decimal::new(20_000, 2),
                reduces_principal: false,
            }],
            default_on: None,
        }
    }

    #[test]
    fn a_consumer_case_in_default_from_the_first_reminder() {
        let owed = claim("EUR").owed(&Germany::default(), day(2025, 4, 1)).unwrap();
        let c = &owed.claims[0];
        // The email of 3 Feb put the debtor in default from 4 Feb (§ 286 (1) BGB).
        assert_eq!(c.in_default.unwrap().from, day(2025, 2, 4));
        // The letter's 5.00 is capped at 2.50; the email that put the debtor in default earns nothing.
        assert_eq!(owed.totals.fees, Decimal::new(250, 2));
        // 4 Feb .. 28 Feb on 1,000 at 7.27 %, then 1 Mar .. 31 Mar on what the payment left.
        assert!(owed.totals.interest > Decimal::ZERO);
        assert_eq!(owed.totals.paid.total(), Decimal::new(20_000, 2));
        assert_eq!(
            owed.totals.total,
            owed.totals.principal + owed.totals.fees + owed.totals.interest - owed.totals.paid.total()
        );
        let totals = StatementTotals::of(&owed);
        assert_eq!(
            (totals.in_default_from, totals.limitation_last_day),
            (Some(day(2025, 2, 4)), Some(day(2028, 12, 31)))
        );
        assert_eq!(totals.total, owed.totals.total);
    }

    #[test]
    fn a_partial_payment_is_allocated_to_costs_then_interest_then_principal() {
        // 1,000.00 EUR payable by the calendar date 28 February 2025 (default from 1 March), a
        // reminder emailed 10 March in default (its 2.50 owed), 300.00 paid on 1 April.
        let claim = CaseClaim {
            due_by_calendar: true,
            due_on: day(2025, 2, 28),
            reminders: vec![SentReminder {
                stage: 0,
                channel: ChannelKind::Email,
                sent_on: day(2025, 3, 10),
                fee: Decimal::new(250, 2),
            }],
            payments: vec![],
            ..claim("EUR")
        };
        let payment = ReceivedPayment {
            received_on: day(2025, 4, 1),
            amount: Decimal::new(30_000, 2),
            reduces_principal: false,
        };
        let applied = claim.allocation_of(&Germany::default(), payment).unwrap();
        assert_eq!(applied.allocations.len(), 1);
        let a = &applied.allocations[0];
        // costs 2.50; interest 1 to 31 March, 1000 x (2.27 + 5) % x 31 / 365 = 6.1745 -> 6.17;
        // principal 300.00 - 2.50 - 6.17 = 291.33.
        assert_eq!(
            (a.invoice.as_str(), a.rule, a.applied.costs, a.applied.interest, a.applied.principal),
            (
                "R-1",
                AllocationRule::Stated,
                Decimal::new(250, 2),
                Decimal::new(617, 2),
                Decimal::new(29_133, 2)
            )
        );
        assert_eq!(applied.unapplied, Decimal::ZERO);
        // A second payment on the same day comes after the first: interest is settled, 708.67 open.
        let first = ReceivedPayment {
            received_on: day(2025, 4, 1),
            amount: Decimal::new(30_000, 2),
            reduces_principal: false,
        };
        let then = CaseClaim { payments: vec![first.clone()], ..claim };
        let second = then.allocation_of(&Germany::default(), first).unwrap();
        let b = &second.allocations[0].applied;
        assert_eq!(
            (b.costs, b.interest, b.principal),
            (Decimal::ZERO, Decimal::ZERO, Decimal::new(30_000, 2))
        );
    }

    #[test]
    fn a_letter_reaches_the_debtor_days_after_it_is_posted() {
        let c = claim("EUR");
        assert_eq!(c.reminders[0].received_on(), day(2025, 2, 3));
        assert_eq!(c.reminders[1].received_on(), day(2025, 2, 14));
    }

    #[test]
    fn another_currency_owes_no_statutory_interest() {
        let owed = claim("CHF").owed(&Germany::default(), day(2025, 4, 1)).unwrap();
        assert_eq!(owed.totals.interest, Decimal::ZERO);
        assert_eq!(owed.totals.fees, Decimal::new(500, 2));
        assert_eq!(owed.totals.total, Decimal::new(80_500, 2));
    }
}
