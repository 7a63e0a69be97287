//! A payment naming no invoice over three open cases of one consumer, checked by hand.
//!
//! Paid on 10 November 2026. RE-A: 300.00, payable by the calendar date 31 October (default
//! from 1 November, § 286 (2) Nr. 1). RE-B: 200.00, due 15 October, no calendar date, no
//! reminder: due, not in default. RE-C: 500.00, due 1 December: not yet due. § 366 (2): the due
//! debts first, among them the more burdensome (RE-A bears default interest), then RE-B; RE-C
//! last. Interest on RE-A, 1 - 9 November, 9 days at 1.27 + 5 = 6.27 % (the base rate of
//! 1 January 2026, continued past the table's end): 300 x 6.27 % x 9 / 365 = 0.4638 -> 0.46.

use super::*;
use crate::domain::legal::AllocationRule;
use crate::domain::{DebtorKind, InvoiceNumber};
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn dec(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn claim(number: &str, principal: &str, due_on: NaiveDate, due_by_calendar: bool) -> CaseClaim {
    CaseClaim {
        invoice: InvoiceNumber::parse(number).unwrap(),
        debtor: DebtorKind::Consumer,
        currency: eur(),
        principal: dec(principal),
        issued_on: day(10, 1),
        due_on,
        due_by_calendar,
        states_30_day_rule: false,
        reminders: Vec::new(),
        payments: Vec::new(),
        default_on: None,
    }
}

/// Listed not-yet-due first, so the order cannot come from the list.
fn three() -> Vec<CaseClaim> {
    vec![
        claim("RE-C", "500.00", day(12, 1), false),
        claim("RE-B", "200.00", day(10, 15), false),
        claim("RE-A", "300.00", day(10, 31), true),
    ]
}

fn paid(amount: &str) -> ReceivedPayment {
    ReceivedPayment { received_on: day(11, 10), amount: dec(amount), reduces_principal: false }
}

/// (invoice, interest, principal, rule) of each part, in the order filled.
fn parts(application: &PaymentApplication) -> Vec<(String, Decimal, Decimal, AllocationRule)> {
    application
        .allocations
        .iter()
        .map(|a| {
            assert_eq!(a.applied.costs, Decimal::ZERO, "a consumer without reminders owes no costs");
            (a.invoice.to_string(), a.applied.interest, a.applied.principal, a.rule)
        })
        .collect()
}

#[test]
fn less_than_owed_fills_the_due_debt_in_default_first_then_the_older_due_one() {
    let applied = unnamed_payment_over(&Germany::default(), &three(), eur(), paid("400.00")).unwrap();
    let due_first = AllocationRule::DueFirst;
    // RE-A: 0.46 + 300.00 = 300.46; RE-B the rest, 400.00 - 300.46 = 99.54; RE-C nothing.
    assert_eq!(
        parts(&applied),
        [
            ("RE-A".to_owned(), dec("0.46"), dec("300.00"), due_first),
            ("RE-B".to_owned(), dec("0"), dec("99.54"), due_first),
        ]
    );
    assert_eq!(applied.unapplied, Decimal::ZERO);
    assert_eq!(applied.for_invoice, None);
}

#[test]
fn earlier_payments_of_each_case_count_and_a_surplus_is_left_over() {
    let mut claims = three();
    // RE-B had 150.00 on 5 November, naming it: 50.00 is left on it.
    claims[1].payments.push(ReceivedPayment { received_on: day(11, 5), ..paid("150.00") });
    let applied = unnamed_payment_over(&Germany::default(), &claims, eur(), paid("400.00")).unwrap();
    // 300.46 to RE-A, 50.00 to RE-B, the rest 400.00 - 350.46 = 49.54 to RE-C (not yet due).
    let totals: Vec<(String, Decimal)> =
        applied.allocations.iter().map(|a| (a.invoice.to_string(), a.applied.total())).collect();
    assert_eq!(
        totals,
        [
            ("RE-A".to_owned(), dec("300.46")),
            ("RE-B".to_owned(), dec("50.00")),
            ("RE-C".to_owned(), dec("49.54"))
        ]
    );
    // More than everything owed: 300.46 + 50.00 + 500.00 = 850.46, so 1,000.00 leaves 149.54.
    let all = unnamed_payment_over(&Germany::default(), &claims, eur(), paid("1000.00")).unwrap();
    assert_eq!(all.unapplied, dec("149.54"));
    assert_eq!(all.allocations.len(), 3);
}

#[test]
fn no_claims_or_a_claim_in_another_currency_is_refused_naming_it() {
    let none = unnamed_payment_over(&Germany::default(), &[], eur(), paid("10.00")).unwrap_err();
    assert_eq!(none, LegalError::NoClaims { field: "claims".into() });
    let mut claims = three();
    claims[2].currency = Currency::parse("CHF").unwrap();
    let mixed = unnamed_payment_over(&Germany::default(), &claims, eur(), paid("10.00")).unwrap_err();
    assert!(mixed.to_string().contains("invoice RE-A is in CHF"), "{mixed}");
}
