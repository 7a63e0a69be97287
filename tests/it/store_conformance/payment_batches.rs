//! A chunk of payments recorded in one transaction (`pay::record_payments`, as the bank import
//! records a chunk of a statement) stores exactly what recording the same payments one by one
//! (`pay::record`, one transaction each) stores: the same outcomes, rows and events, in the same
//! order, on every backend.

use super::*;
use mahnwerk::domain::legal::statutory_law;
use mahnwerk::domain::{AttributionWindow, InstalmentRules, PaymentSource, PromiseRules};
use mahnwerk::pay::instalments::{choose_instalments, InstalmentChoice, InstalmentOutcome};
use mahnwerk::pay::promise::{promise_to_pay, PromiseOutcome};
use mahnwerk::pay::{record, record_payments, PaymentOutcome};

/// When the payments are recorded.
fn recorded_at() -> DateTime<Utc> {
    t0() + hours(40)
}

fn window() -> AttributionWindow {
    AttributionWindow::hours((WINDOW.as_secs() / 3600) as u32)
}

/// The same history on every store: five dunned cases (a reminder sent, the next scheduled), one
/// of them with a promise, one with an instalment plan, one with a payment recorded already, and
/// a sixth case never reminded.
async fn history(store: &Arc<dyn Store>) {
    dunned(store, &["RE-1", "RE-2", "RE-3", "RE-4", "RE-5"]).await;
    intake(store, &[overdue(&invoice("RE-6"), t0() + hours(2000))]).await;
    let at = t0() + hours(30);
    let case_id = case(store, "RE-2").await.case_id;
    let promised = promise_to_pay(
        store.as_ref(),
        case_id,
        at.date_naive() + chrono::Days::new(5),
        at.date_naive(),
        PromiseRules::default(),
        at,
    );
    assert!(matches!(promised.await.unwrap(), PromiseOutcome::Made { .. }));
    let case_id = case(store, "RE-3").await.case_id;
    let choice = InstalmentChoice { total: dec("100.00"), months: 2, today: at.date_naive() };
    let grace = PromiseRules::default();
    let agreed = choose_instalments(store.as_ref(), case_id, choice, InstalmentRules::default(), grace, at);
    assert!(matches!(agreed.await.unwrap(), InstalmentOutcome::Agreed { .. }));
    let earlier = payment("RE-5", Some(eur("10.00")), t0() + hours(20), "before");
    assert_eq!(
        record(store.as_ref(), &earlier, window(), &statutory_law, t0() + hours(20)).await.unwrap(),
        PaymentOutcome::Recorded { case_closed: false }
    );
}

fn bank(number: &str, amount: Option<&str>, hour: i64, reference: &str) -> PaymentRecord {
    PaymentRecord {
        source: PaymentSource::Bank,
        ..payment(number, amount.map(eur), t0() + hours(hour), reference)
    }
}

/// The chunk, in order, with what each payment does.
fn chunk() -> Vec<(PaymentRecord, PaymentOutcome)> {
    let recorded = |case_closed| PaymentOutcome::Recorded { case_closed };
    let mut amqp_twin = bank("RE-4", Some("1.00"), 31, "shared");
    amqp_twin.source = PaymentSource::Amqp;
    vec![
        // Several payments on one invoice: two parts, a replay of the first, the rest (no
        // amount) closing it with its reminder pending, and money after it closed.
        (bank("RE-1", Some("30.00"), 25, "a"), recorded(false)),
        (bank("RE-1", Some("20.00"), 26, "b"), recorded(false)),
        (bank("RE-1", Some("30.00"), 26, "a"), PaymentOutcome::Duplicate),
        (bank("RE-1", None, 27, "c"), recorded(true)),
        (bank("RE-1", Some("5.00"), 28, "d"), recorded(false)),
        // Overpaid: closes, keeps the promise.
        (bank("RE-2", Some("120.00"), 31, "e"), recorded(true)),
        // Closes, completes the instalment plan.
        (bank("RE-3", None, 32, "f"), recorded(true)),
        (bank("RE-404", Some("1.00"), 29, "g"), PaymentOutcome::UnknownInvoice),
        (
            PaymentRecord { amount: Some(money("1.00", "USD")), ..bank("RE-4", None, 29, "h") },
            PaymentOutcome::CurrencyMismatch { expected: "EUR".into() },
        ),
        // One transfer paying two invoices; the same reference from another source is another
        // payment; a replay of a payment stored before the chunk; the rest of RE-5 closes it.
        (bank("RE-4", Some("10.00"), 30, "shared"), recorded(false)),
        (bank("RE-5", Some("60.00"), 30, "shared"), recorded(false)),
        (amqp_twin, recorded(false)),
        (bank("RE-5", Some("10.00"), 30, "before"), recorded(false)),
        (
            PaymentRecord { source: PaymentSource::Amqp, ..bank("RE-5", Some("10.00"), 30, "before") },
            PaymentOutcome::Duplicate,
        ),
        (bank("RE-5", Some("20.00"), 33, "i"), recorded(true)),
        // A case never reminded, paid in full.
        (bank("RE-6", Some("100.00"), 34, "j"), recorded(true)),
        (bank("RE-6", Some("100.00"), 35, "j"), PaymentOutcome::Duplicate),
    ]
}

