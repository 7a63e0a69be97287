//! The store conformance suite: every behaviour of the `Store` trait, checked the same way on
//! SQLite (always) and on PostgreSQL (when `MAHNWERK_TEST_DATABASE_URL` is set; see
//! `support::db`). Each `suite_*` function is generic over `Arc<dyn Store>`; the test functions
//! run it on a fresh database per backend, and failures name the backend.

mod consents;
mod dispatch;
mod events;
mod late;
mod sent_events;
use crate::support;
use consents::{suite_consents, suite_consents_once, suite_receipts};
use dispatch::suite_dispatch;
use events::suite_events_on_the_broker;
use late::{suite_late_failures, suite_late_opt_out};
use sent_events::suite_sent_events;

use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use mahnwerk::domain::{
    CaseState, ChannelKind, CountryCode, Currency, Debtor, DebtorId, DebtorKind, Email, Invoice, InvoiceLine,
    InvoiceNumber, Language, Money, PhoneE164, PostalAddress, TenantId, Timezone, Tone,
};
use mahnwerk::intake::{IntakeCommand, IntakeOutcome};
use mahnwerk::pay::PaymentRecord;
use mahnwerk::store::{
    idempotency_key, CaseDecision, CaseView, ClaimedReminder, DeliveryReport, DeliveryResult, DueCase,
    EventBatch, NewReminder, Rejection, ReminderStatus, ReminderView, Store,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::db::{self, Raw};
use support::rules::Rules;

const TENANT: &str = "acme";
const PLAN: &str = "standard-b2c";
const WINDOW: Duration = Duration::from_secs(72 * 3600);
const LEASE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Test functions: each behaviour on every backend.

macro_rules! on_every_backend {
    ($($test:ident => $suite:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let stores = db::stores().await;
            db::run_suite(&stores, stringify!($suite), $suite).await;
        }
    )*};
}

