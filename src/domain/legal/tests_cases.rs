//! Cases computed by hand, with the arithmetic written beside each expected figure: consumer and
//! business, a base-rate change inside the interest period, § 367 on a partial payment, § 366
//! over two invoices, the fee cap, the flat fee once per claim, and a leap year.
//! Rates: base rate (§ 247 BGB) + 5 points for consumers, + 9 for businesses; act/365 unless said.

use super::*;
use crate::domain::{Currency, DebtorKind, InvoiceNumber};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

pub(super) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(super) fn dec(raw: &str) -> Decimal {
    Decimal::from_str(raw).unwrap()
}

pub(super) fn invoice(raw: &str) -> InvoiceNumber {
    InvoiceNumber::parse(raw).unwrap()
}

/// An invoice payable by a calendar date (§ 286 (2) Nr. 1): default from the day after.
pub(super) fn calendar_claim(number: &str, principal: &str, due_on: NaiveDate) -> Claim {
    Claim {
        invoice: invoice(number),
        principal: dec(principal),
        due_on,
        due_by_calendar: true,
        invoice_received_on: None,
        invoice_states_30_day_rule: false,
        reminders: vec![],
        collection_costs: vec![],
        fixed_default: None,
    }
}

pub(super) fn account(debtor: DebtorKind, claims: Vec<Claim>, payments: Vec<Payment>) -> Account {
    Account { debtor, currency: Currency::parse("EUR").unwrap(), claims, payments }
}

fn reminder(stage: u32, sent_on: NaiveDate, received_on: NaiveDate, cost: &str) -> Reminder {
    Reminder { stage, sent_on, received_on, actual_cost: dec(cost) }
}

fn lines(c: &ClaimBreakdown) -> Vec<(NaiveDate, NaiveDate, i64, Decimal, Decimal)> {
    c.interest.iter().map(|p| (p.from, p.until, p.days, p.rate.0, p.amount)).collect()
}

fn pay(received_on: NaiveDate, amount: &str, for_invoice: Option<&str>) -> Payment {
    Payment {
        received_on,
        amount: dec(amount),
        for_invoice: for_invoice.map(invoice),
        reduces_principal: false,
    }
}

#[test]
fn consumer_with_a_base_rate_change_inside_the_period() {
    // 1,000.00 due by calendar on 31 May 2024: in default from 1 June; interest up to 31 July.
    let a = account(DebtorKind::Consumer, vec![calendar_claim("RE-1", "1000.00", day(2024, 5, 31))], vec![]);
    let b = breakdown(&Germany::default(), &a, day(2024, 8, 1)).unwrap();
    let c = &b.claims[0];
    assert_eq!(
        c.in_default.map(|d| (d.from, d.ground)),
        Some((day(2024, 6, 1), DefaultGround::CalendarDate))
    );
    assert_eq!(
        lines(c),
        vec![
            // 1000 x 8.62 % x 30 / 365 = 7.0849 (base 3.62 + 5)
            (day(2024, 6, 1), day(2024, 6, 30), 30, dec("8.62"), dec("7.08")),
            // 1000 x 8.37 % x 31 / 365 = 7.1088 (base 3.37 from 1 July + 5)
            (day(2024, 7, 1), day(2024, 7, 31), 31, dec("8.37"), dec("7.11")),
        ]
    );
    assert!(c.fees.is_empty(), "a consumer owes no flat fee");
    assert_eq!((b.totals.interest, b.totals.fees, b.totals.total), (dec("14.19"), dec("0"), dec("1014.19")));
    assert!(b.notes.is_empty());
}

