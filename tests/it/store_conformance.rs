//! The store conformance suite: every behaviour of the `Store` trait, checked the same way on
//! SQLite (always) and on PostgreSQL (when `MAHNWERK_TEST_DATABASE_URL` is set; see
//! `support::db`). Each `suite_*` function is generic over `Arc<dyn Store>`; the test functions
//! run it on a fresh database per backend, and failures name the backend.

mod analysts;
mod claiming;
mod concurrency;
mod consents;
mod delivery;
mod dispatch;
mod events;
mod fallback;
mod holds;
mod instalment_reminders;
mod instalments;
mod intake;
mod late;
mod learning;
mod legal_facts;
mod payment_batches;
mod payments;
mod planning;
mod sent_events;
mod statements;
mod stats;
mod values;
use crate::support;
use analysts::suite_analysts;
use claiming::suite_claim;
use concurrency::{suite_concurrent_claim, suite_concurrent_intake, suite_concurrent_plan};
use consents::{
    suite_consents, suite_consents_once, suite_inbound_once, suite_receipts, suite_unsubscribe_once,
};
use delivery::suite_delivery;
use dispatch::suite_dispatch;
use events::suite_events_on_the_broker;
use fallback::suite_fallback;
use holds::suite_holds;
use instalment_reminders::{suite_instalment_reminders, suite_second_plan};
use instalments::suite_instalments;
use intake::{suite_cancel, suite_intake};
use late::{suite_late_failures, suite_late_opt_out};
use learning::suite_learning;
use legal_facts::{suite_default_dates, suite_payment_allocations};
use payments::{dunned, suite_payment};
use planning::suite_plan;
use sent_events::suite_sent_events;
use statements::suite_claim_statements;
use stats::suite_stats;
use values::{suite_money, suite_times};

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
    a_pending_payment_holds_the_dunning => suite_holds,
    instalments_count_payments_and_a_missed_one_resumes_dunning => suite_instalments,
    each_instalment_is_reminded_until_paid_or_missed => suite_instalment_reminders,
    a_second_plan_replaces_or_follows_the_first => suite_second_plan,
    outcomes_become_events_and_snapshots_are_kept => suite_learning,
    decisions_export_and_models_publish => suite_analysts,
    cancellation_closes_cases => suite_cancel,
    rejections_and_stats => suite_stats,
    money_round_trips_exactly => suite_money,
    times_compare_to_the_microsecond => suite_times,
    concurrent_intake_creates_each_invoice_once => suite_concurrent_intake,
    a_dead_address_replans_the_stage => suite_fallback,
    the_consent_ledger_decides_and_only_grows => suite_consents,
    a_retried_consent_event_is_recorded_once => suite_consents_once,
    an_unsubscribe_in_force_writes_nothing => suite_unsubscribe_once,
    an_inbound_message_is_recorded_once_by_its_id => suite_inbound_once,
    receipts_match_provider_ids_and_only_move_forward => suite_receipts,
    an_opt_out_after_planning_replans_the_stage => suite_late_opt_out,
    a_late_dead_address_receipt_replans_the_stage => suite_late_failures,
    a_delivery_batch_is_one_sent_event_per_tenant_and_channel => suite_sent_events,
    dispatching_publishes_then_queues => suite_dispatch,
    every_event_says_whom_it_is_about_on_the_broker => suite_events_on_the_broker,
    an_escalated_case_keeps_its_claim_statement => suite_claim_statements,
    a_case_stores_its_default_date_once_and_the_engine_agrees => suite_default_dates,
    a_payment_stores_how_it_was_applied_once => suite_payment_allocations,
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
        contact_person: None,
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
        iban: None,
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
        terms: Default::default(),
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
    IntakeCommand::Overdue {
        invoice: invoice.clone(),
        plan: mahnwerk::domain::PlanName::parse(PLAN).unwrap(),
        received_at,
        marketing_consent: None,
    }
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
        source: mahnwerk::domain::PaymentSource::Amqp,
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
        // 09:00 to 20:00: the window of a reminder planned for 9 o'clock.
        send_by: send_at + chrono::Duration::hours(11),
        local_hour: 9,
        context: serde_json::json!({"stage": case.stages_planned, "segment": "b2c"}),
        allowed: serde_json::json!({"channels": [channel.as_str(), "letter"], "hours": [9, 18]}),
        propensity: 0.25,
        policy_version: mahnwerk::domain::PolicyVersion::parse("test-1").unwrap(),
        next_action_at,
        instalment: 0,
        escalates_after_days: None,
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

/// The bodies of the events of `kind` not yet relayed, oldest first, read as the relay reads
/// them; each batch is dropped, so the relay's cursor stays where it was. On PostgreSQL the relay
/// hands out an event only once every older transaction in the cluster has ended (other tests'
/// included), so this reads again until at least `expected` of them are there (for 10 s at most;
/// then the caller's assertion names what was seen).
async fn unrelayed_events(store: &Arc<dyn Store>, kind: &str, expected: usize) -> Vec<serde_json::Value> {
    let mut seen = Vec::new();
    for _ in 0..400 {
        let batch = next_events(store, 10_000).await;
        seen = batch
            .events
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| serde_json::from_str(&e.data).expect("an event body is JSON"))
            .collect();
        drop(batch);
        if seen.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    seen
}

async fn plan(
    store: &Arc<dyn Store>,
    now: DateTime<Utc>,
    decide: &(dyn Fn(&DueCase) -> CaseDecision + Send + Sync),
) -> usize {
    store.plan_due_cases(now, 1000, decide).await.expect("plan_due_cases")
}

/// Records what a channel worker reports, each sent reminder with its job as the worker hands it
/// on (so that its sending can fix the case's default date).
async fn report(store: &Arc<dyn Store>, now: DateTime<Utc>, reports: Vec<(i64, DeliveryResult)>) {
    let ids: Vec<i64> = reports.iter().map(|(id, _)| *id).collect();
    let mut jobs: std::collections::HashMap<i64, mahnwerk::store::DeliveryJob> = store
        .delivery_jobs(&ids)
        .await
        .expect("delivery_jobs")
        .into_iter()
        .map(|j| (j.reminder_id, j))
        .collect();
    let reports: Vec<DeliveryReport> = reports
        .into_iter()
        .map(|(reminder_id, result)| {
            let sent = matches!(result, DeliveryResult::Sent { .. });
            let undated =
                jobs.remove(&reminder_id).filter(|job| sent && job.default_on.is_none()).map(Box::new);
            DeliveryReport { reminder_id, result, undated }
        })
        .collect();
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
    store.mark_queued(ids, now).await.expect("mark_queued");
    report(store, now, ids.iter().map(|&id| (id, sent(&format!("provider-{id}")))).collect()).await;
}