on_every_backend! {
    intake_creates_once_and_upserts_debtors => suite_intake,
    planning_writes_reminders_and_moves_cases => suite_plan,
    claiming_leases_due_reminders => suite_claim,
    delivery_jobs_and_reports => suite_delivery,
    payments_close_cancel_and_credit => suite_payment,
    outcomes_become_events_and_snapshots_are_kept => suite_learning,
    cancellation_closes_cases => suite_cancel,
    rejections_and_stats => suite_stats,
    money_round_trips_exactly => suite_money,
    times_compare_to_the_microsecond => suite_times,
    concurrent_intake_creates_each_invoice_once => suite_concurrent_intake,
    a_dead_address_replans_the_stage => suite_fallback,
    the_consent_ledger_decides_and_only_grows => suite_consents,
    a_retried_consent_event_is_recorded_once => suite_consents_once,
    receipts_match_provider_ids_and_only_move_forward => suite_receipts,
    an_opt_out_after_planning_replans_the_stage => suite_late_opt_out,
    a_late_dead_address_receipt_replans_the_stage => suite_late_failures,
    a_delivery_batch_is_one_sent_event_per_tenant_and_channel => suite_sent_events,
    dispatching_publishes_then_queues => suite_dispatch,
    every_event_says_whom_it_is_about_on_the_broker => suite_events_on_the_broker,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_planners_never_share_a_case() {
    let Some(store) = db::postgres().await else { return };
    db::run_suite(&[store], "suite_concurrent_plan", suite_concurrent_plan).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_dispatchers_never_share_a_reminder() {
    let Some(store) = db::postgres().await else { return };
    db::run_suite(&[store], "suite_concurrent_claim", suite_concurrent_claim).await;
}

// ---------------------------------------------------------------------------------------------
// Domain values.

fn at(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw).expect("an RFC 3339 time").with_timezone(&Utc)
}

/// The time everything starts at; whole seconds, so both backends keep it exactly.
fn t0() -> DateTime<Utc> {
    at("2026-03-02T08:00:00Z")
}

fn hours(n: i64) -> Span {
    Span::hours(n)
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("a currency")
}

fn money(raw: &str, code: &str) -> Money {
    Money::parse(raw, currency(code)).expect("an amount")
}

fn eur(raw: &str) -> Money {
    money(raw, "EUR")
}

fn dec(raw: &str) -> Decimal {
    Decimal::from_str(raw).expect("a decimal")
}

fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

fn number(raw: &str) -> InvoiceNumber {
    InvoiceNumber::parse(raw).unwrap()
}

/// A debtor reachable on every medium but Messenger.
fn debtor(id: &str) -> Debtor {
    Debtor {
        id: DebtorId::parse(id).unwrap(),
        kind: DebtorKind::Consumer,
        name: "Erika Mustermann".into(),
        language: Language::parse("de").unwrap(),
        timezone: Timezone::parse("Europe/Berlin").unwrap(),
        email: Some(Email::parse("erika@example.org").unwrap()),
        phone: Some(PhoneE164::parse("+4915112345678").unwrap()),
        whatsapp: Some(PhoneE164::parse("+4915112345678").unwrap()),
        whatsapp_opt_in: true,
        messenger_psid: None,
        address: Some(
            PostalAddress::parse(
                "Musterstr. 1",
                Some("Hinterhaus"),
                "10115",
                "Berlin",
                CountryCode::parse("DE").unwrap(),
            )
            .unwrap(),
        ),
        unreachable: Default::default(),
    }
}

fn invoice_for(invoice_number: &str, debtor: Debtor, amount: Money) -> Invoice {
    Invoice {
        tenant: tenant(),
        number: number(invoice_number),
        issued_on: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        due_on: NaiveDate::from_ymd_opt(2026, 2, 15).unwrap(),
        amount_due: amount,
        lines: Vec::new(),
        debtor,
        plan: Some(PLAN.into()),
    }
}

/// An invoice of 100.00 EUR owed by a debtor named after the invoice.
fn invoice(invoice_number: &str) -> Invoice {
    invoice_for(invoice_number, debtor(&format!("D-{invoice_number}")), eur("100.00"))
}

fn overdue(invoice: &Invoice, received_at: DateTime<Utc>) -> IntakeCommand {
    IntakeCommand::Overdue { invoice: invoice.clone(), plan: PLAN.into(), received_at }
}

fn payment(
    invoice_number: &str,
    amount: Option<Money>,
    paid_at: DateTime<Utc>,
    reference: &str,
) -> PaymentRecord {
    PaymentRecord {
        tenant: tenant(),
        invoice_number: number(invoice_number),
        amount,
        paid_at,
        source: "amqp".into(),
        reference: reference.into(),
    }
}

fn new_reminder(
    case: &DueCase,
    channel: ChannelKind,
    send_at: DateTime<Utc>,
    next_action_at: DateTime<Utc>,
) -> NewReminder {
    NewReminder {
        stage: case.stages_planned,
        stage_name: format!("Stufe {}", case.stages_planned + 1),
        tone: Tone::Firm,
        fee: dec("2.50"),
        channel,
        send_at,
        local_hour: 9,
        context: serde_json::json!({"stage": case.stages_planned, "segment": "b2c"}),
        allowed: serde_json::json!({"channels": [channel.as_str(), "letter"], "hours": [9, 18]}),
        propensity: 0.25,
        policy_version: "test-1".into(),
        next_action_at,
    }
}

// ---------------------------------------------------------------------------------------------
// Store helpers.

async fn intake(store: &Arc<dyn Store>, commands: &[IntakeCommand]) -> Vec<IntakeOutcome> {
    store.apply_intake(commands).await.expect("apply_intake")
}

async fn case(store: &Arc<dyn Store>, invoice_number: &str) -> CaseView {
    store
        .case_by_invoice(TENANT, invoice_number)
        .await
        .expect("case_by_invoice")
        .unwrap_or_else(|| panic!("no case for {invoice_number}"))
}

async fn reminders(store: &Arc<dyn Store>, invoice_number: &str) -> Vec<ReminderView> {
    store.reminders_of(TENANT, invoice_number).await.expect("reminders_of")
}

async fn status_of(store: &Arc<dyn Store>, invoice_number: &str, stage: u32) -> ReminderStatus {
    reminders(store, invoice_number)
        .await
        .into_iter()
        .find(|r| r.stage == stage)
        .unwrap_or_else(|| panic!("{invoice_number} has no reminder of stage {stage}"))
        .status
}

async fn claim(store: &Arc<dyn Store>, now: DateTime<Utc>, limit: u32) -> Vec<ClaimedReminder> {
    let mut claimed = store.claim_due_reminders(now, limit, LEASE).await.expect("claim_due_reminders");
    claimed.sort_by_key(|c| c.id);
    claimed
}

/// The relay's next batch, asked for again while none is ready: on PostgreSQL an event becomes
/// readable once every older transaction in the cluster has ended (other tests' included), and a
/// dropped batch's rollback runs when its connection is back in the pool.
async fn next_events(store: &Arc<dyn Store>, limit: u32) -> EventBatch {
    for _ in 0..400 {
        if let Some(batch) = store.next_events(limit).await.expect("next_events") {
            return batch;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no events were ready for the relay within 10 s");
}

async fn plan(
    store: &Arc<dyn Store>,
    now: DateTime<Utc>,
    decide: &(dyn Fn(&DueCase) -> CaseDecision + Send + Sync),
) -> usize {
    store.plan_due_cases(now, 1000, decide).await.expect("plan_due_cases")
}

async fn report(store: &Arc<dyn Store>, now: DateTime<Utc>, reports: Vec<(i64, DeliveryResult)>) {
    let reports: Vec<DeliveryReport> =
        reports.into_iter().map(|(reminder_id, result)| DeliveryReport { reminder_id, result }).collect();
    store.record_deliveries(&reports, now).await.expect("record_deliveries");
}

fn sent(provider_id: &str) -> DeliveryResult {
    DeliveryResult::Sent { provider_id: provider_id.into() }
}

/// Plans the next stage of exactly the cases of `plans` (invoice number, channel, send time) at
/// `now`, with their next action a day later; any other due case fails the test. Returns the
/// new reminders' ids in the order of `plans`.
async fn plan_reminders(
    store: &Arc<dyn Store>,
    now: DateTime<Utc>,
    plans: &[(&str, ChannelKind, DateTime<Utc>)],
) -> Vec<i64> {
    let by_number: BTreeMap<String, (ChannelKind, DateTime<Utc>)> =
        plans.iter().map(|(n, c, s)| (n.to_string(), (*c, *s))).collect();
    let decide = |case: &DueCase| {
        let Some(&(channel, send_at)) = by_number.get(case.invoice_number.as_str()) else {
            panic!("{} should not be due at {now}", case.invoice_number)
        };
        CaseDecision::Remind(new_reminder(case, channel, send_at, now + hours(24)))
    };
    let decided = plan(store, now, &decide).await;
    assert_eq!(decided, plans.len(), "cases decided at {now}");
    let mut ids = Vec::new();
    for (number, _, _) in plans {
        let latest = reminders(store, number).await.into_iter().max_by_key(|r| r.stage);
        ids.push(latest.unwrap_or_else(|| panic!("{number} got no reminder")).id);
    }
    ids
}

/// Takes reminders through dispatch and records them sent at `now`.
async fn send(store: &Arc<dyn Store>, now: DateTime<Utc>, ids: &[i64]) {
    let claimed: BTreeSet<i64> = claim(store, now, 1000).await.into_iter().map(|c| c.id).collect();
    for id in ids {
        assert!(claimed.contains(id), "reminder {id} was not due at {now}");
    }
    store.mark_queued(ids).await.expect("mark_queued");
    report(store, now, ids.iter().map(|&id| (id, sent(&format!("provider-{id}")))).collect()).await;
}

// ---------------------------------------------------------------------------------------------
// 1. Intake.

async fn suite_intake(store: Arc<dyn Store>, raw: Raw) {
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

    // Lines are stored once, in order.
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM invoice_lines").await, 2);
    assert_eq!(
        raw.raw_strings("SELECT description FROM invoice_lines ORDER BY position").await,
        ["Wartung", "Anfahrt"]
    );
    assert_eq!(
        raw.raw_strings("SELECT COALESCE(sku, '-') FROM invoice_lines ORDER BY position").await,
        ["A-1", "-"]
    );
    let quantities =
        raw.raw_strings("SELECT CAST(quantity AS TEXT) FROM invoice_lines ORDER BY position").await;
    let prices =
        raw.raw_strings("SELECT CAST(unit_price AS TEXT) FROM invoice_lines ORDER BY position").await;
    assert_eq!(quantities.iter().map(|q| dec(q)).collect::<Vec<_>>(), [dec("2"), dec("1")]);
    assert_eq!(prices.iter().map(|p| dec(p)).collect::<Vec<_>>(), [dec("40.00"), dec("20.00")]);
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM debtors").await, 2);
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM invoices").await, 3);

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
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM debtors").await, 3);
    let names = raw.raw_strings("SELECT name FROM debtors WHERE id = 'C-1' ORDER BY tenant").await;
    assert_eq!(names, ["Erika Musterfrau", "Someone Else"]);
    assert_eq!(store.stats().await.unwrap().cases.total, 4);
}

// ---------------------------------------------------------------------------------------------
// 2. Planning due cases.

async fn suite_plan(store: Arc<dyn Store>, _raw: Raw) {
    assert_eq!(store.next_due_at().await.unwrap(), None, "an empty store has nothing due");
    intake(
        &store,
        &[
            overdue(&invoice("RE-1"), t0()),
            overdue(&invoice("RE-2"), t0() + hours(48)),
            overdue(&invoice("RE-3"), t0()),
            overdue(&invoice("RE-4"), t0()),
        ],
    )
    .await;
    assert_eq!(store.next_due_at().await.unwrap(), Some(t0()));

    let now = t0() + hours(1);
    let seen = Mutex::new(Vec::new());
    let decide = |case: &DueCase| {
        seen.lock().unwrap().push((case.invoice_number.to_string(), case.state, case.stages_planned));
        match case.invoice_number.as_str() {
            "RE-1" => {
                CaseDecision::Remind(new_reminder(case, ChannelKind::Sms, now + hours(2), now + hours(168)))
            }
            "RE-3" => CaseDecision::Wait { until: now + hours(24) },
            "RE-4" => CaseDecision::Escalate,
            other => panic!("{other} is not due at {now}"),
        }
    };
    assert_eq!(plan(&store, now, &decide).await, 3);
    let mut seen = seen.into_inner().unwrap();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("RE-1".to_string(), CaseState::Open, 0),
            ("RE-3".to_string(), CaseState::Open, 0),
            ("RE-4".to_string(), CaseState::Open, 0),
        ]
    );

    // Remind: one scheduled reminder as decided; the case moves on.
    let written = reminders(&store, "RE-1").await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(
        written[0],
        ReminderView {
            id: written[0].id,
            stage: 0,
            channel: ChannelKind::Sms,
            status: ReminderStatus::Scheduled,
            send_at: now + hours(2),
            sent_at: None,
            provider_id: None,
            reward: None,
            policy_version: "test-1".into(),
            receipt_status: None,
            receipt_at: None,
        }
    );
    let view = case(&store, "RE-1").await;
    assert_eq!(
        (view.state, view.stages_planned, view.next_action_at),
        (CaseState::Reminding, 1, Some(now + hours(168)))
    );
    // Wait: only the time moves.
    let view = case(&store, "RE-3").await;
    assert_eq!(
        (view.state, view.stages_planned, view.next_action_at),
        (CaseState::Open, 0, Some(now + hours(24)))
    );
    assert!(reminders(&store, "RE-3").await.is_empty());
    // Escalate: handed over, never due again.
    let view = case(&store, "RE-4").await;
    assert_eq!((view.state, view.stages_planned, view.next_action_at), (CaseState::Escalated, 0, None));
    assert!(reminders(&store, "RE-4").await.is_empty());
    // Not yet due: untouched.
    let view = case(&store, "RE-2").await;
    assert_eq!((view.state, view.next_action_at), (CaseState::Open, Some(t0() + hours(48))));

    // Nothing is due any more at the same time.
    let nothing = |case: &DueCase| -> CaseDecision { panic!("{} decided twice", case.invoice_number) };
    assert_eq!(plan(&store, now, &nothing).await, 0);
    assert_eq!(store.next_due_at().await.unwrap(), Some(now + hours(2)), "the reminder's send time is next");

    // The limit caps one call; the earliest due case goes first.
    let later = t0() + hours(72);
    let order = Mutex::new(Vec::new());
    let wait = |case: &DueCase| {
        order.lock().unwrap().push(case.invoice_number.to_string());
        CaseDecision::Wait { until: later + hours(1000) }
    };
    assert_eq!(store.plan_due_cases(later, 1, &wait).await.unwrap(), 1);
    assert_eq!(store.plan_due_cases(later, 1, &wait).await.unwrap(), 1);
    assert_eq!(store.plan_due_cases(later, 1, &wait).await.unwrap(), 0);
    assert_eq!(order.into_inner().unwrap(), ["RE-3", "RE-2"], "earliest next action first");

    // The next stage of RE-1, a week later: the case arrives with one stage planned.
    let week = now + hours(168);
    let stage_two = |case: &DueCase| {
        assert_eq!(case.invoice_number.as_str(), "RE-1");
        assert_eq!((case.state, case.stages_planned), (CaseState::Reminding, 1));
        CaseDecision::Remind(new_reminder(case, ChannelKind::Letter, week + hours(1), week + hours(168)))
    };
    assert_eq!(plan(&store, week, &stage_two).await, 1);
    let written = reminders(&store, "RE-1").await;
    assert_eq!(
        written.iter().map(|r| (r.stage, r.channel)).collect::<Vec<_>>(),
        [(0, ChannelKind::Sms), (1, ChannelKind::Letter)]
    );
    assert_eq!(case(&store, "RE-1").await.stages_planned, 2);

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cases.by_state["reminding"], 1);
    assert_eq!(stats.cases.by_state["escalated"], 1);
    assert_eq!(stats.cases.by_state["open"], 2);
    assert_eq!(stats.reminders.by_status["scheduled"], 2);
    assert_eq!(stats.reminders.by_stage.get("1"), Some(&1));
    assert_eq!(stats.reminders.by_stage.get("2"), Some(&1));
}