#[test]
fn business_in_default_by_reminder_with_flat_fee_cap_and_set_off() {
    let mut claim = calendar_claim("RE-7", "2500.00", day(2025, 1, 15));
    claim.due_by_calendar = false;
    claim.invoice_received_on = Some(day(2025, 1, 2)); // § 286 (3) would give 15 Feb
    claim.reminders = vec![
        reminder(1, day(2025, 1, 20), day(2025, 1, 22), "1.80"), // puts in default: no fee
        reminder(2, day(2025, 2, 5), day(2025, 2, 7), "3.10"),   // capped at 2.50
        reminder(3, day(2025, 2, 20), day(2025, 2, 22), "2.00"),
    ];
    claim.collection_costs =
        vec![CollectionCost { on: day(2025, 3, 1), label: "Inkasso".into(), amount: dec("59.00") }];
    let a = account(DebtorKind::Business, vec![claim], vec![]);
    let b = breakdown(&Germany::default(), &a, day(2025, 4, 1)).unwrap();
    let c = &b.claims[0];
    assert_eq!(c.in_default.map(|d| (d.from, d.ground)), Some((day(2025, 1, 23), DefaultGround::Reminder)));
    let fees: Vec<_> =
        c.fees.iter().map(|f| (f.kind, f.on, f.allowed, f.offset_by_flat_fee, f.owed)).collect();
    assert_eq!(
        fees,
        vec![
            (FeeKind::FlatFee, day(2025, 1, 23), dec("40"), dec("0"), dec("40")),
            (FeeKind::ReminderFee, day(2025, 1, 20), dec("0"), dec("0"), dec("0")),
            (FeeKind::ReminderFee, day(2025, 2, 5), dec("2.50"), dec("2.50"), dec("0")),
            (FeeKind::ReminderFee, day(2025, 2, 20), dec("2.00"), dec("2.00"), dec("0")),
            // 40 - 2.50 - 2.00 = 35.50 of the flat fee left to set off: 59.00 - 35.50 = 23.50
            (FeeKind::CollectionCost, day(2025, 3, 1), dec("59.00"), dec("35.50"), dec("23.50")),
        ]
    );
    assert_eq!(c.fees[1].note, Some(FeeNote::PutInDefault));
    assert_eq!(c.fees[2].note, Some(FeeNote::Capped { cap: dec("2.50") }));
    // 23 Jan to 31 Mar 2025 = 9 + 28 + 31 = 68 days at 2.27 + 9 = 11.27 %:
    // 2500 x 11.27 % x 68 / 365 = 52.4904
    assert_eq!(lines(c), vec![(day(2025, 1, 23), day(2025, 3, 31), 68, dec("11.27"), dec("52.49"))]);
    // max(40, 2.50 + 2.00 + 59.00) = 63.50 in fees; 2500 + 63.50 + 52.49
    assert_eq!(
        (b.totals.fees, b.totals.interest, b.totals.total),
        (dec("63.50"), dec("52.49"), dec("2615.99"))
    );
}

#[test]
fn flat_fee_once_per_claim_however_many_reminders() {
    let mut claim = calendar_claim("RE-9", "100.00", day(2025, 1, 31));
    claim.reminders =
        (1..=4).map(|s| reminder(s, day(2025, 2, 1 + 5 * s), day(2025, 2, 1 + 5 * s), "2.50")).collect();
    let b =
        breakdown(&Germany::default(), &account(DebtorKind::Business, vec![claim], vec![]), day(2025, 3, 1))
            .unwrap();
    let c = &b.claims[0];
    assert_eq!(c.fees.iter().filter(|f| f.kind == FeeKind::FlatFee).count(), 1);
    // 4 x 2.50 = 10.00 are set off against the 40.00: 40.00 in all, not 50.00.
    assert_eq!(b.totals.fees, dec("40"));
    assert!(c.fees.iter().filter(|f| f.kind == FeeKind::ReminderFee).all(|f| f.owed.is_zero()));
}

#[test]
fn reminder_fees_are_capped_by_configuration() {
    let mut claim = calendar_claim("RE-3", "100.00", day(2025, 1, 31));
    claim.reminders = vec![
        reminder(1, day(2025, 2, 3), day(2025, 2, 3), "5.00"),
        reminder(2, day(2025, 2, 17), day(2025, 2, 17), "1.20"),
    ];
    let a = account(DebtorKind::Consumer, vec![claim], vec![]);
    let fees = |law: &Germany| breakdown(law, &a, day(2025, 3, 1)).unwrap().claims[0].fees.clone();
    // Default cap 2.50: 2.50 + 1.20 (the actual cost, below the cap).
    let default: Vec<_> = fees(&Germany::default()).iter().map(|f| f.owed).collect();
    assert_eq!(default, vec![dec("2.50"), dec("1.20")]);
    let strict =
        Germany::new(GermanyConfig { reminder_fee_cap: dec("1.00"), ..GermanyConfig::default() }).unwrap();
    let capped: Vec<_> = fees(&strict).iter().map(|f| f.owed).collect();
    assert_eq!(capped, vec![dec("1.00"), dec("1.00")]);
}

