//! Properties that must hold for any account, checked on generated ones: interest never falls
//! while nothing is paid, a payment is never over-applied, the total falls by exactly what was
//! paid, and the reminder that puts the debtor in default never carries a fee.

use super::tests_cases::{account, day, invoice};
use super::*;
use crate::domain::DebtorKind;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Every generated date lies in 2019..2027: inside the base-rate table and past its end.
fn date() -> impl Strategy<Value = NaiveDate> {
    (0u64..2800).prop_map(|n| day(2019, 1, 1) + Days::new(n))
}

fn cents(max: i64) -> impl Strategy<Value = Decimal> {
    (0..=max).prop_map(|c| Decimal::new(c, 2))
}

fn claim(index: usize) -> impl Strategy<Value = Claim> {
    let reminders = prop::collection::vec((0u64..120, 0u64..6, cents(600)), 0..4);
    let costs = prop::collection::vec((0u64..200, cents(20_000)), 0..2);
    (date(), cents(5_000_000), any::<bool>(), prop::option::of(0u64..40), any::<bool>(), reminders, costs)
        .prop_map(move |(due_on, principal, due_by_calendar, received, states_30, reminders, costs)| Claim {
            invoice: invoice(&format!("RE-{index}")),
            principal,
            due_on,
            due_by_calendar,
            invoice_received_on: received.map(|r| due_on - Days::new(20) + Days::new(r)),
            invoice_states_30_day_rule: states_30,
            reminders: reminders
                .into_iter()
                .enumerate()
                .map(|(stage, (after, transit, actual_cost))| {
                    let sent_on = due_on - Days::new(5) + Days::new(after);
                    Reminder {
                        stage: stage as u32 + 1,
                        sent_on,
                        received_on: sent_on + Days::new(transit),
                        actual_cost,
                    }
                })
                .collect(),
            collection_costs: costs
                .into_iter()
                .map(|(after, amount)| CollectionCost {
                    on: due_on + Days::new(after),
                    label: "Inkasso".into(),
                    amount,
                })
                .collect(),
            fixed_default: None,
        })
}

fn debtor() -> impl Strategy<Value = DebtorKind> {
    prop_oneof![Just(DebtorKind::Consumer), Just(DebtorKind::Business)]
}

fn claims() -> impl Strategy<Value = Vec<Claim>> {
    (1usize..4).prop_flat_map(|n| (0..n).map(claim).collect::<Vec<_>>())
}

fn payments(invoices: usize) -> impl Strategy<Value = Vec<Payment>> {
    prop::collection::vec((date(), cents(3_000_000), prop::option::of(0..invoices)), 0..4).prop_map(|ps| {
        ps.into_iter()
            .map(|(received_on, amount, named)| Payment {
                received_on,
                amount,
                for_invoice: named.map(|i| invoice(&format!("RE-{i}"))),
                reduces_principal: false,
            })
            .collect()
    })
}

fn accounts() -> impl Strategy<Value = Account> {
    (debtor(), claims()).prop_flat_map(|(kind, claims)| {
        let n = claims.len();
        (Just(kind), Just(claims), payments(n))
            .prop_map(|(kind, claims, payments)| account(kind, claims, payments))
    })
}

proptest! {
    #[test]
    fn interest_never_decreases_while_nothing_is_paid(
        kind in debtor(), claims in claims(), a in date(), later in 0u64..800,
    ) {
        let acc = account(kind, claims, vec![]);
        let law = Germany::default();
        let early = breakdown(&law, &acc, a).unwrap();
        let late = breakdown(&law, &acc, a + Days::new(later)).unwrap();
        prop_assert!(late.totals.interest >= early.totals.interest);
        prop_assert!(late.totals.total >= early.totals.total);
    }

    #[test]
    fn an_allocation_never_exceeds_the_payment(acc in accounts(), as_of in date()) {
        let b = breakdown(&Germany::default(), &acc, as_of).unwrap();
        for p in &b.payments {
            let applied: Decimal = p.allocations.iter().map(|a| a.applied.total()).sum();
            prop_assert!(applied <= p.amount);
            prop_assert_eq!(applied + p.unapplied, p.amount);
            for a in &p.allocations {
                let x = a.applied;
                prop_assert!(x.costs >= Decimal::ZERO && x.interest >= Decimal::ZERO && x.principal >= Decimal::ZERO);
            }
        }
        let open = b.totals.open;
        prop_assert!(open.costs >= Decimal::ZERO && open.interest >= Decimal::ZERO && open.principal >= Decimal::ZERO);
    }

    #[test]
    fn the_total_owed_falls_by_exactly_the_payment(
        acc in accounts(), after_last in 0u64..400, amount in cents(3_000_000), named in prop::option::of(0usize..3),
    ) {
        // The new payment comes last, so the account's other payments are applied first either way.
        let last = acc.payments.iter().map(|p| p.received_on).max().unwrap_or(day(2019, 1, 1));
        let paid_on = last + Days::new(after_last);
        let for_invoice = named.filter(|&i| i < acc.claims.len()).map(|i| invoice(&format!("RE-{i}")));
        let mut with = acc.clone();
        with.payments.push(Payment { received_on: paid_on, amount, for_invoice, reduces_principal: false });
        let law = Germany::default();
        let before = breakdown(&law, &acc, paid_on).unwrap().totals.total;
        let after = breakdown(&law, &with, paid_on).unwrap().totals.total;
        prop_assert_eq!(before - after, amount.min(before));
    }

    #[test]
    fn no_fee_on_the_reminder_that_puts_the_debtor_in_default(acc in accounts(), as_of in date()) {
        let b = breakdown(&Germany::default(), &acc, as_of).unwrap();
        for (claim, c) in acc.claims.iter().zip(&b.claims) {
            let Some(default) = c.in_default else { continue };
            for line in c.fees.iter().filter(|f| f.kind == FeeKind::ReminderFee) {
                if line.on < default.from {
                    prop_assert_eq!(line.owed, Decimal::ZERO);
                }
            }
            if default.ground == DefaultGround::Reminder {
                let first = claim.reminders.iter().find(|r| Some(r.received_on) == default.reminder_received_on).unwrap();
                let line = c.fees.iter().find(|f| f.stage == Some(first.stage)).unwrap();
                prop_assert_eq!(line.allowed, Decimal::ZERO);
                prop_assert_eq!(line.note.clone(), Some(FeeNote::PutInDefault));
            }
        }
    }
}
