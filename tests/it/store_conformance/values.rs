//! Values round-trip exactly on every backend: money to the cent, times to the microsecond.

use super::*;

pub(super) async fn suite_money(store: Arc<dyn Store>, _raw: Raw) {
    let amounts = [
        ("M-1", "1234.56", "EUR"),
        ("M-2", "1000", "JPY"),
        ("M-3", "1.234", "BHD"),
        ("M-4", "12345678901234.56", "EUR"),
        ("M-5", "0.10", "EUR"),
        // As large as intake lets through: rust_decimal's 28 digits.
        ("M-6", "12345678901234567890123456.78", "EUR"),
        ("M-7", "99999999999999999.99", "EUR"),
    ];
    let mut commands: Vec<_> = amounts
        .iter()
        .map(|(n, raw, code)| overdue(&invoice_for(n, debtor("C-1"), money(raw, code)), t0()))
        .collect();
    // Line quantities and prices are plain decimals of any scale.
    if let IntakeCommand::Overdue { invoice, .. } = &mut commands[0] {
        invoice.lines = vec![
            InvoiceLine {
                sku: None,
                description: "Strom".into(),
                quantity: dec("1234.56789"),
                unit_price: dec("0.000001"),
            },
            InvoiceLine {
                sku: None,
                description: "Rabatt".into(),
                quantity: dec("1"),
                unit_price: dec("-99999999999999999999.5"),
            },
        ];
    }
    assert!(intake(&store, &commands).await.iter().all(|o| *o == IntakeOutcome::Created));
    let lines = super::intake::invoice_lines(&store, "M-1").await;
    assert_eq!(
        lines.iter().map(|l| (l.quantity, l.unit_price)).collect::<Vec<_>>(),
        [(dec("1234.56789"), dec("0.000001")), (dec("1"), dec("-99999999999999999999.5"))]
    );

    let due = Mutex::new(BTreeMap::new());
    let decide = |case: &DueCase| {
        due.lock().unwrap().insert(case.invoice_number.to_string(), case.amount_due);
        let mut reminder = new_reminder(case, ChannelKind::Letter, t0(), t0() + hours(24));
        reminder.fee = dec("1.23456");
        CaseDecision::Remind(reminder)
    };
    assert_eq!(plan(&store, t0(), &decide).await, amounts.len());
    let due = due.into_inner().unwrap();
    let mut ids = Vec::new();
    for (n, raw, code) in amounts {
        assert_eq!(due[n], money(raw, code), "{n} as the scheduler sees it");
        assert_eq!(due[n].amount().to_string(), raw, "{n} as the scheduler sees it");
        ids.push(reminders(&store, n).await[0].id);
    }
    let jobs: BTreeMap<String, _> = store
        .delivery_jobs(&ids)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.invoice_number.to_string(), j))
        .collect();
    for (n, raw, code) in amounts {
        let job = &jobs[n];
        assert_eq!(job.amount_due, money(raw, code), "{n} in its delivery job");
        assert_eq!(job.amount_due.amount().to_string(), raw, "{n} in its delivery job");
        assert_eq!(job.amount_due.currency().code(), code);
        assert_eq!(job.fee, dec("1.23456"), "a fee of any scale is kept");
    }

    // Partial payments add up exactly, and the last cent closes the case.
    let pay = |amount: &str, reference: &str| payment("M-1", Some(eur(amount)), t0() + hours(1), reference);
    assert_eq!(
        store.record_payment(&pay("0.01", "c-1"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    let job = store.delivery_jobs(&ids[..1]).await.unwrap().remove(0);
    assert_eq!(job.amount_paid, dec("0.01"));
    // The job carries the payments for what is owed (the legal breakdown): amount and day.
    let received: Vec<_> = job.payments.iter().map(|p| (p.received_on, p.amount)).collect();
    assert_eq!(received, [((t0() + hours(1)).date_naive(), dec("0.01"))]);
    assert_eq!(
        store.record_payment(&pay("1234.54", "c-2"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    let job = store.delivery_jobs(&ids[..1]).await.unwrap().remove(0);
    assert_eq!(job.payments.iter().map(|p| p.amount).sum::<rust_decimal::Decimal>(), dec("1234.55"));
    assert_eq!(case(&store, "M-1").await.amount_paid, dec("1234.55"));
    assert_eq!(
        store.record_payment(&pay("0.01", "c-3"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: true }
    );
    let view = case(&store, "M-1").await;
    assert_eq!((view.state, view.amount_paid), (CaseState::Paid, dec("1234.56")));
    let huge = payment("M-4", Some(eur("12345678901234.55")), t0() + hours(1), "h-1");
    assert_eq!(
        store.record_payment(&huge, WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    assert_eq!(case(&store, "M-4").await.amount_paid, dec("12345678901234.55"));
}

// 10. Time: due means "at or before now", to the microsecond (PostgreSQL's resolution), whether
// or not a time has a fractional second.

pub(super) async fn suite_times(store: Arc<dyn Store>, _raw: Raw) {
    let micro = Span::microseconds(1);
    let t = t0() + Span::microseconds(123_456);
    intake(
        &store,
        &[overdue(&invoice("RE-1"), t), overdue(&invoice("RE-2"), t0() + Span::milliseconds(500))],
    )
    .await;
    assert_eq!(case(&store, "RE-1").await.next_action_at, Some(t), "kept to the microsecond");
    assert_eq!(store.next_due_at().await.unwrap(), Some(t));

    let decide = |case: &DueCase| match case.invoice_number.as_str() {
        "RE-1" => CaseDecision::Remind(new_reminder(case, ChannelKind::Email, t + micro, t + hours(1))),
        other => panic!("{other} is not due at {t}"),
    };
    assert_eq!(plan(&store, t - micro, &decide).await, 0, "a microsecond early");
    assert_eq!(plan(&store, t, &decide).await, 1, "exactly due");
    // A whole second after a fractional one.
    let whole = t0() + Span::seconds(1);
    let wait = |case: &DueCase| {
        assert_eq!(case.invoice_number.as_str(), "RE-2");
        CaseDecision::Wait { until: whole + hours(1000) }
    };
    assert_eq!(plan(&store, t0(), &wait).await, 0, "08:00:00.5 is not due at 08:00:00");
    assert_eq!(plan(&store, whole, &wait).await, 1, "08:00:00.5 is due at 08:00:01");

    let id = reminders(&store, "RE-1").await[0].id;
    assert_eq!(reminders(&store, "RE-1").await[0].send_at, t + micro);
    assert!(claim(&store, t, 10).await.is_empty(), "a microsecond early");
    assert_eq!(claim(&store, t + micro, 10).await.len(), 1, "exactly due");
    let leased = t + micro + Span::from_std(LEASE).unwrap();
    assert!(claim(&store, leased, 10).await.is_empty(), "the lease runs to its end");
    assert_eq!(claim(&store, leased + micro, 10).await.len(), 1, "a microsecond after the lease");
    store.mark_queued(&[id], t0()).await.unwrap();
    report(&store, leased + micro * 2, vec![(id, sent("p-1"))]).await;
    assert_eq!(reminders(&store, "RE-1").await[0].sent_at, Some(leased + micro * 2));

    // The attribution window's edges are inclusive.
    let paid = payment("RE-1", None, leased + micro * 2 + Span::from_std(WINDOW).unwrap(), "edge");
    store.record_payment(&paid, WINDOW).await.unwrap();
    assert_eq!(reminders(&store, "RE-1").await[0].reward, Some(1.0), "paid exactly at the window's end");
}
