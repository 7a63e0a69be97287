//! The payment rule without a database: what a payment does to a case as it stands.

use super::*;
use crate::domain::{Currency, DebtorId, InvoiceNumber, PaymentSource, TenantId};
use chrono::TimeZone;

fn eur(raw: &str) -> Money {
    Money::parse(raw, Currency::parse("EUR").unwrap()).unwrap()
}

fn dec(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
}

/// A case of 100.00 EUR with `paid` paid so far.
fn case(state: CaseState, paid: &str) -> LockedCase {
    LockedCase {
        case_id: 7,
        invoice_id: 70,
        tenant: TenantId::parse("acme").unwrap(),
        invoice_number: InvoiceNumber::parse("RE-7").unwrap(),
        debtor_id: DebtorId::parse("D-7").unwrap(),
        state,
        stages_planned: 2,
        next_action_at: Some(at(20)),
        amount_due: eur("100.00"),
        amount_paid: dec(paid),
    }
}

fn payment(amount: Option<Money>, reference: &str) -> PaymentRecord {
    PaymentRecord {
        tenant: TenantId::parse("acme").unwrap(),
        invoice_number: InvoiceNumber::parse("RE-7").unwrap(),
        amount,
        paid_at: at(12),
        source: PaymentSource::Bank,
        reference: reference.into(),
    }
}

fn booking(decision: Decision) -> Booking {
    match decision {
        Decision::Record(booking) => *booking,
        other => panic!("expected a booking, got {other:?}"),
    }
}

#[test]
fn nothing_is_recorded_for_an_unknown_invoice_a_foreign_currency_or_a_replay() {
    let none = HashSet::new();
    let open = case(CaseState::Reminding, "0");
    assert_eq!(decide(None, &payment(None, "r"), &none), Decision::UnknownInvoice);
    let dollars = Money::parse("100.00", Currency::parse("USD").unwrap()).unwrap();
    let foreign = payment(Some(dollars), "r");
    assert_eq!(decide(Some(&open), &foreign, &none), Decision::CurrencyMismatch { expected: "EUR".into() });
    let recorded: HashSet<_> = [key(&open, &payment(None, "r"))].into();
    assert_eq!(decide(Some(&open), &payment(Some(eur("5.00")), "r"), &recorded), Decision::Duplicate);
    // The currency is checked first, as before a replay.
    assert_eq!(
        decide(Some(&open), &foreign, &recorded),
        Decision::CurrencyMismatch { expected: "EUR".into() }
    );
    // The same reference from another source, or on another invoice, is another payment.
    let mut amqp = payment(Some(eur("5.00")), "r");
    amqp.source = PaymentSource::Amqp;
    assert!(matches!(decide(Some(&open), &amqp, &recorded), Decision::Record(_)));
    let other_invoice = LockedCase { invoice_id: 71, ..open.clone() };
    assert!(matches!(decide(Some(&other_invoice), &payment(None, "r"), &recorded), Decision::Record(_)));
}

#[test]
fn a_partial_payment_reduces_and_the_rest_closes() {
    let none = HashSet::new();
    let mut open = case(CaseState::Reminding, "0");
    let partial = booking(decide(Some(&open), &payment(Some(eur("30.00")), "p-1"), &none));
    assert_eq!((partial.amount, partial.paid, partial.closes), (eur("30.00"), dec("30.00"), None));
    assert!(matches!(
        partial.recorded.body,
        EventBody::PaymentRecorded { remaining, case_closed: false, .. } if remaining == dec("70.00")
    ));
    partial.apply_to(&mut open);
    assert_eq!(
        (open.amount_paid, open.state, open.next_action_at),
        (dec("30.00"), CaseState::Reminding, Some(at(20)))
    );

    // No amount: whatever is still open.
    let rest = booking(decide(Some(&open), &payment(None, "p-2"), &none));
    assert_eq!((rest.amount, rest.paid, rest.closes), (eur("70.00"), dec("100.00"), Some(CaseState::Paid)));
    rest.apply_to(&mut open);
    assert_eq!((open.state, open.next_action_at), (CaseState::Paid, None));

    // Money after the case closed is recorded and closes nothing.
    let late = booking(decide(Some(&open), &payment(Some(eur("5.00")), "p-3"), &none));
    assert_eq!((late.paid, late.closes), (dec("105.00"), None));
    assert_eq!(late.recorded.kind(), "payment.recorded");
}

#[test]
fn an_overpayment_closes_a_held_case_and_nothing_is_left_open() {
    for state in [CaseState::Open, CaseState::Disputed, CaseState::Paused, CaseState::Escalated] {
        let over =
            booking(decide(Some(&case(state, "50.00")), &payment(Some(eur("80.00")), "o"), &HashSet::new()));
        assert_eq!((over.paid, over.closes), (dec("130.00"), Some(CaseState::Paid)), "from {state:?}");
        assert!(matches!(
            over.recorded.body,
            EventBody::PaymentRecorded { remaining, case_closed: true, .. } if remaining == Decimal::ZERO
        ));
    }
    let cancelled = case(CaseState::Cancelled, "0");
    assert_eq!(booking(decide(Some(&cancelled), &payment(None, "c"), &HashSet::new())).closes, None);
}

#[test]
fn the_newest_reminder_sent_within_the_window_earns_the_payment() {
    let sent = |id, hour| UnsettledReminder { id, sent_at: at(hour) };
    let window = AttributionWindow::hours(3);
    let unsettled = [sent(3, 11), sent(2, 10), sent(1, 1)];
    assert_eq!(
        credit(&unsettled, at(12), window, PaymentSource::Bank),
        Credit { earner: Some(3), others: vec![2, 1] }
    );
    // A reminder sent after the payment did not earn it; none within the window: all get 0.
    assert_eq!(
        credit(&[sent(4, 13), sent(1, 1)], at(12), window, PaymentSource::Bank),
        Credit { earner: None, others: vec![4, 1] }
    );
    assert_eq!(credit(&[], at(12), window, PaymentSource::Bank), Credit::default());
    // A write-off is no money paid: nothing earned it.
    assert_eq!(
        credit(&unsettled, at(12), window, PaymentSource::WriteOff),
        Credit { earner: None, others: vec![3, 2, 1] }
    );
}

#[test]
fn closing_events_follow_the_payment_in_order() {
    let paid = booking(decide(Some(&case(CaseState::Reminding, "0")), &payment(None, "x"), &HashSet::new()));
    let promised_on = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
    let kinds = |events: Vec<Event>| events.iter().map(Event::kind).collect::<Vec<_>>();
    assert_eq!(
        kinds(closing_events(&paid.recorded, Some(promised_on), true, Vec::new())),
        ["promise.kept", "instalments.completed"]
    );
    assert!(closing_events(&paid.recorded, None, false, Vec::new()).is_empty());
    let kept = &closing_events(&paid.recorded, Some(promised_on), false, Vec::new())[0];
    assert_eq!((kept.case_id, kept.occurred_at), (7, at(12)));
}
