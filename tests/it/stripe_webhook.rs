//! Stripe's webhook over real HTTP, through the API's router on a free port, on every backend:
//! a signed `checkout.session.completed` records the payment once and closes the case (the same
//! event again, even signed anew, records nothing); a forged, stale, unsigned or altered
//! delivery gets 400 and changes nothing; SEPA Direct Debit's asynchronous flow says
//! `payment.pending` and holds the dunning (no reminder planned or sent), then records the
//! payment when it succeeds, or says `payment.failed` and dunning resumes with the stage it held
//! back; a hold the PSP never ends runs out after its days (`payment.hold_expired`); other events
//! and unknown invoices are acknowledged and ignored; the same event delivered several times at
//! once records one payment.

use crate::support;

use chrono::Duration as Span;
use mahnwerk::api::{ApiState, BoundApi};
use mahnwerk::config::links::LinksConfig;
use mahnwerk::deliver::Links;
use mahnwerk::domain::{AttributionWindow, CaseState, PendingHold, PromiseRules};
use mahnwerk::pay::psp::stripe_events::StripeWebhook;
use mahnwerk::pay::psp::stripe_signature::sign;
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::{CaseDecision, DueCase, ReminderStatus, Store};
use rust_decimal::Decimal;
use serde_json::json;
use std::sync::Arc;
use support::db::{self, Raw};
use support::rules::Rules;
use support::stripe::{config, dunned, reminder, t0, tenant, TENANT, WEBHOOK_SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_webhooks_record_payments_once_and_refuse_forgeries() {
    let stores = db::stores().await;
    db::run_suite(&stores, "suite_stripe_webhook", suite_stripe_webhook).await;
}

/// Plays Stripe calling the API.
struct Stripe {
    http: reqwest::Client,
    url: String,
    clock: Arc<ManualClock>,
}

impl Stripe {
    /// Delivers `body` signed with `secret` at `signed_at` seconds from now; `None`: unsigned.
    async fn deliver_signed(&self, body: &str, secret: Option<&str>, signed_at: i64) -> u16 {
        let mut request =
            self.http.post(&self.url).header("content-type", "application/json").body(body.to_owned());
        if let Some(secret) = secret {
            let t = self.clock.now().timestamp() + signed_at;
            request = request.header("Stripe-Signature", sign(secret.as_bytes(), t, body.as_bytes()));
        }
        request.send().await.expect("the API answers").status().as_u16()
    }

    async fn deliver(&self, body: &str) -> u16 {
        self.deliver_signed(body, Some(WEBHOOK_SECRET), 0).await
    }
}

/// A Checkout Session event as Stripe sends it, for one invoice of the tenant.
fn event(id: &str, kind: &str, invoice: &str, status: &str, intent: serde_json::Value, cents: i64) -> String {
    json!({
        "id": id, "object": "event", "api_version": "2024-06-20", "created": t0().timestamp() + 86_400,
        "livemode": false, "pending_webhooks": 1, "type": kind,
        "request": {"id": null, "idempotency_key": null},
        "data": {"object": {
            "id": format!("cs_test_{invoice}"), "object": "checkout.session", "mode": "payment",
            "amount_subtotal": cents, "amount_total": cents, "currency": "eur",
            "client_reference_id": "1", "customer_details": {"email": "erika@example.org"},
            "payment_status": status, "payment_intent": intent, "status": "complete",
            "metadata": {"tenant": TENANT, "invoice_number": invoice, "reminder_id": "1"}}}
    })
    .to_string()
}

/// The invoices the suite pays.
const INVOICES: [&str; 5] = ["RE-CARD", "RE-SEPA-OK", "RE-SEPA-NO", "RE-SEPA-LOST", "RE-RACE"];

/// What a user of `mahnwerk stats` and the cases' event logs would see.
async fn visible(store: &dyn Store) -> (serde_json::Value, Vec<serde_json::Value>) {
    let stats = serde_json::to_value(store.stats().await.unwrap()).unwrap();
    let mut events = Vec::new();
    for invoice in INVOICES {
        events.extend(events_of(store, invoice).await);
    }
    (stats, events)
}

/// The events about `invoice`, as JSON, in order (the case's event log, as the GDPR export
/// and the console read it).
async fn events_of(store: &dyn Store, invoice: &str) -> Vec<serde_json::Value> {
    let case = store.case_by_invoice(TENANT, invoice).await.unwrap().unwrap_or_else(|| panic!("{invoice}"));
    let mut tx = store.begin().await.unwrap();
    tx.case_events(&tenant(), case.case_id).await.unwrap().into_iter().map(|event| event.data).collect()
}

async fn suite_stripe_webhook(store: Arc<dyn Store>, _raw: Raw) {
    let reminders = dunned(&store, &INVOICES, "100.00").await;
    let clock = Arc::new(ManualClock::new(t0() + Span::days(1)));
    let state = |stripe: bool| ApiState {
        store: Arc::clone(&store),
        clock: clock.clone() as Arc<dyn Clock>,
        twilio_auth_token: None,
        meta: None,
        pingen_webhook_secret: None,
        public_url: None,
        links: Arc::new(Links::new(&LinksConfig::default())),
        pay: Arc::new(mahnwerk::api::pay::PayRoutes::with_defaults()),
        psp: None,
        stripe: stripe.then(|| {
            Arc::new(StripeWebhook::new(
                &config("http://127.0.0.1:9"),
                AttributionWindow::default(),
                PendingHold::default(),
                Arc::new(mahnwerk::domain::legal::statutory_law),
            ))
        }),
        console: None,
    };
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let api = BoundApi::bind("127.0.0.1:0".parse().unwrap(), state(true)).await.unwrap();
    let unconfigured = BoundApi::bind("127.0.0.1:0".parse().unwrap(), state(false)).await.unwrap();
    let stripe = Stripe {
        http: reqwest::Client::new(),
        url: format!("http://{}/webhooks/stripe", api.local_addr()),
        clock: clock.clone(),
    };
    let unconfigured_url = format!("http://{}/webhooks/stripe", unconfigured.local_addr());
    let servers = [tokio::spawn(api.run(shutdown.clone())), tokio::spawn(unconfigured.run(shutdown))];

    // Card: paid at once. Refused deliveries first: none of them changes anything.
    let paid =
        event("evt_card_1", "checkout.session.completed", "RE-CARD", "paid", json!("pi_card_1"), 10_000);
    let before = visible(store.as_ref()).await;
    let altered = paid.replace("10000", "1");
    for (name, status) in [
        ("unsigned", stripe.deliver_signed(&paid, None, 0).await),
        ("forged", stripe.deliver_signed(&paid, Some("whsec_someone_else"), 0).await),
        ("stale", stripe.deliver_signed(&paid, Some(WEBHOOK_SECRET), -301).await),
        ("from the future", stripe.deliver_signed(&paid, Some(WEBHOOK_SECRET), 301).await),
        ("not json", stripe.deliver("{not json").await),
    ] {
        assert_eq!(status, 400, "{name}");
    }
    // A body changed after signing: the signature of the original, the altered body sent.
    let t = clock.now().timestamp();
    let header = sign(WEBHOOK_SECRET.as_bytes(), t, paid.as_bytes());
    let status = stripe.http.post(&stripe.url).header("Stripe-Signature", header).body(altered).send().await;
    assert_eq!(status.unwrap().status().as_u16(), 400, "altered body");
    assert_eq!(visible(store.as_ref()).await, before, "refused deliveries changed nothing");
    let status = reqwest::Client::new().post(&unconfigured_url).body(paid.clone()).send().await.unwrap();
    assert_eq!(status.status().as_u16(), 404, "without [stripe] there is no endpoint");

    assert_eq!(stripe.deliver(&paid).await, 200);
    let case = store.case_by_invoice(TENANT, "RE-CARD").await.unwrap().unwrap();
    assert_eq!(
        (case.state, case.amount_paid, case.next_action_at),
        (CaseState::Paid, Decimal::new(10_000, 2), None)
    );
    assert_eq!(store.stats().await.unwrap().payments, 1);
    let recorded = events_of(store.as_ref(), "RE-CARD").await;
    let recorded: Vec<_> = recorded.iter().filter(|e| e["kind"] == "payment.recorded").collect();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (
            &recorded[0]["source"],
            &recorded[0]["reference"],
            &recorded[0]["amount"],
            &recorded[0]["case_closed"]
        ),
        (&json!("stripe"), &json!("pi_card_1"), &json!("100.00"), &json!(true)),
        "{}",
        recorded[0]
    );
    assert_eq!(recorded[0]["paid_at"], json!("2026-03-03T08:00:00Z"), "the event's time");
    let card_reminders = store.reminders_of(TENANT, "RE-CARD").await.unwrap();
    assert_eq!(
        (card_reminders[0].id, card_reminders[0].status),
        (reminders[0], ReminderStatus::Cancelled),
        "the pending reminder is not sent after the payment"
    );

    // Stripe delivers again (a retry is signed anew): acknowledged, nothing recorded.
    let after = visible(store.as_ref()).await;
    clock.advance(Span::minutes(10));
    assert_eq!(stripe.deliver(&paid).await, 200);
    assert_eq!(stripe.deliver(&paid).await, 200);
    assert_eq!(visible(store.as_ref()).await, after, "a replay changed nothing");
    assert_eq!(store.stats().await.unwrap().payments, 1);

    // Other event types, sessions of other invoices or other shops: 200, nothing recorded.
    let other_type =
        event("evt_x_1", "checkout.session.expired", "RE-SEPA-OK", "unpaid", json!(null), 10_000);
    let unknown = event("evt_x_2", "checkout.session.completed", "RE-404", "paid", json!("pi_x"), 10_000);
    let not_ours = json!({"id": "evt_x_3", "object": "event", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_shop", "object": "checkout.session", "payment_status": "paid",
                            "amount_total": 500, "currency": "eur", "metadata": {}}}})
    .to_string();
    let intent = json!({"id": "evt_x_4", "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_1", "object": "payment_intent"}}})
    .to_string();
    for body in [&other_type, &unknown, &not_ours, &intent] {
        assert_eq!(stripe.deliver(body).await, 200, "{body}");
    }
    let (stats, events) = visible(store.as_ref()).await;
    assert_eq!((stats, events), (after.0.clone(), after.1.clone()), "ignored events recorded nothing");

    // SEPA Direct Debit that goes through: pending first, the payment when it succeeds.
    let intent = json!("pi_sepa_ok");
    let completed =
        event("evt_sepa_1", "checkout.session.completed", "RE-SEPA-OK", "unpaid", intent.clone(), 10_000);
    assert_eq!(stripe.deliver(&completed).await, 200);
    let case = store.case_by_invoice(TENANT, "RE-SEPA-OK").await.unwrap().unwrap();
    let held_until = clock.now() + Span::days(14);
    assert_eq!(
        (case.state, case.amount_paid, case.next_action_at),
        (CaseState::Paused, Decimal::ZERO, Some(held_until)),
        "not paid yet, and held"
    );
    let withdrawn = store.reminders_of(TENANT, "RE-SEPA-OK").await.unwrap();
    assert_eq!(withdrawn[0].status, ReminderStatus::Cancelled, "the pending reminder is withdrawn");
    // The scheduler, days later: nothing planned, nothing to send while the money is on its way.
    clock.advance(Span::days(3));
    assert_eq!(scheduler_step(&store, clock.now()).await, 0, "nothing planned during the hold");
    assert_eq!(store.case_by_invoice(TENANT, "RE-SEPA-OK").await.unwrap().unwrap().state, CaseState::Paused);
    let still = store.reminders_of(TENANT, "RE-SEPA-OK").await.unwrap();
    assert!(still.iter().all(|r| r.status == ReminderStatus::Cancelled), "no reminder sent: {still:?}");
    assert_eq!(store.stats().await.unwrap().payments, 1);
    let pending = events_of(store.as_ref(), "RE-SEPA-OK").await;
    let kinds: Vec<&str> = pending.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["payment.pending"]);
    assert_eq!(
        (&pending[0]["amount"], &pending[0]["currency"], &pending[0]["source"], &pending[0]["reference"]),
        (&json!("100.00"), &json!("EUR"), &json!("stripe"), &json!("pi_sepa_ok")),
        "{}",
        pending[0]
    );
    let held = held_until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(pending[0]["held_until"], json!(held), "{}", pending[0]);
    assert_eq!(pending[0]["case_id"], case.case_id);
    let succeeded =
        event("evt_sepa_2", "checkout.session.async_payment_succeeded", "RE-SEPA-OK", "paid", intent, 10_000);
    assert_eq!(stripe.deliver(&succeeded).await, 200);
    assert_eq!(stripe.deliver(&succeeded).await, 200);
    let case = store.case_by_invoice(TENANT, "RE-SEPA-OK").await.unwrap().unwrap();
    assert_eq!((case.state, case.amount_paid), (CaseState::Paid, Decimal::new(10_000, 2)));
    assert_eq!(hold_states(store.as_ref(), "RE-SEPA-OK", "pi_sepa_ok").await, ["settled"]);
    assert_eq!(scheduler_step(&store, clock.now()).await, 0, "a paid case is not dunned");
    assert_eq!(store.stats().await.unwrap().payments, 2);
    let kinds: Vec<String> = events_of(store.as_ref(), "RE-SEPA-OK")
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["payment.pending", "payment.recorded"]);

    // SEPA Direct Debit that fails: pending, then failed with Stripe's reason; still dunned.
    let intent = json!({"id": "pi_sepa_no", "object": "payment_intent",
                        "last_payment_error": {"code": "payment_method_unactivated", "message": "The bank account has been closed."}});
    let completed =
        event("evt_sepa_3", "checkout.session.completed", "RE-SEPA-NO", "unpaid", intent.clone(), 10_000);
    let failed =
        event("evt_sepa_4", "checkout.session.async_payment_failed", "RE-SEPA-NO", "unpaid", intent, 10_000);
    assert_eq!(stripe.deliver(&completed).await, 200);
    assert_eq!(store.case_by_invoice(TENANT, "RE-SEPA-NO").await.unwrap().unwrap().state, CaseState::Paused);
    clock.advance(Span::days(2));
    assert_eq!(scheduler_step(&store, clock.now()).await, 0, "nothing planned during the hold");
    assert_eq!(stripe.deliver(&failed).await, 200);
    assert_eq!(stripe.deliver(&failed).await, 200);
    assert_eq!(hold_states(store.as_ref(), "RE-SEPA-NO", "pi_sepa_no").await, ["failed"]);
    let case = store.case_by_invoice(TENANT, "RE-SEPA-NO").await.unwrap().unwrap();
    assert_eq!(
        (case.state, case.amount_paid, case.next_action_at),
        (CaseState::Paused, Decimal::ZERO, Some(clock.now())),
        "due to be looked at at once"
    );
    // The next scheduler step resumes dunning with the stage the hold withdrew.
    assert_eq!(scheduler_step(&store, clock.now()).await, 1, "the held-back stage is planned");
    let case = store.case_by_invoice(TENANT, "RE-SEPA-NO").await.unwrap().unwrap();
    assert_eq!((case.state, case.stages_planned), (CaseState::Reminding, 1), "dunning resumed");
    assert_eq!(store.stats().await.unwrap().payments, 2);
    let events = events_of(store.as_ref(), "RE-SEPA-NO").await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["payment.pending", "payment.failed"]);
    assert_eq!(
        (&events[1]["reference"], &events[1]["reason"], &events[1]["debtor_id"]),
        (&json!("pi_sepa_no"), &json!("The bank account has been closed."), &json!("D-RE-SEPA-NO")),
        "{}",
        events[1]
    );
    let open = store.reminders_of(TENANT, "RE-SEPA-NO").await.unwrap();
    assert_eq!(
        (open.len(), open[0].stage, open[0].status, open[0].send_at),
        (1, 0, ReminderStatus::Scheduled, clock.now()),
        "its reminder goes out after all"
    );

    // SEPA Direct Debit of which Stripe never says more: the hold runs out after 14 days.
    let lost_intent = json!("pi_sepa_lost");
    let completed =
        event("evt_sepa_5", "checkout.session.completed", "RE-SEPA-LOST", "unpaid", lost_intent, 10_000);
    assert_eq!(stripe.deliver(&completed).await, 200);
    let held_until = clock.now() + Span::days(14);
    clock.advance(Span::days(14) - Span::seconds(1));
    scheduler_step(&store, clock.now()).await;
    let case = store.case_by_invoice(TENANT, "RE-SEPA-LOST").await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Paused, "still held a second before its end");
    let held = store.reminders_of(TENANT, "RE-SEPA-LOST").await.unwrap();
    assert!(held.iter().all(|r| r.status == ReminderStatus::Cancelled), "no reminder: {held:?}");
    clock.advance(Span::seconds(1));
    scheduler_step(&store, clock.now()).await;
    assert_eq!(hold_states(store.as_ref(), "RE-SEPA-LOST", "pi_sepa_lost").await, ["expired"]);
    let lost = events_of(store.as_ref(), "RE-SEPA-LOST").await;
    let kinds: Vec<&str> = lost.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["payment.pending", "payment.hold_expired"]);
    assert_eq!(
        (&lost[1]["reference"], &lost[1]["held_until"]),
        (&json!("pi_sepa_lost"), &json!(held_until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
        "{}",
        lost[1]
    );
    let case = store.case_by_invoice(TENANT, "RE-SEPA-LOST").await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Reminding);
    let again = store.reminders_of(TENANT, "RE-SEPA-LOST").await.unwrap();
    assert_eq!((again[0].stage, again[0].status), (0, ReminderStatus::Scheduled));
    // The same event delivered several times at once (Stripe retrying while the first delivery
    // is still being handled): every delivery is acknowledged, one payment is recorded.
    let race = event("evt_race_1", "checkout.session.completed", "RE-RACE", "paid", json!("pi_race"), 10_000);
    let stripe = Arc::new(stripe);
    let mut deliveries = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (stripe, race) = (Arc::clone(&stripe), race.clone());
        deliveries.spawn(async move { stripe.deliver(&race).await });
    }
    while let Some(status) = deliveries.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(store.case_by_invoice(TENANT, "RE-RACE").await.unwrap().unwrap().state, CaseState::Paid);
    assert_eq!(store.stats().await.unwrap().payments, 3);
    let kinds: Vec<String> = events_of(store.as_ref(), "RE-RACE")
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["payment.recorded"]);

    trigger.trigger();
    for server in servers {
        server.await.unwrap().unwrap();
    }
}