// ---------------------------------------------------------------------------------------------
// 3. Claiming due reminders.

async fn suite_claim(store: Arc<dyn Store>, _raw: Raw) {
    let numbers = ["RE-1", "RE-2", "RE-3", "RE-4", "RE-5"];
    let commands: Vec<_> = numbers.iter().map(|n| overdue(&invoice(n), t0())).collect();
    intake(&store, &commands).await;
    let ids = plan_reminders(
        &store,
        t0(),
        &[
            ("RE-1", ChannelKind::Email, t0() + hours(1)),
            ("RE-2", ChannelKind::Sms, t0() + hours(3)),
            ("RE-3", ChannelKind::Letter, t0() + hours(10)),
            ("RE-4", ChannelKind::Letter, t0() + hours(10)),
            ("RE-5", ChannelKind::Whatsapp, t0() + hours(10)),
        ],
    )
    .await;
    let (r1, r2) = (ids[0], ids[1]);

    assert!(claim(&store, t0(), 10).await.is_empty(), "nothing is due before its send time");
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await, [ClaimedReminder { id: r1, channel: ChannelKind::Email }]);
    assert_eq!(status_of(&store, "RE-1", 0).await, ReminderStatus::Scheduled, "leased, still scheduled");
    assert_eq!(status_of(&store, "RE-2", 0).await, ReminderStatus::Scheduled);
    assert_eq!(store.next_due_at().await.unwrap(), Some(now + Span::seconds(60)), "the lease's end is due");

    // Leased: not claimed again until the lease runs out.
    assert!(claim(&store, now + Span::seconds(30), 10).await.is_empty());
    assert!(claim(&store, now + Span::seconds(60), 10).await.is_empty(), "the lease runs to its end");
    let after_lease = now + Span::seconds(61);
    assert_eq!(
        claim(&store, after_lease, 10).await,
        [ClaimedReminder { id: r1, channel: ChannelKind::Email }]
    );

    // Queued reminders are not claimed again; only leased ones are marked queued.
    store.mark_queued(&[r1, r2]).await.unwrap();
    assert_eq!(status_of(&store, "RE-1", 0).await, ReminderStatus::Queued);
    assert_eq!(status_of(&store, "RE-2", 0).await, ReminderStatus::Scheduled, "not claimed, not queued");
    store.mark_queued(&[]).await.unwrap();
    assert!(claim(&store, after_lease + Span::seconds(3600 * 24), 0).await.is_empty(), "limit 0");
    assert!(claim(&store, now + Span::seconds(200), 10).await.is_empty());
    assert_eq!(
        claim(&store, t0() + hours(4), 10).await,
        [ClaimedReminder { id: r2, channel: ChannelKind::Sms }]
    );
    store.mark_queued(&[r2]).await.unwrap();

    // The limit caps one claim.
    let late = t0() + hours(11);
    let first = claim(&store, late, 2).await;
    let second = claim(&store, late, 2).await;
    assert_eq!((first.len(), second.len()), (2, 1), "{first:?} then {second:?}");
    let all: BTreeSet<i64> = first.iter().chain(&second).map(|c| c.id).collect();
    assert_eq!(all, ids[2..].iter().copied().collect(), "each due reminder exactly once");
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.by_status["scheduled"], 3);
    assert_eq!(stats.reminders.by_status["queued"], 2);
}

