//! Intake on every backend: invoices created once, debtors upserted, cancellations close cases.

use super::*;

pub(super) async fn suite_intake(store: Arc<dyn Store>, _raw: Raw) {
    let mut a = invoice_for("RE-1", debtor("C-1"), eur("100.00"));
    a.lines = vec![
        InvoiceLine {
            sku: Some("A-1".into()),
            description: "Wartung".into(),
            quantity: dec("2"),
            unit_price: dec("40.00"),
        },
        InvoiceLine {
            sku: None,
            description: "Anfahrt".into(),
            quantity: dec("1"),
            unit_price: dec("20.00"),
        },
    ];
    assert!(intake(&store, &[]).await.is_empty());
    // The same command twice in one batch, then again in a batch of its own.
    assert_eq!(
        intake(&store, &[overdue(&a, t0()), overdue(&a, t0())]).await,
        [IntakeOutcome::Created, IntakeOutcome::Duplicate]
    );
    assert_eq!(intake(&store, &[overdue(&a, t0() + hours(5))]).await, [IntakeOutcome::Duplicate]);

    // A second invoice of the same debtor, with new contact data: the debtor is updated.
    let mut moved = debtor("C-1");
    moved.name = "Erika Musterfrau".into();
    moved.email = Some(Email::parse("erika.musterfrau@example.com").unwrap());
    moved.phone = None;
    moved.whatsapp_opt_in = false;
    moved.messenger_psid = Some("psid-4711".into());
    moved.contact_person = Some("Anna Schmidt".into());
    moved.iban = Some("DE02100100100006820101".into());
    moved.address = None;
    let b = invoice_for("RE-2", moved.clone(), eur("50.00"));
    let c = invoice_for("RE-3", debtor("C-2"), eur("75.00"));
    assert_eq!(
        intake(
            &store,
            &[overdue(&b, t0() + hours(1)), overdue(&c, t0() + hours(1)), overdue(&b, t0() + hours(1))]
        )
        .await,
        [IntakeOutcome::Created, IntakeOutcome::Created, IntakeOutcome::Duplicate]
    );
    // Replaying the first invoice later changes nothing: not the case, not the debtor.
    assert_eq!(intake(&store, &[overdue(&a, t0() + hours(2))]).await, [IntakeOutcome::Duplicate]);

    let view = case(&store, "RE-1").await;
    assert_eq!(view.state, CaseState::Open);
    assert_eq!(view.stages_planned, 0);
    assert_eq!(view.next_action_at, Some(t0()), "the first receipt makes the case due");
    assert_eq!(view.amount_paid, Decimal::ZERO);
    assert_eq!(case(&store, "RE-2").await.next_action_at, Some(t0() + hours(1)));
    assert_ne!(case(&store, "RE-1").await.case_id, case(&store, "RE-2").await.case_id);
    assert!(store.case_by_invoice(TENANT, "RE-404").await.unwrap().is_none());
    assert!(store.case_by_invoice("other", "RE-1").await.unwrap().is_none(), "tenants are separate");
    assert!(reminders(&store, "RE-1").await.is_empty());

    // Lines are stored once, in order; the other invoices have none.
    let lines: Vec<_> = invoice_lines(&store, "RE-1")
        .await
        .into_iter()
        .map(|l| (l.sku, l.description, l.quantity, l.unit_price))
        .collect();
    assert_eq!(
        lines,
        [
            (Some("A-1".to_owned()), "Wartung".to_owned(), dec("2"), dec("40.00")),
            (None, "Anfahrt".to_owned(), dec("1"), dec("20.00")),
        ]
    );
    assert!(invoice_lines(&store, "RE-2").await.is_empty() && invoice_lines(&store, "RE-3").await.is_empty());
    assert_eq!(
        debtor_names(&store, "acme", &["C-1", "C-2"]).await,
        [Some("Erika Musterfrau"), Some("Erika Mustermann")].map(|n| n.map(str::to_owned))
    );

    // What the scheduler sees: the due cases with their invoice and the debtor's latest data.
    let seen = Mutex::new(Vec::new());
    let decide = |case: &DueCase| {
        seen.lock().unwrap().push(case.clone());
        CaseDecision::Wait { until: t0() + hours(240) }
    };
    assert_eq!(plan(&store, t0() + hours(3), &decide).await, 3);
    let seen: BTreeMap<String, DueCase> =
        seen.into_inner().unwrap().into_iter().map(|c| (c.invoice_number.to_string(), c)).collect();
    assert_eq!(seen.keys().collect::<Vec<_>>(), ["RE-1", "RE-2", "RE-3"]);
    let due = &seen["RE-1"];
    assert_eq!(due.case_id, view.case_id);
    assert_eq!(due.state, CaseState::Open);
    assert_eq!(due.stages_planned, 0);
    assert_eq!(due.tenant, tenant());
    assert_eq!(due.due_on, a.due_on);
    assert_eq!(due.amount_due, eur("100.00"));
    assert_eq!(due.amount_paid, Decimal::ZERO);
    assert_eq!(due.plan, PLAN);
    assert_eq!(due.debtor, moved, "the newer invoice's debtor data wins, the replay changes nothing");
    assert_eq!(seen["RE-2"].debtor, moved);
    assert_eq!(seen["RE-3"].debtor, debtor("C-2"));
    assert_eq!(seen["RE-3"].amount_due, eur("75.00"));

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cases.total, 3);
    assert_eq!(stats.cases.by_state["open"], 3);
    for state in CaseState::ALL.into_iter().filter(|s| *s != CaseState::Open) {
        assert_eq!(stats.cases.by_state[state.as_str()], 0, "cases {state}");
    }
    assert_eq!(stats.reminders.total, 0);
    assert_eq!(stats.payments, 0);
    assert_eq!(stats.intake_rejections, 0);
    assert_eq!(store.next_due_at().await.unwrap(), Some(t0() + hours(240)));

    // Invoice numbers and debtor ids are per tenant.
    let mut theirs = invoice_for("RE-1", debtor("C-1"), eur("9.99"));
    theirs.tenant = TenantId::parse("other").unwrap();
    theirs.debtor.name = "Someone Else".into();
    assert_eq!(intake(&store, &[overdue(&theirs, t0())]).await, [IntakeOutcome::Created]);
    let other = store.case_by_invoice("other", "RE-1").await.unwrap().expect("the other tenant's case");
    assert_ne!(other.case_id, view.case_id);
    assert_eq!(debtor_names(&store, "other", &["C-1", "C-2"]).await, [Some("Someone Else".to_owned()), None]);
    assert_eq!(
        debtor_names(&store, "acme", &["C-1"]).await,
        [Some("Erika Musterfrau".to_owned())],
        "not touched"
    );
    assert_eq!(store.stats().await.unwrap().cases.total, 4);
}

