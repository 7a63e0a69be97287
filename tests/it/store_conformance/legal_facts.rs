//! The legal facts a case stores, on every backend, read back through the store's API: the
//! default date (§ 286 BGB), fixed at intake by a calendar date or a 30-day period already run,
//! else by the first reminder after the due date, and never moved, agreeing with the engine's;
//! and how each payment was applied (§§ 366, 367 BGB), stored once with it and shown on the
//! case's timeline, in its claim statement and in the statement's PDF.

use super::*;
use mahnwerk::domain::legal::{CaseClaim, DefaultGround, Germany};
use mahnwerk::domain::PaymentTerms;
use mahnwerk::store::console::TimelineAllocation;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn by_calendar() -> PaymentTerms {
    PaymentTerms { due_by_calendar: true, states_30_day_rule: false }
}

/// The default date and ground the case of `number` stores, as the console reads them.
async fn stored_default(store: &Arc<dyn Store>, number: &str) -> (Option<NaiveDate>, Option<String>) {
    let case_id = case(store, number).await.case_id;
    let mut tx = store.begin().await.unwrap();
    let summary = tx.tenant_case(&tenant(), case_id).await.unwrap().expect("the case");
    tx.commit().await.unwrap();
    (summary.default_on, summary.default_ground)
}

/// The case as the engine sees it: with the stored date, and from the facts alone.
async fn claims(store: &Arc<dyn Store>, number: &str) -> (CaseClaim, CaseClaim) {
    let case_id = case(store, number).await.case_id;
    let mut tx = store.begin().await.unwrap();
    let claim = tx.case_claim(case_id).await.unwrap().expect("the case");
    tx.commit().await.unwrap();
    let facts_only = CaseClaim { default_on: None, ..claim.clone() };
    (claim, facts_only)
}

/// The default the engine shows for `claim` on 1 April 2026.
fn shown(claim: &CaseClaim) -> Option<(NaiveDate, DefaultGround)> {
    let owed = claim.owed(&Germany::default(), day(2026, 4, 1)).unwrap();
    owed.claims[0].in_default.map(|d| (d.from, d.ground))
}

pub(super) async fn suite_default_dates(store: Arc<dyn Store>, raw: Raw) {
    // All invoices of 100.00 EUR, issued 1 February 2026, due 15 February, received 2 March.
    let calendar = Invoice { terms: by_calendar(), ..invoice("RE-C") };
    let business = Debtor { kind: DebtorKind::Business, ..debtor("D-B") };
    // A business invoice issued 2 January, due 15 January: the 30 days of § 286 (3) ran from 16
    // January to 14 February, so default began on 15 February, before intake.
    let old =
        Invoice { issued_on: day(2026, 1, 2), due_on: day(2026, 1, 15), debtor: business, ..invoice("RE-B") };
    intake(
        &store,
        &[
            overdue(&calendar, t0()),
            overdue(&old, t0()),
            overdue(&invoice("RE-P"), t0()),
            overdue(&invoice("RE-L"), t0()),
        ],
    )
    .await;
    // Payable by the calendar date 15 February: default from 16 February, stored at intake.
    assert_eq!(stored_default(&store, "RE-C").await, (Some(day(2026, 2, 16)), Some("calendar_date".into())));
    assert_eq!(stored_default(&store, "RE-B").await, (Some(day(2026, 2, 15)), Some("thirty_days".into())));
    // A consumer's plain invoice: no default until a reminder after the due date.
    assert_eq!(stored_default(&store, "RE-P").await, (None, None));
    assert_eq!(stored_default(&store, "RE-L").await, (None, None));

    // First reminders on 2 March: RE-P by email (received that day: default from 3 March), RE-L by
    // letter (received 4 days after posting, 6 March: default from 7 March).
    let first = plan_reminders(
        &store,
        t0(),
        &[
            ("RE-C", ChannelKind::Email, t0() + hours(1)),
            ("RE-B", ChannelKind::Email, t0() + hours(1)),
            ("RE-P", ChannelKind::Email, t0() + hours(1)),
            ("RE-L", ChannelKind::Letter, t0() + hours(1)),
        ],
    )
    .await;
    send(&store, t0() + hours(2), &first).await;
    assert_eq!(stored_default(&store, "RE-P").await, (Some(day(2026, 3, 3)), Some("reminder".into())));
    assert_eq!(stored_default(&store, "RE-L").await, (Some(day(2026, 3, 7)), Some("reminder".into())));
    assert_eq!(stored_default(&store, "RE-C").await.0, Some(day(2026, 2, 16)), "a reminder does not move it");
    assert_eq!(stored_default(&store, "RE-B").await.0, Some(day(2026, 2, 15)), "a reminder does not move it");

    // Second reminders on 4 March, by email for RE-L: they move nothing.
    let second = plan_reminders(
        &store,
        t0() + hours(24),
        &[
            ("RE-C", ChannelKind::Email, t0() + hours(48)),
            ("RE-B", ChannelKind::Email, t0() + hours(48)),
            ("RE-P", ChannelKind::Letter, t0() + hours(48)),
            ("RE-L", ChannelKind::Email, t0() + hours(48)),
        ],
    )
    .await;
    send(&store, t0() + hours(48), &second).await;
    assert_eq!(stored_default(&store, "RE-P").await, (Some(day(2026, 3, 3)), Some("reminder".into())));
    assert_eq!(stored_default(&store, "RE-L").await, (Some(day(2026, 3, 7)), Some("reminder".into())));

    // The engine shows the stored date, and computes the same from the facts alone...
    for (number, expected) in [
        ("RE-C", (day(2026, 2, 16), DefaultGround::CalendarDate)),
        ("RE-B", (day(2026, 2, 15), DefaultGround::ThirtyDays)),
        ("RE-P", (day(2026, 3, 3), DefaultGround::Reminder)),
    ] {
        let (stored, facts_only) = claims(&store, number).await;
        assert_eq!(stored.default_on.map(|d| (d.from, d.ground)), Some(expected), "{number}");
        assert_eq!(shown(&stored), Some(expected), "{number}");
        assert_eq!(shown(&facts_only), Some(expected), "{number}");
    }
    // ...except where a later email overtook an earlier letter: the date fixed when the letter
    // went out stands (it never moves), and the engine takes it.
    let (stored, facts_only) = claims(&store, "RE-L").await;
    assert_eq!(shown(&stored), Some((day(2026, 3, 7), DefaultGround::Reminder)));
    assert_eq!(shown(&facts_only), Some((day(2026, 3, 5), DefaultGround::Reminder)));

    // The migration's back-fill of cases stored before the column, run again on these cases with
    // their dates emptied, finds what the engine finds from the facts alone (for RE-L, too).
    let migration = match raw.name() {
        "sqlite" => include_str!("../../../src/store/migrations/sqlite/0035_case_default_on.sql"),
        _ => include_str!("../../../src/store/migrations/postgres/0036_case_default_on.sql"),
    };
    raw.raw_execute("UPDATE cases SET default_on = NULL, default_ground = NULL").await;
    raw.raw_execute(&migration[migration.find("WITH grounds").expect("the back-fill")..]).await;
    for (number, expected) in [
        ("RE-C", (day(2026, 2, 16), "calendar_date")),
        ("RE-B", (day(2026, 2, 15), "thirty_days")),
        ("RE-P", (day(2026, 3, 3), "reminder")),
        ("RE-L", (day(2026, 3, 5), "reminder")),
    ] {
        let back_filled = stored_default(&store, number).await;
        assert_eq!(back_filled, (Some(expected.0), Some(expected.1.to_owned())), "{number}");
    }
}