// ---------------------------------------------------------------------------------------------
// 4. Delivery jobs and reports.

async fn suite_delivery(store: Arc<dyn Store>, _raw: Raw) {
    let numbers = ["RE-1", "RE-2", "RE-3", "RE-4"];
    let invoices: Vec<Invoice> =
        numbers.iter().map(|n| invoice_for(n, debtor("C-1"), eur("250.00"))).collect();
    intake(&store, &invoices.iter().map(|i| overdue(i, t0())).collect::<Vec<_>>()).await;
    let send_at = t0() + hours(1);
    let ids = plan_reminders(
        &store,
        t0(),
        &numbers.iter().map(|n| (*n, ChannelKind::Email, send_at)).collect::<Vec<_>>(),
    )
    .await;

    assert!(store.delivery_jobs(&[]).await.unwrap().is_empty());
    let jobs = store.delivery_jobs(&[ids[0], 999_999, ids[0]]).await.unwrap();
    assert_eq!(jobs.len(), 1, "unknown ids are left out, a repeated one gives one job");
    let job = &jobs[0];
    let case_id = case(&store, "RE-1").await.case_id;
    assert_eq!(job.reminder_id, ids[0]);
    assert_eq!(job.idempotency_key, format!("rem-{case_id}-0"));
    assert_eq!(job.idempotency_key, idempotency_key(case_id, 0));
    assert_eq!(job.status, ReminderStatus::Scheduled);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.channel, ChannelKind::Email);
    assert_eq!(job.stage, 0);
    assert_eq!(job.stage_name, "Stufe 1");
    assert_eq!(job.tone, Tone::Firm);
    assert_eq!(job.fee, dec("2.50"));
    assert_eq!(job.case_state, CaseState::Reminding);
    assert_eq!(job.tenant, tenant());
    assert_eq!(job.invoice_number, number("RE-1"));
    assert_eq!(job.due_on, invoices[0].due_on);
    assert_eq!(job.amount_due, eur("250.00"));
    assert_eq!(job.amount_paid, Decimal::ZERO);
    assert_eq!(job.debtor, debtor("C-1"));
    let all = store.delivery_jobs(&ids).await.unwrap();
    assert_eq!(all.iter().map(|j| j.reminder_id).collect::<BTreeSet<_>>(), ids.iter().copied().collect());
    let keys: BTreeSet<&str> = all.iter().map(|j| j.idempotency_key.as_str()).collect();
    assert_eq!(keys.len(), 4, "idempotency keys are unique");

    // Through dispatch, then one report of each kind.
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await.len(), 4);
    store.mark_queued(&ids).await.unwrap();
    let retry_at = now + hours(6);
    report(
        &store,
        now,
        vec![
            (ids[0], sent("provider-1")),
            (ids[1], DeliveryResult::Retry { error: "timeout".into(), retry_at }),
            (ids[2], DeliveryResult::Failed { error: "mailbox unknown".into() }),
            (ids[3], DeliveryResult::Skipped { reason: "case paid".into() }),
        ],
    )
    .await;

    let view = |number: &'static str| {
        let store = Arc::clone(&store);
        async move { reminders(&store, number).await.remove(0) }
    };
    let r = view("RE-1").await;
    assert_eq!(
        (r.status, r.provider_id.as_deref(), r.sent_at),
        (ReminderStatus::Sent, Some("provider-1"), Some(now))
    );
    let r = view("RE-2").await;
    assert_eq!((r.status, r.send_at, r.sent_at), (ReminderStatus::Scheduled, retry_at, None));
    assert_eq!(view("RE-3").await.status, ReminderStatus::Failed);
    assert_eq!(view("RE-4").await.status, ReminderStatus::Skipped);
    let attempts: BTreeMap<i64, u32> =
        store.delivery_jobs(&ids).await.unwrap().into_iter().map(|j| (j.reminder_id, j.attempts)).collect();
    assert_eq!(attempts[&ids[0]], 1, "sent");
    assert_eq!(attempts[&ids[1]], 1, "retried");
    assert_eq!(attempts[&ids[2]], 1, "failed");

    // Reports for reminders that do not exist change nothing and fail nothing.
    report(&store, now, vec![(999_999, sent("provider-x"))]).await;

    // Late or repeated reports do not undo an outcome.
    report(
        &store,
        now + hours(1),
        vec![
            (ids[0], sent("provider-2")),
            (ids[2], DeliveryResult::Retry { error: "late".into(), retry_at }),
            (ids[3], sent("provider-3")),
        ],
    )
    .await;
    let r = view("RE-1").await;
    assert_eq!((r.provider_id.as_deref(), r.sent_at), (Some("provider-1"), Some(now)), "a replayed send");
    assert_eq!(view("RE-3").await.status, ReminderStatus::Failed);
    // A skipped reminder that was in fact sent is recorded as sent: it did go out.
    assert_eq!(view("RE-4").await.status, ReminderStatus::Sent);

    // The retried reminder comes due again at its new time, with the same key.
    assert!(claim(&store, retry_at - Span::seconds(1), 10).await.is_empty());
    assert_eq!(
        claim(&store, retry_at, 10).await,
        [ClaimedReminder { id: ids[1], channel: ChannelKind::Email }]
    );
    let again = store.delivery_jobs(&[ids[1]]).await.unwrap().remove(0);
    assert_eq!(again.idempotency_key, idempotency_key(case(&store, "RE-2").await.case_id, 0));
    assert_eq!(again.status, ReminderStatus::Scheduled);

    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.by_status["sent"], 2);
    assert_eq!(stats.reminders.by_status["scheduled"], 1);
    assert_eq!(stats.reminders.by_status["failed"], 1);
    assert_eq!(stats.reminders.by_channel.get("email"), Some(&4));
}