#[test]
fn partial_payment_goes_to_costs_then_interest_then_principal() {
    let mut claim = calendar_claim("RE-5", "1000.00", day(2025, 2, 28));
    claim.reminders = vec![reminder(1, day(2025, 3, 10), day(2025, 3, 12), "2.50")]; // sent in default: fee
    let a = account(DebtorKind::Consumer, vec![claim], vec![pay(day(2025, 4, 1), "300.00", None)]);
    let b = breakdown(&Germany::default(), &a, day(2025, 7, 1)).unwrap();
    // On 1 April: costs 2.50; interest 1 to 31 March, 1000 x 7.27 % x 31 / 365 = 6.1745 -> 6.17;
    // the rest, 300.00 - 2.50 - 6.17 = 291.33, to principal: 708.67 left.
    let applied = &b.payments[0].allocations[0].applied;
    assert_eq!(
        (applied.costs, applied.interest, applied.principal),
        (dec("2.50"), dec("6.17"), dec("291.33"))
    );
    assert_eq!(b.payments[0].allocations[0].rule, AllocationRule::DueFirst);
    assert_eq!(
        lines(&b.claims[0]),
        vec![
            (day(2025, 3, 1), day(2025, 3, 31), 31, dec("7.27"), dec("6.17")),
            // 708.67 x 7.27 % x 91 / 365 = 12.8448 (1 April to 30 June)
            (day(2025, 4, 1), day(2025, 6, 30), 91, dec("7.27"), dec("12.84")),
        ]
    );
    let open = b.totals.open;
    assert_eq!((open.costs, open.interest, open.principal), (dec("0"), dec("12.84"), dec("708.67")));
    assert_eq!(b.totals.total, dec("721.51"));
}

#[test]
fn a_credit_note_lowers_the_principal_and_leaves_costs_and_interest_open() {
    // The same case as above, with the 300.00 granted as a credit note instead of paid.
    let mut claim = calendar_claim("RE-5", "1000.00", day(2025, 2, 28));
    claim.reminders = vec![reminder(1, day(2025, 3, 10), day(2025, 3, 12), "2.50")];
    let credit = Payment { reduces_principal: true, ..pay(day(2025, 4, 1), "300.00", None) };
    let a = account(DebtorKind::Consumer, vec![claim], vec![credit]);
    let b = breakdown(&Germany::default(), &a, day(2025, 7, 1)).unwrap();
    let applied = &b.payments[0].allocations[0].applied;
    assert_eq!((applied.costs, applied.interest, applied.principal), (dec("0"), dec("0"), dec("300.00")));
    assert!(b.payments[0].reduces_principal);
    assert_eq!(
        lines(&b.claims[0]),
        vec![
            // Interest up to the credit ran on the whole 1000.00: 6.17 as above.
            (day(2025, 3, 1), day(2025, 3, 31), 31, dec("7.27"), dec("6.17")),
            // Then on 700.00: 700 x 7.27 % x 91 / 365 = 12.6877 -> 12.69.
            (day(2025, 4, 1), day(2025, 6, 30), 91, dec("7.27"), dec("12.69")),
        ]
    );
    let open = b.totals.open;
    // The fee and all interest stay open: 2.50 + 6.17 + 12.69 + 700.00.
    assert_eq!((open.costs, open.interest, open.principal), (dec("2.50"), dec("18.86"), dec("700.00")));
    assert_eq!(b.totals.total, dec("721.36"));
    // A credit beyond the principal is not applied to costs: the rest is unapplied.
    let mut claim = calendar_claim("RE-6", "100.00", day(2025, 2, 28));
    claim.reminders = vec![reminder(1, day(2025, 3, 10), day(2025, 3, 12), "2.50")];
    let credit = Payment { reduces_principal: true, ..pay(day(2025, 4, 1), "150.00", None) };
    let b = breakdown(
        &Germany::default(),
        &account(DebtorKind::Consumer, vec![claim], vec![credit]),
        day(2025, 4, 1),
    )
    .unwrap();
    assert_eq!(
        (b.payments[0].allocations[0].applied.principal, b.payments[0].unapplied),
        (dec("100.00"), dec("50.00"))
    );
    assert_eq!(b.totals.open.principal, dec("0"));
}

