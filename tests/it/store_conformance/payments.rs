//! Payments on every backend, through `pay::record_payment`: close, reduce, cancel, credit.

use super::*;

/// Intakes `numbers` at t0, sends each a first reminder at t0+1h, and plans a second one (at
/// t0+1d, to go out at t0+2d) that is still scheduled. Returns (sent, scheduled) reminder ids.
pub(super) async fn dunned(store: &Arc<dyn Store>, numbers: &[&str]) -> Vec<(i64, i64)> {
    intake(store, &numbers.iter().map(|n| overdue(&invoice(n), t0())).collect::<Vec<_>>()).await;
    let first: Vec<_> = numbers.iter().map(|n| (*n, ChannelKind::Email, t0() + hours(1))).collect();
    let first = plan_reminders(store, t0(), &first).await;
    send(store, t0() + hours(1), &first).await;
    let second: Vec<_> = numbers.iter().map(|n| (*n, ChannelKind::Letter, t0() + hours(48))).collect();
    let second = plan_reminders(store, t0() + hours(24), &second).await;
    first.into_iter().zip(second).collect()
}

pub(super) async fn suite_payment(store: Arc<dyn Store>, _raw: Raw) {
    let ids = dunned(&store, &["RE-1", "RE-2", "RE-3"]).await;
    // RE-4 is received (and so due) only much later, out of the way of the planning below.
    intake(&store, &[overdue(&invoice("RE-4"), t0() + hours(2000))]).await;

    // Paid in full within the window: closed, pending reminder cancelled, the sent one earned it.
    let paid_at = t0() + hours(25);
    let full = payment("RE-1", None, paid_at, "ref-1");
    assert_eq!(
        store.record_payment(&full, WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: true }
    );
    let view = case(&store, "RE-1").await;
    assert_eq!((view.state, view.next_action_at, view.amount_paid), (CaseState::Paid, None, dec("100.00")));
    let written = reminders(&store, "RE-1").await;
    assert_eq!(
        written.iter().map(|r| (r.id, r.status, r.reward)).collect::<Vec<_>>(),
        [(ids[0].0, ReminderStatus::Sent, Some(1.0)), (ids[0].1, ReminderStatus::Cancelled, None),]
    );
    assert_eq!(store.stats().await.unwrap().payments, 1);

    // The same (source, reference) again: recorded once, nothing changes.
    let replay = payment("RE-1", Some(eur("10.00")), paid_at + hours(1), "ref-1");
    assert_eq!(store.record_payment(&replay, WINDOW).await.unwrap(), IntakeOutcome::PaymentDuplicate);
    assert_eq!(store.record_payment(&full, WINDOW).await.unwrap(), IntakeOutcome::PaymentDuplicate);
    assert_eq!(case(&store, "RE-1").await, view);
    assert_eq!(reminders(&store, "RE-1").await, written);
    assert_eq!(store.stats().await.unwrap().payments, 1);

    // Paid long after the last reminder: no reminder earned it.
    let late = payment("RE-2", Some(eur("100.00")), t0() + hours(24 * 10), "ref-2");
    assert_eq!(
        store.record_payment(&late, WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: true }
    );
    let written = reminders(&store, "RE-2").await;
    assert_eq!(
        written.iter().map(|r| (r.status, r.reward)).collect::<Vec<_>>(),
        [(ReminderStatus::Sent, Some(0.0)), (ReminderStatus::Cancelled, None),]
    );

    // Partial payments accumulate; the case stays open until the rest arrives.
    let partial =
        |amount: Option<&str>, reference: &str| payment("RE-3", amount.map(eur), t0() + hours(30), reference);
    assert_eq!(
        store.record_payment(&partial(Some("30.00"), "p-1"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    assert_eq!(
        store.record_payment(&partial(Some("20.50"), "p-2"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    assert_eq!(
        store.record_payment(&partial(Some("30.00"), "p-1"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentDuplicate
    );
    let view = case(&store, "RE-3").await;
    assert_eq!(
        (view.state, view.amount_paid, view.next_action_at),
        (CaseState::Reminding, dec("50.50"), Some(t0() + hours(48)))
    );
    let written = reminders(&store, "RE-3").await;
    assert_eq!(
        written.iter().map(|r| (r.status, r.reward)).collect::<Vec<_>>(),
        [(ReminderStatus::Sent, None), (ReminderStatus::Scheduled, None),]
    );
    assert_eq!(
        store.record_payment(&partial(None, "p-3"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: true }
    );
    let view = case(&store, "RE-3").await;
    assert_eq!((view.state, view.amount_paid, view.next_action_at), (CaseState::Paid, dec("100.00"), None));
    // Money arriving after the case closed is recorded, but it closed nothing.
    assert_eq!(
        store.record_payment(&partial(Some("5.00"), "p-4"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    assert_eq!(case(&store, "RE-3").await.state, CaseState::Paid);
    let written = reminders(&store, "RE-3").await;
    assert_eq!(
        written.iter().map(|r| (r.status, r.reward)).collect::<Vec<_>>(),
        [(ReminderStatus::Sent, Some(1.0)), (ReminderStatus::Cancelled, None),]
    );

    // Unknown invoices and foreign currencies are refused and leave no trace.
    let unknown = payment("RE-404", Some(eur("1.00")), paid_at, "u-1");
    assert_eq!(store.record_payment(&unknown, WINDOW).await.unwrap(), IntakeOutcome::UnknownInvoice);
    let mut other_tenant = payment("RE-4", Some(eur("1.00")), paid_at, "u-2");
    other_tenant.tenant = TenantId::parse("other").unwrap();
    assert_eq!(store.record_payment(&other_tenant, WINDOW).await.unwrap(), IntakeOutcome::UnknownInvoice);
    let dollars = payment("RE-4", Some(money("100.00", "USD")), paid_at, "usd-1");
    assert_eq!(
        store.record_payment(&dollars, WINDOW).await.unwrap(),
        IntakeOutcome::CurrencyMismatch { expected: "EUR".into() }
    );
    let view = case(&store, "RE-4").await;
    assert_eq!((view.state, view.amount_paid), (CaseState::Open, Decimal::ZERO));
    let payments_so_far = 6;
    assert_eq!(store.stats().await.unwrap().payments, payments_so_far);

    // The same through intake (`invoice.paid`), replay in the same batch included.
    let ids = dunned(&store, &["RE-5"]).await;
    let paid = IntakeCommand::Paid(payment("RE-5", Some(eur("100.00")), t0() + hours(26), "i-1"));
    assert_eq!(
        intake(&store, &[paid.clone(), paid.clone()]).await,
        [IntakeOutcome::PaymentRecorded { case_closed: true }, IntakeOutcome::PaymentDuplicate,]
    );
    assert_eq!(intake(&store, &[paid]).await, [IntakeOutcome::PaymentDuplicate]);
    assert_eq!(case(&store, "RE-5").await.state, CaseState::Paid);
    let written = reminders(&store, "RE-5").await;
    assert_eq!(
        written.iter().map(|r| (r.id, r.status, r.reward)).collect::<Vec<_>>(),
        [(ids[0].0, ReminderStatus::Sent, Some(1.0)), (ids[0].1, ReminderStatus::Cancelled, None),]
    );

    // An invoice and its payments in one batch, in order.
    let six = invoice("RE-6");
    let outcomes = intake(
        &store,
        &[
            overdue(&six, t0() + hours(30)),
            IntakeCommand::Paid(payment("RE-6", Some(eur("10.00")), t0() + hours(31), "m-1")),
            IntakeCommand::Paid(payment("RE-6", None, t0() + hours(32), "m-2")),
            overdue(&six, t0() + hours(33)),
            IntakeCommand::Paid(payment("RE-404", None, t0() + hours(33), "m-3")),
            IntakeCommand::Paid(payment("RE-4", Some(money("5", "JPY")), t0() + hours(33), "m-4")),
        ],
    )
    .await;
    assert_eq!(
        outcomes,
        [
            IntakeOutcome::Created,
            IntakeOutcome::PaymentRecorded { case_closed: false },
            IntakeOutcome::PaymentRecorded { case_closed: true },
            IntakeOutcome::Duplicate,
            IntakeOutcome::UnknownInvoice,
            IntakeOutcome::CurrencyMismatch { expected: "EUR".into() },
        ]
    );
    let view = case(&store, "RE-6").await;
    assert_eq!((view.state, view.amount_paid, view.next_action_at), (CaseState::Paid, dec("100.00"), None));
    assert_eq!(store.stats().await.unwrap().payments, payments_so_far + 3);

    // One transfer paying two invoices: the same reference on another invoice is another
    // payment, not a replay (RE-1 was paid with `ref-1` above).
    let same_transfer = payment("RE-4", Some(eur("10.00")), paid_at, "ref-1");
    assert_eq!(
        store.record_payment(&same_transfer, WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    assert_eq!(store.record_payment(&same_transfer, WINDOW).await.unwrap(), IntakeOutcome::PaymentDuplicate);
    assert_eq!(case(&store, "RE-4").await.amount_paid, dec("10.00"));
    assert_eq!(store.stats().await.unwrap().payments, payments_so_far + 4);

    // Of two reminders sent within the window, the later one earned the payment.
    intake(&store, &[overdue(&invoice("RE-7"), t0() + hours(100))]).await;
    let first =
        plan_reminders(&store, t0() + hours(100), &[("RE-7", ChannelKind::Email, t0() + hours(100))]).await;
    send(&store, t0() + hours(100), &first).await;
    let second =
        plan_reminders(&store, t0() + hours(124), &[("RE-7", ChannelKind::Sms, t0() + hours(124))]).await;
    send(&store, t0() + hours(124), &second).await;
    let paid = payment("RE-7", None, t0() + hours(125), "r7");
    assert_eq!(
        store.record_payment(&paid, WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: true }
    );
    let written = reminders(&store, "RE-7").await;
    assert_eq!(
        written.iter().map(|r| (r.id, r.reward)).collect::<Vec<_>>(),
        [(first[0], Some(0.0)), (second[0], Some(1.0))]
    );

    // Paid cases are never due again.
    let decide = |case: &DueCase| match case.invoice_number.as_str() {
        "RE-4" => CaseDecision::Wait { until: t0() + hours(10_000) },
        other => panic!("{other} is paid and must not be planned"),
    };
    assert_eq!(plan(&store, t0() + hours(3000), &decide).await, 1);
    assert!(claim(&store, t0() + hours(3000), 100).await.is_empty(), "cancelled reminders stay unsent");
}