// ---------------------------------------------------------------------------------------------
// 5. Payments.

/// Intakes `numbers` at t0, sends each a first reminder at t0+1h, and plans a second one (at
/// t0+1d, to go out at t0+2d) that is still scheduled. Returns (sent, scheduled) reminder ids.
async fn dunned(store: &Arc<dyn Store>, numbers: &[&str]) -> Vec<(i64, i64)> {
    intake(store, &numbers.iter().map(|n| overdue(&invoice(n), t0())).collect::<Vec<_>>()).await;
    let first: Vec<_> = numbers.iter().map(|n| (*n, ChannelKind::Email, t0() + hours(1))).collect();
    let first = plan_reminders(store, t0(), &first).await;
    send(store, t0() + hours(1), &first).await;
    let second: Vec<_> = numbers.iter().map(|n| (*n, ChannelKind::Letter, t0() + hours(48))).collect();
    let second = plan_reminders(store, t0() + hours(24), &second).await;
    first.into_iter().zip(second).collect()
}

async fn suite_payment(store: Arc<dyn Store>, _raw: Raw) {
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

// ---------------------------------------------------------------------------------------------
// 6. Cancellation.

// ---------------------------------------------------------------------------------------------
// 5b. The learning loop: outcomes as events, the events outbox, policy snapshots.

async fn suite_learning(store: Arc<dyn Store>, raw: Raw) {
    let ids = dunned(&store, &["RE-1", "RE-2", "RE-3"]).await;
    let sent_at = t0() + hours(1);

    // A payment inside the window: reward 1 and its event, in the payment's transaction.
    let paid = payment("RE-1", None, t0() + hours(25), "ref-1");
    store.record_payment(&paid, WINDOW).await.unwrap();

    // Windows still open settle nothing; once closed, the unpaid reminders get reward 0, once.
    assert_eq!(store.settle_outcomes(sent_at + hours(71), WINDOW, 100).await.unwrap(), 0);
    let closed = sent_at + hours(73);
    assert_eq!(store.settle_outcomes(closed, WINDOW, 1).await.unwrap(), 1, "the limit holds");
    assert_eq!(store.settle_outcomes(closed, WINDOW, 100).await.unwrap(), 1);
    assert_eq!(store.settle_outcomes(closed + hours(100), WINDOW, 100).await.unwrap(), 0);
    for (number, reward) in [("RE-1", 1.0), ("RE-2", 0.0), ("RE-3", 0.0)] {
        let first = reminders(&store, number).await.into_iter().find(|r| r.stage == 0).unwrap();
        assert_eq!(first.reward, Some(reward), "{number}");
    }

    // Every outcome is one event, a decision-log line, handed to the relay oldest first (on
    // PostgreSQL a batch may stop short while other transactions in the cluster are still
    // running: it is asked for again until it holds all three outcomes).
    let mut batch = next_events(&store, 100).await;
    for _ in 0..400 {
        if batch.events.iter().filter(|e| e.kind == "reminder.outcome").count() == 3 {
            break;
        }
        drop(batch);
        tokio::time::sleep(Duration::from_millis(25)).await;
        batch = next_events(&store, 100).await;
    }
    let events = batch.events.clone();
    let outcomes: Vec<&mahnwerk::store::EventRecord> =
        events.iter().filter(|e| e.kind == "reminder.outcome").collect();
    assert_eq!(outcomes.len(), 3, "{events:?}");
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    let lines: Vec<serde_json::Value> =
        outcomes.iter().map(|e| serde_json::from_str(&e.data).unwrap()).collect();
    let first = &lines[0];
    assert_eq!(first["reminder_id"], serde_json::json!(ids[0].0));
    assert_eq!(first["debtor"], "acme/D-RE-1");
    assert_eq!((first["channel"].as_str(), first["hour"].as_i64()), (Some("email"), Some(9)));
    assert_eq!((first["reward"].as_f64(), first["propensity"].as_f64()), (Some(1.0), Some(0.25)));
    assert_eq!(first["policy_version"], "test-1");
    assert_eq!(first["context"]["segment"], "b2c");
    assert_eq!(first["channels"], serde_json::json!(["email", "letter"]), "the arms it chose among");
    assert_eq!(first["hours"], serde_json::json!([9, 18]));
    let rewards: Vec<f64> = lines.iter().map(|l| l["reward"].as_f64().unwrap()).collect();
    assert_eq!(rewards, [1.0, 0.0, 0.0]);
    let logged: mahnwerk_models::bandit::LoggedDecision = serde_json::from_value(first.clone()).unwrap();
    assert_eq!((logged.channel.as_str(), logged.hour, logged.reward), ("email", 9, Some(1.0)));

    // While one relay holds a batch, no other gets events; a batch dropped unpublished (the
    // publish failed) comes again whole; a published one never again, and what follows it does.
    assert!(store.next_events(100).await.unwrap().is_none(), "one relay at a time");
    drop(batch);
    let again = next_events(&store, 100).await;
    assert_eq!(again.events, events);
    let (head, tail) = events.split_at(2);
    drop(again);
    let first_two = next_events(&store, 2).await;
    assert_eq!(first_two.events, head);
    first_two.published().await.unwrap();
    let rest = next_events(&store, 100).await;
    assert_eq!(rest.events, tail);
    rest.published().await.unwrap();
    assert!(store.next_events(100).await.unwrap().is_none(), "everything went out");

    // Snapshots: versions grow, the newest is served, only the last few are kept.
    assert_eq!(store.latest_policy_version().await.unwrap(), None);
    assert!(store.latest_policy_snapshot().await.unwrap().is_none());
    let mut versions = Vec::new();
    for n in 0..(mahnwerk::store::SNAPSHOTS_KEPT + 2) {
        versions.push(store.save_policy_snapshot(closed, n * 10, &format!("{{\"n\":{n}}}")).await.unwrap());
    }
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let latest = store.latest_policy_snapshot().await.unwrap().unwrap();
    assert_eq!(Some(latest.version), store.latest_policy_version().await.unwrap());
    assert_eq!(latest.version, *versions.last().unwrap());
    assert_eq!((latest.updates, latest.body.as_str(), latest.created_at), (110, "{\"n\":11}", closed));
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM policy_snapshots").await, mahnwerk::store::SNAPSHOTS_KEPT);

    // A deleted relay cursor is an error that says so, not a relay that quietly finds nothing.
    raw.raw_execute("DELETE FROM event_relay").await;
    let error = store.next_events(100).await.expect_err("no cursor, no relay");
    assert!(error.to_string().contains("event_relay has no row"), "{error}");
}

async fn suite_cancel(store: Arc<dyn Store>, _raw: Raw) {
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

// ---------------------------------------------------------------------------------------------
// 7. Rejections and stats.

async fn suite_stats(store: Arc<dyn Store>, raw: Raw) {
    let rejection = |field: &str, payload: Vec<u8>, tenant: Option<&str>| Rejection {
        received_at: t0(),
        routing_key: "invoice.overdue".into(),
        field: field.into(),
        reason: format!("{field}: must be valid"),
        tenant: tenant.map(str::to_owned),
        invoice_number: tenant.map(|_| "RE-9".to_owned()),
        payload,
    };
    store.record_rejections(&[]).await.unwrap();
    store
        .record_rejections(&[
            rejection("amount_due", br#"{"amount_due":"1,5"}"#.to_vec(), Some(TENANT)),
            rejection("body", vec![0xff, 0xfe, 0x00, 0x80], None),
        ])
        .await
        .unwrap();
    assert_eq!(store.stats().await.unwrap().intake_rejections, 2);
    assert_eq!(raw.raw_count("SELECT COUNT(*) FROM intake_rejections WHERE tenant IS NULL").await, 1);
    assert_eq!(
        raw.raw_strings("SELECT field FROM intake_rejections ORDER BY id").await,
        ["amount_due", "body"]
    );

    intake(
        &store,
        &[
            overdue(&invoice("RE-1"), t0()),
            overdue(&invoice("RE-2"), t0()),
            overdue(&invoice("RE-3"), t0() + hours(100)),
        ],
    )
    .await;
    let ids = plan_reminders(
        &store,
        t0(),
        &[("RE-1", ChannelKind::Sms, t0() + hours(1)), ("RE-2", ChannelKind::Email, t0() + hours(1))],
    )
    .await;
    send(&store, t0() + hours(1), &ids[..1]).await;
    store.record_payment(&payment("RE-2", None, t0() + hours(2), "p-1"), WINDOW).await.unwrap();

    let stats = store.stats().await.unwrap();
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["cases"]["total"], 3, "{json}");
    for state in CaseState::ALL {
        assert!(json["cases"][state.as_str()].is_u64(), "cases.{state} in {json}");
    }
    assert_eq!(json["cases"]["open"], 1);
    assert_eq!(json["cases"]["reminding"], 1);
    assert_eq!(json["cases"]["paid"], 1);
    assert_eq!(json["reminders"]["total"], 2);
    let by_status = json["reminders"]["by_status"].as_object().expect("reminders.by_status");
    assert_eq!(
        by_status.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        ReminderStatus::ALL.iter().map(|s| s.as_str()).collect::<BTreeSet<_>>()
    );
    assert_eq!(by_status["sent"], 1);
    assert_eq!(by_status["cancelled"], 1);
    assert_eq!(by_status["scheduled"], 0);
    assert_eq!(json["reminders"]["by_channel"], serde_json::json!({"sms": 1, "email": 1}));
    assert_eq!(json["reminders"]["by_stage"], serde_json::json!({"1": 2}));
    assert_eq!(json["payments"], 1);
    assert_eq!(json["intake_rejections"], 2);
}

// ---------------------------------------------------------------------------------------------
// 8. Concurrency (PostgreSQL only: SQLite serialises writers by design).

const CONCURRENT_CASES: usize = 200;

async fn many_cases(store: &Arc<dyn Store>) -> BTreeSet<i64> {
    let commands: Vec<_> =
        (0..CONCURRENT_CASES).map(|i| overdue(&invoice(&format!("RE-{i:04}")), t0())).collect();
    assert!(intake(store, &commands).await.iter().all(|o| *o == IntakeOutcome::Created));
    let mut ids = BTreeSet::new();
    for i in 0..CONCURRENT_CASES {
        ids.insert(case(store, &format!("RE-{i:04}")).await.case_id);
    }
    ids
}

/// Plans in batches of 25 until nothing is due, deciding with a little work per case so that
/// the two planners' transactions overlap.
async fn planner(store: Arc<dyn Store>, seen: Arc<Mutex<Vec<i64>>>) -> usize {
    let now = t0() + hours(1);
    let decide = move |case: &DueCase| {
        seen.lock().unwrap().push(case.case_id);
        std::thread::sleep(Duration::from_millis(2));
        CaseDecision::Remind(new_reminder(case, ChannelKind::Email, now, now + hours(1000)))
    };
    let mut decided = 0;
    loop {
        match store.plan_due_cases(now, 25, &decide).await.expect("plan_due_cases") {
            0 => return decided,
            n => decided += n,
        }
    }
}

async fn suite_concurrent_plan(store: Arc<dyn Store>, _raw: Raw) {
    let cases = many_cases(&store).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = tokio::join!(
        tokio::spawn(planner(Arc::clone(&store), Arc::clone(&seen))),
        tokio::spawn(planner(Arc::clone(&store), Arc::clone(&seen)))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("the planners decided {a} and {b} cases");
    let mut seen = seen.lock().unwrap().clone();
    let total = seen.len();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(total, seen.len(), "{} cases were decided twice", total - seen.len());
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), cases, "every due case is decided");
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.total, CONCURRENT_CASES as u64);
    assert_eq!(stats.cases.by_state["reminding"], CONCURRENT_CASES as u64);
}