#[test]
fn payment_without_purpose_goes_to_the_invoice_due_first() {
    let claims = vec![
        calendar_claim("RE-1", "500.00", day(2025, 1, 31)), // in default from 1 Feb
        calendar_claim("RE-2", "800.00", day(2025, 2, 28)), // in default from 1 Mar
    ];
    let a = account(DebtorKind::Business, claims.clone(), vec![pay(day(2025, 3, 15), "600.00", None)]);
    let b = breakdown(&Germany::default(), &a, day(2025, 4, 1)).unwrap();
    let alloc: Vec<_> = b.payments[0]
        .allocations
        .iter()
        .map(|x| (x.invoice.to_string(), x.applied.costs, x.applied.interest, x.applied.principal))
        .collect();
    assert_eq!(
        alloc,
        vec![
            // RE-1 on 15 March: 40.00 flat fee; 1 Feb to 14 Mar = 42 days,
            // 500 x 11.27 % x 42 / 365 = 6.4841 -> 6.48; principal 500.00: 546.48 in all.
            ("RE-1".to_owned(), dec("40"), dec("6.48"), dec("500.00")),
            // 53.52 left for RE-2: 40.00 flat fee; 1 to 14 Mar = 14 days,
            // 800 x 11.27 % x 14 / 365 = 3.4582 -> 3.46; 53.52 - 43.46 = 10.06 principal.
            ("RE-2".to_owned(), dec("40"), dec("3.46"), dec("10.06")),
        ]
    );
    assert_eq!(b.claims[0].open.total(), dec("0"));
    // RE-2 from 15 to 31 March on 789.94: x 11.27 % x 17 / 365 = 4.1464 -> 4.15.
    assert_eq!(lines(&b.claims[1])[1], (day(2025, 3, 15), day(2025, 3, 31), 17, dec("11.27"), dec("4.15")));
    assert_eq!(b.totals.total, dec("794.09")); // 789.94 + 4.15

    // Named by the debtor (§ 366 (1)): RE-2 takes it all: 40 + 3.46 + 556.54.
    let named = account(DebtorKind::Business, claims, vec![pay(day(2025, 3, 15), "600.00", Some("RE-2"))]);
    let b = breakdown(&Germany::default(), &named, day(2025, 4, 1)).unwrap();
    let only = &b.payments[0].allocations;
    assert_eq!(only.len(), 1);
    assert_eq!((only[0].invoice.to_string(), only[0].rule), ("RE-2".to_owned(), AllocationRule::Stated));
    assert_eq!(only[0].applied.principal, dec("556.54"));
}

#[test]
fn leap_year_under_each_day_count() {
    // Default from 1 Jan 2024 to 31 Dec 2024: 182 days at 8.62 % (to 30 June), 184 at 8.37 %.
    let a = account(DebtorKind::Consumer, vec![calendar_claim("RE-L", "1000.00", day(2023, 12, 31))], vec![]);
    let amounts = |day_count| -> Vec<Decimal> {
        let law = Germany::new(GermanyConfig { day_count, ..GermanyConfig::default() }).unwrap();
        breakdown(&law, &a, day(2025, 1, 1)).unwrap().claims[0].interest.iter().map(|p| p.amount).collect()
    };
    // 86.20 x 182 / 365 = 42.9819; 83.70 x 184 / 365 = 42.1940
    assert_eq!(amounts(DayCount::Act365), vec![dec("42.98"), dec("42.19")]);
    // 86.20 x 182 / 366 = 42.8645; 83.70 x 184 / 366 = 42.0787
    assert_eq!(amounts(DayCount::ActAct), vec![dec("42.86"), dec("42.08")]);
    // 86.20 x 182 / 360 = 43.5789; 83.70 x 184 / 360 = 42.7800
    assert_eq!(amounts(DayCount::Act360), vec![dec("43.58"), dec("42.78")]);
}