/// What the payments left in the database, table by table, as text.
async fn stored(raw: &Raw) -> Vec<(&'static str, Vec<String>)> {
    let text = |column: &str| format!("COALESCE(CAST({column} AS TEXT), '-')");
    let row = |columns: &[&str]| columns.iter().map(|c| text(c)).collect::<Vec<_>>().join(" || '|' || ");
    let tables = [
        (
            "payments",
            "id",
            &[
                "id",
                "tenant",
                "invoice_id",
                "amount",
                "currency",
                "paid_at",
                "source",
                "reference",
                "recorded_at",
            ][..],
        ),
        ("invoices", "id", &["id", "amount_paid"][..]),
        ("cases", "id", &["id", "state", "stages_planned", "next_action_at", "updated_at"][..]),
        ("reminders", "id", &["id", "status", "reward", "lease_until", "updated_at"][..]),
        ("events", "id", &["id", "at", "kind", "case_id", "data"][..]),
        ("promises", "id", &["id", "state", "ended_at"][..]),
        ("instalments", "case_id, seq", &["case_id", "seq", "state", "ended_at"][..]),
        ("paid_cases", "case_id", &["case_id", "paid_at", "handled_at"][..]),
    ];
    let mut all = Vec::new();
    for (table, order, columns) in tables {
        all.push((
            table,
            raw.raw_strings(&format!("SELECT {} FROM {table} ORDER BY {order}", row(columns))).await,
        ));
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_of_payments_stores_what_recording_them_one_by_one_stores() {
    let (payments, expected): (Vec<PaymentRecord>, Vec<PaymentOutcome>) = chunk().into_iter().unzip();
    let mut pairs = vec![(db::sqlite().await, db::sqlite().await)];
    if let (Some(one), Some(batch)) = (db::postgres().await, db::postgres().await) {
        pairs.push((one, batch));
    }
    for (one_by_one, batched) in pairs {
        let backend = one_by_one.name();
        history(&one_by_one.store).await;
        history(&batched.store).await;
        let before = stored(&batched.raw).await;
        assert_eq!(stored(&one_by_one.raw).await, before, "[{backend}] the same history");

        let mut outcomes = Vec::new();
        for payment in &payments {
            outcomes.push(
                record(one_by_one.store.as_ref(), payment, window(), &statutory_law, recorded_at())
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(outcomes, expected, "[{backend}] one by one");
        let mut tx = batched.store.begin().await.unwrap();
        let outcomes =
            record_payments(tx.as_mut(), &payments, window(), &statutory_law, recorded_at()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(outcomes, expected, "[{backend}] in one chunk");

        let after = stored(&batched.raw).await;
        assert_ne!(after, before, "[{backend}] the chunk changed something");
        for ((table, one), (_, chunk)) in stored(&one_by_one.raw).await.into_iter().zip(after) {
            assert_eq!(one, chunk, "[{backend}] {table}: one by one (left) against one chunk (right)");
        }
        // What the rule says, seen once: RE-1 closed by its third payment, its sent reminder
        // credited and its scheduled one cancelled.
        let view = case(&batched.store, "RE-1").await;
        assert_eq!((view.state, view.amount_paid), (CaseState::Paid, dec("105.00")), "[{backend}]");
        let written = reminders(&batched.store, "RE-1").await;
        assert_eq!(
            written.iter().map(|r| (r.status, r.reward)).collect::<Vec<_>>(),
            [(ReminderStatus::Sent, Some(1.0)), (ReminderStatus::Cancelled, None)],
            "[{backend}]"
        );
    }
}