/// Two intake workers apply the same 100 invoices (20 debtors) at once, in opposite orders, as a
/// redelivery while the first attempt is still running would: each invoice is created once, and
/// neither worker fails (e.g. with a deadlock).
async fn suite_concurrent_intake(store: Arc<dyn Store>, _raw: Raw) {
    let commands: Vec<_> = (0..100)
        .map(|i| {
            overdue(&invoice_for(&format!("RE-{i:03}"), debtor(&format!("C-{}", i % 20)), eur("10.00")), t0())
        })
        .collect();
    let reversed: Vec<_> = commands.iter().rev().cloned().collect();
    let apply = |commands: Vec<IntakeCommand>| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.apply_intake(&commands).await })
    };
    let (a, b) = tokio::join!(apply(commands), apply(reversed));
    let (a, b) = (a.unwrap().expect("the first worker"), b.unwrap().expect("the second worker"));
    let created = a.iter().chain(&b).filter(|o| **o == IntakeOutcome::Created).count();
    let duplicates = a.iter().chain(&b).filter(|o| **o == IntakeOutcome::Duplicate).count();
    assert_eq!((created, duplicates), (100, 100));
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.cases.total, 100);
}

async fn dispatcher(store: Arc<dyn Store>, now: DateTime<Utc>) -> Vec<i64> {
    let mut mine = Vec::new();
    loop {
        let claimed = store.claim_due_reminders(now, 25, Duration::from_secs(3600)).await.expect("claim");
        if claimed.is_empty() {
            return mine;
        }
        mine.extend(claimed.iter().map(|c| c.id));
        tokio::task::yield_now().await;
    }
}