#[test]
fn past_the_table_the_last_rate_is_used_and_said() {
    let a = account(DebtorKind::Consumer, vec![calendar_claim("RE-X", "1000.00", day(2026, 4, 30))], vec![]);
    let b = breakdown(&Germany::default(), &a, day(2026, 12, 6)).unwrap();
    assert_eq!(
        lines(&b.claims[0]),
        vec![
            // 1000 x 6.27 % x 61 / 365 = 10.4786 (base 1.27 + 5, published)
            (day(2026, 5, 1), day(2026, 6, 30), 61, dec("6.27"), dec("10.48")),
            // 1000 x 6.27 % x 158 / 365 = 27.1414 (base 1.27 assumed past 30 June 2026)
            (day(2026, 7, 1), day(2026, 12, 5), 158, dec("6.27"), dec("27.14")),
        ]
    );
    assert!(b.claims[0].interest[1].rate_past_table_end);
    assert_eq!(
        b.notes,
        vec![Note::RatePastTableEnd { from: day(2026, 7, 1), base_rate: Percent::hundredths(127) }]
    );
    // Configured with the next value, the note goes away.
    let law = Germany::new(GermanyConfig {
        extra_base_rates: vec![(day(2026, 7, 1), Percent::hundredths(127))],
        ..GermanyConfig::default()
    })
    .unwrap();
    assert!(breakdown(&law, &a, day(2026, 12, 6)).unwrap().notes.is_empty());
}

#[test]
fn not_in_default_owes_only_principal_and_overpayment_is_kept_apart() {
    let mut claim = calendar_claim("RE-N", "100.00", day(2025, 5, 31));
    claim.due_by_calendar = false; // a consumer, no reminder yet: not in default
    let a = account(DebtorKind::Consumer, vec![claim], vec![pay(day(2025, 7, 1), "120.00", None)]);
    let b = breakdown(&Germany::default(), &a, day(2025, 8, 1)).unwrap();
    assert_eq!(b.totals.total, dec("0"));
    assert_eq!(b.totals.unapplied, dec("20.00"));
    assert!(b.notes.contains(&Note::NotInDefault { invoice: invoice("RE-N") }));
    assert!(b.notes.contains(&Note::Overpaid { received_on: day(2025, 7, 1), amount: dec("20.00") }));
}

#[test]
fn limitation_is_flagged_on_open_claims() {
    let a = account(DebtorKind::Consumer, vec![calendar_claim("RE-O", "10.00", day(2023, 5, 10))], vec![]);
    let b = breakdown(&Germany::default(), &a, day(2026, 12, 6)).unwrap();
    assert_eq!(b.claims[0].limitation.last_day, day(2026, 12, 31));
    assert!(b
        .notes
        .contains(&Note::LimitationNear { invoice: invoice("RE-O"), last_day: day(2026, 12, 31) }));
}

#[test]
fn bad_input_is_refused_by_name() {
    let mut claim = calendar_claim("RE-B", "10.005", day(2025, 1, 1));
    let a = account(DebtorKind::Consumer, vec![claim.clone()], vec![]);
    assert_eq!(
        breakdown(&Germany::default(), &a, day(2025, 2, 1)).unwrap_err().to_string(),
        "claims[0].principal: 10.005 is not a non-negative amount in cents"
    );
    claim.principal = dec("10.00");
    let unknown =
        account(DebtorKind::Consumer, vec![claim.clone()], vec![pay(day(2025, 1, 5), "1.00", Some("RE-Z"))]);
    assert!(matches!(
        breakdown(&Germany::default(), &unknown, day(2025, 2, 1)),
        Err(LegalError::UnknownInvoice { .. })
    ));
    let mut usd = account(DebtorKind::Consumer, vec![claim], vec![]);
    usd.currency = Currency::parse("USD").unwrap();
    assert!(matches!(
        breakdown(&Germany::default(), &usd, day(2025, 2, 1)),
        Err(LegalError::Currency { .. })
    ));
}

#[test]
fn the_breakdown_serialises_amounts_as_strings() {
    let a = account(DebtorKind::Consumer, vec![calendar_claim("RE-1", "1000.00", day(2024, 5, 31))], vec![]);
    let b = breakdown(&Germany::default(), &a, day(2024, 8, 1)).unwrap();
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["totals"]["total"], "1014.19");
    assert_eq!(json["claims"][0]["interest"][1]["rate"], "8.37");
    assert_eq!(json["claims"][0]["in_default"]["ground"], "calendar_date");
    assert_eq!(json["currency"], "EUR");
    let back: Breakdown = serde_json::from_value(json).unwrap();
    assert_eq!(back, b);
}