/// One planning step of the scheduler at `now`: paused cases whose time came are looked at, then
/// due cases planned (an email at once); returns how many cases were planned.
async fn scheduler_step(store: &Arc<dyn Store>, now: chrono::DateTime<chrono::Utc>) -> usize {
    mahnwerk::schedule::resume_broken_promises(store.as_ref(), now, PromiseRules::default(), 100)
        .await
        .expect("looking at paused cases");
    let decide = |case: &DueCase| CaseDecision::Remind(reminder(case, now));
    store.plan_due_cases(now, 100, &decide).await.expect("planning")
}

/// The states of the holds of the pending payment `reference` on the case of `invoice`, as the
/// console's case timeline shows them.
async fn hold_states(store: &dyn Store, invoice: &str, reference: &str) -> Vec<String> {
    let case = store.case_by_invoice(TENANT, invoice).await.unwrap().unwrap_or_else(|| panic!("{invoice}"));
    let mut tx = store.begin().await.unwrap();
    let history = tx.case_history(&tenant(), case.case_id).await.unwrap();
    history.holds.into_iter().filter(|hold| hold.reference == reference).map(|hold| hold.state).collect()
}

/// `[stripe]` in the configuration is what turns both on: the pay-page's PSP and the webhook.
#[tokio::test]
async fn the_stripe_section_turns_on_checkout_and_the_webhook() {
    let backend = support::servers::Backend::embedded().await;
    let outbox = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0()));
    let assemble = |rest: &str| {
        let config = support::scenario::service_config("stripe", outbox.path(), rest);
        let service = mahnwerk::app::Service::assemble(
            &config,
            backend.store.clone(),
            backend.queue.clone(),
            clock.clone(),
        )
        .unwrap();
        service.api_state()
    };
    let off = assemble("");
    assert!(off.psp.is_none() && off.stripe.is_none());
    let on = assemble(&format!(
        "[stripe]\nsecret_key = \"sk_test_1234\"\nwebhook_secret = \"{WEBHOOK_SECRET}\"\n\
         payment_method_types = [\"card\", \"paypal\"]\n"
    ));
    assert!(on.stripe.is_some());
    assert_eq!(on.psp.unwrap().payment_methods(), ["card", "paypal"]);
}