async fn suite_concurrent_claim(store: Arc<dyn Store>, _raw: Raw) {
    many_cases(&store).await;
    let now = t0() + hours(1);
    let decide =
        |case: &DueCase| CaseDecision::Remind(new_reminder(case, ChannelKind::Sms, now, now + hours(1000)));
    assert_eq!(store.plan_due_cases(now, 1000, &decide).await.unwrap(), CONCURRENT_CASES);

    let (a, b) = tokio::join!(
        tokio::spawn(dispatcher(Arc::clone(&store), now)),
        tokio::spawn(dispatcher(Arc::clone(&store), now))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    eprintln!("the dispatchers claimed {} and {} reminders", a.len(), b.len());
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    let total = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(total, all.len(), "{} reminders were claimed twice", total - all.len());
    assert_eq!(all.len(), CONCURRENT_CASES, "every due reminder is claimed ({} and {})", a.len(), b.len());
    assert_eq!(store.stats().await.unwrap().reminders.by_status["scheduled"], CONCURRENT_CASES as u64);
}

// ---------------------------------------------------------------------------------------------
// 9. Money exactness.

async fn suite_money(store: Arc<dyn Store>, raw: Raw) {
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
    assert_eq!(
        raw.raw_strings("SELECT CAST(quantity AS TEXT) FROM invoice_lines ORDER BY position")
            .await
            .iter()
            .map(|q| dec(q))
            .collect::<Vec<_>>(),
        [dec("1234.56789"), dec("1")]
    );
    assert_eq!(
        raw.raw_strings("SELECT CAST(unit_price AS TEXT) FROM invoice_lines ORDER BY position")
            .await
            .iter()
            .map(|q| dec(q))
            .collect::<Vec<_>>(),
        [dec("0.000001"), dec("-99999999999999999999.5")]
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
    assert_eq!(store.delivery_jobs(&ids[..1]).await.unwrap()[0].amount_paid, dec("0.01"));
    assert_eq!(
        store.record_payment(&pay("1234.54", "c-2"), WINDOW).await.unwrap(),
        IntakeOutcome::PaymentRecorded { case_closed: false }
    );
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

// ---------------------------------------------------------------------------------------------
// 10. Time: due means "at or before now", to the microsecond (PostgreSQL's resolution), whether
// or not a time has a fractional second.

async fn suite_times(store: Arc<dyn Store>, _raw: Raw) {
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
    store.mark_queued(&[id]).await.unwrap();
    report(&store, leased + micro * 2, vec![(id, sent("p-1"))]).await;
    assert_eq!(reminders(&store, "RE-1").await[0].sent_at, Some(leased + micro * 2));

    // The attribution window's edges are inclusive.
    let paid = payment("RE-1", None, leased + micro * 2 + Span::from_std(WINDOW).unwrap(), "edge");
    store.record_payment(&paid, WINDOW).await.unwrap();
    assert_eq!(reminders(&store, "RE-1").await[0].reward, Some(1.0), "paid exactly at the window's end");
}

// ---------------------------------------------------------------------------------------------
// Fallback after a dead address.

async fn suite_fallback(store: Arc<dyn Store>, _raw: Raw) {
    intake(
        &store,
        &[overdue(&invoice("RE-1"), t0()), overdue(&invoice_for("RE-2", debtor("C-2"), eur("9.99")), t0())],
    )
    .await;
    let send_at = t0() + hours(1);
    let ids = plan_reminders(
        &store,
        t0(),
        &[("RE-1", ChannelKind::Email, send_at), ("RE-2", ChannelKind::Email, send_at)],
    )
    .await;
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await.len(), 2);
    store.mark_queued(&ids).await.unwrap();
    let dead = DeliveryResult::Unreachable {
        error: "unreachable: 550 5.1.1 user unknown".into(),
        address: "erika@example.org".into(),
    };
    report(&store, now, vec![(ids[0], dead.clone()), (ids[1], sent("p-2"))]).await;
    // A redelivered report changes nothing more.
    report(&store, now + hours(1), vec![(ids[0], dead)]).await;

    let first = reminders(&store, "RE-1").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].status, ReminderStatus::Failed);
    let case_1 = case(&store, "RE-1").await;
    // The stage is handed back to the planner at once, with the email address marked dead.
    let decide = |due: &DueCase| {
        assert_eq!(due.invoice_number.as_str(), "RE-1", "only the bounced case is due again");
        assert_eq!(due.stages_planned, 0, "the same stage is planned again");
        assert_eq!(
            due.debtor.unreachable.get(&ChannelKind::Email).map(String::as_str),
            Some("erika@example.org")
        );
        assert!(!due.debtor.reachable_channels().contains(&ChannelKind::Email));
        CaseDecision::Remind(new_reminder(due, ChannelKind::Letter, now + hours(20), now + hours(24 * 7)))
    };
    assert_eq!(plan(&store, now, &decide).await, 1);
    let seen = reminders(&store, "RE-1").await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[1].stage, seen[1].channel), (0, ChannelKind::Letter));
    assert_eq!(seen[1].status, ReminderStatus::Scheduled);
    let jobs = store.delivery_jobs(&[seen[1].id]).await.unwrap();
    assert_eq!(jobs[0].idempotency_key, idempotency_key(case_1.case_id, 0), "a new channel, the same key");
    // The debtor's other invoices see the dead address too; RE-2's debtor is untouched.
    intake(&store, &[overdue(&invoice_for("RE-3", debtor("D-RE-1"), eur("42.00")), now)]).await;
    let check = |due: &DueCase| {
        match due.invoice_number.as_str() {
            "RE-3" => assert!(!due.debtor.reachable_channels().contains(&ChannelKind::Email)),
            other => panic!("{other} is not due"),
        }
        CaseDecision::Wait { until: now + hours(24) }
    };
    assert_eq!(plan(&store, now, &check).await, 1);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.reminders.by_status.get("failed"), Some(&1), "{stats:?}");
}