pub(super) async fn suite_payment_allocations(store: Arc<dyn Store>, _raw: Raw) {
    // 1,000.00 EUR payable by the calendar date 28 February 2026: default from 1 March.
    let owed = Invoice {
        due_on: day(2026, 2, 28),
        terms: by_calendar(),
        ..invoice_for("RE-A", debtor("D-A"), eur("1000.00"))
    };
    intake(&store, &[overdue(&owed, t0())]).await;
    // A reminder emailed on 2 March, in default already: its 2.50 is owed.
    let first = plan_reminders(&store, t0(), &[("RE-A", ChannelKind::Email, t0() + hours(1))]).await;
    send(&store, t0() + hours(2), &first).await;
    // 300.00 paid on 1 April without more: § 367 (1) applies it to the costs, 2.50; the interest,
    // 1 to 31 March on 1,000.00 at 1.27 + 5 = 6.27 %, 1000 x 6.27 % x 31 / 365 = 5.3252 -> 5.33;
    // the rest to principal, 300.00 - 2.50 - 5.33 = 292.17.
    let part = payment("RE-A", Some(eur("300.00")), at("2026-04-01T10:00:00Z"), "part-1");
    assert_eq!(
        store.record_payment(&part, WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
    // Replayed: no second payment and no second allocation.
    assert_eq!(store.record_payment(&part, WINDOW).await.unwrap(), IntakeOutcome::PaymentDuplicate);

    let case_id = case(&store, "RE-A").await.case_id;
    let mut tx = store.begin().await.unwrap();
    let history = tx.case_history(&tenant(), case_id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(history.payments.len(), 1);
    let expected = TimelineAllocation {
        invoice_number: "RE-A".into(),
        rule: "stated".into(),
        costs: dec("2.50"),
        interest: dec("5.33"),
        principal: dec("292.17"),
    };
    assert_eq!(history.payments[0].allocations, [expected]);

    // The claim statement says the same, and so does its PDF.
    let escalated_at = at("2026-04-02T08:00:00Z");
    assert_eq!(plan(&store, escalated_at, &|_| CaseDecision::Escalate).await, 1);
    let mut tx = store.begin().await.unwrap();
    let statements = tx.escalated_statements(Some(&tenant()), None).await.unwrap();
    tx.commit().await.unwrap();
    let statement = &statements[0];
    let claim = &statement.breakdown.claims[0];
    let default = claim.in_default.expect("in default");
    assert_eq!((default.from, default.ground), (day(2026, 3, 1), DefaultGround::CalendarDate));
    let applied = statement.breakdown.payments[0].allocations[0].applied;
    assert_eq!(
        (applied.costs, applied.interest, applied.principal),
        (dec("2.50"), dec("5.33"), dec("292.17"))
    );
    let creditors =
        mahnwerk::deliver::Creditors { by_tenant: BTreeMap::new(), default_email: "x@example.org".into() };
    let (_, pdf) = mahnwerk::handoff::pdf::statement_pdf(statement, &creditors.get(TENANT)).unwrap();
    let Some(text) = crate::email_letter::pdf_text(&pdf) else { return };
    for expected in [
        // (the ground's paragraph wraps onto the next line)
        "In Verzug seit dem 01.03.2026: kalendermäßig bestimmter Zahlungstermin",
        "01.04.2026: 300,00 €, verrechnet auf Kosten 2,50 €, Zinsen 5,33 €, Hauptforderung 292,17 €",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}