/// The lines of `tenant`'s invoice `number`, as the store reads them for a debtor's data export.
pub(super) async fn invoice_lines(
    store: &Arc<dyn Store>,
    number: &str,
) -> Vec<mahnwerk::store::debtor_data::InvoiceLineRecord> {
    let case_id = case(store, number).await.case_id;
    let mut tx = store.begin().await.unwrap();
    let lines = tx.invoice_lines(&tenant(), case_id).await.unwrap();
    tx.rollback().await.unwrap();
    lines
}

/// The names of the debtors `ids` of `tenant` as the console reads them (`None`: no such debtor).
async fn debtor_names(store: &Arc<dyn Store>, tenant: &str, ids: &[&str]) -> Vec<Option<String>> {
    let tenant = TenantId::parse(tenant).unwrap();
    let mut tx = store.begin().await.unwrap();
    let mut names = Vec::new();
    for id in ids {
        let debtor = tx.tenant_debtor(&tenant, &DebtorId::parse(id).unwrap()).await.unwrap();
        names.push(debtor.map(|d| d.name));
    }
    tx.rollback().await.unwrap();
    names
}

pub(super) async fn suite_cancel(store: Arc<dyn Store>, _raw: Raw) {
    intake(&store, &["RE-1", "RE-2", "RE-3"].map(|n| overdue(&invoice(n), t0()))).await;
    // RE-1 reminding, RE-2 paid (below), RE-3 escalated.
    let decide = |case: &DueCase| match case.invoice_number.as_str() {
        "RE-1" => {
            CaseDecision::Remind(new_reminder(case, ChannelKind::Sms, t0() + hours(2), t0() + hours(24)))
        }
        "RE-2" => CaseDecision::Wait { until: t0() + hours(1000) },
        "RE-3" => CaseDecision::Escalate,
        other => panic!("{other} is not due"),
    };
    assert_eq!(plan(&store, t0(), &decide).await, 3);
    store.record_payment(&payment("RE-2", None, t0() + hours(1), "p-1"), WINDOW).await.unwrap();

    let cancel = |n: &str| IntakeCommand::Cancelled {
        tenant: tenant(),
        invoice_number: number(n),
        at: t0() + hours(1),
    };
    assert_eq!(intake(&store, &[cancel("RE-1")]).await, [IntakeOutcome::CaseCancelled]);
    let view = case(&store, "RE-1").await;
    assert_eq!((view.state, view.next_action_at, view.stages_planned), (CaseState::Cancelled, None, 1));
    assert_eq!(status_of(&store, "RE-1", 0).await, ReminderStatus::Cancelled);

    assert_eq!(
        intake(&store, &[cancel("RE-1"), cancel("RE-2"), cancel("RE-3"), cancel("RE-404")]).await,
        [
            IntakeOutcome::AlreadyClosed,
            IntakeOutcome::AlreadyClosed,
            IntakeOutcome::CaseCancelled,
            IntakeOutcome::UnknownInvoice,
        ]
    );
    assert_eq!(case(&store, "RE-2").await.state, CaseState::Paid, "a paid case stays paid");
    assert_eq!(case(&store, "RE-3").await.state, CaseState::Cancelled);

    let nothing = |case: &DueCase| -> CaseDecision { panic!("{} is closed", case.invoice_number) };
    assert_eq!(plan(&store, t0() + hours(10_000), &nothing).await, 0);
    assert!(claim(&store, t0() + hours(10_000), 100).await.is_empty());
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cases.by_state["cancelled"], 2);
    assert_eq!(stats.cases.by_state["paid"], 1);
    assert_eq!(stats.reminders.by_status["cancelled"], 1);
}
