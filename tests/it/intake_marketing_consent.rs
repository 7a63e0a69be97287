//! The debtor's marketing consent in the intake message (`debtor.marketing_consent`), on both
//! backends (SQLite with the in-process queue; PostgreSQL with a real RabbitMQ), as the marketing
//! ledger and the thank-you hook's reading of it show: a new invoice's claim is recorded once
//! (source `intake`), a replayed message or the same claim on a later invoice writes nothing, an
//! invoice without the field changes nothing, an older consent never undoes a later objection
//! while a newer one does, and an unknown channel, an unknown kind or a time in the future
//! dead-letters the message naming the member. An issued invoice (`invoice.issued`, never
//! dunned) has its claim recorded the same way: a debtor the tenant does not have yet is stored
//! for it, a redelivery writes nothing, a known debtor keeps its data and its objections, and an
//! issued invoice without the field writes no debtor.

use crate::pay_page::config_with;
use crate::support;
use crate::thank_you::{invoice, tenant};

use chrono::{DateTime, Duration as Days, Utc};
use mahnwerk::app::{Role, Service};
use mahnwerk::demo::world;
use mahnwerk::domain::{ChannelKind, ConsentKind, ConsentSource, DebtorId};
use mahnwerk::runtime::{Clock, ManualClock};
use mahnwerk::store::marketing::{MarketingAudience, MarketingConsentEvent, MarketingConsentRecord};
use mahnwerk::store::{RejectionScope, Store};
use serde_json::{json, Value};
use std::sync::Arc;
use support::scenario::{eventually, json as message, stop_roles};
use support::servers::Backend;

/// An overdue invoice of `debtor`, reachable by email and SMS, with `consent` as its
/// `debtor.marketing_consent` (left out when `Null`).
fn with_consent(number: &str, debtor: &str, consent: Value, now: DateTime<Utc>) -> Value {
    let mut contact = json!({"email": format!("{debtor}@example.org"), "phone": "+4915112345678"});
    if !consent.is_null() {
        contact["marketing_consent"] = consent;
    }
    invoice(number, debtor, contact, &["DRU-1"], now - Days::days(10))
}

async fn ledger(store: &Arc<dyn Store>, debtor: &str) -> Vec<MarketingConsentRecord> {
    let mut tx = store.begin().await.unwrap();
    let events = tx.marketing_ledger(&tenant(), &DebtorId::parse(debtor).unwrap()).await.unwrap();
    tx.rollback().await.unwrap();
    events
}

/// The debtor with what the thank-you hook reads of them; `None` when the tenant has none.
async fn audience(store: &Arc<dyn Store>, debtor: &str) -> Option<MarketingAudience> {
    let mut tx = store.begin().await.unwrap();
    let audience = tx.marketing_audience(&tenant(), &DebtorId::parse(debtor).unwrap()).await.unwrap();
    tx.rollback().await.unwrap();
    audience
}

/// The marketing consent in force per channel, as the thank-you hook reads it.
async fn in_force(store: &Arc<dyn Store>, debtor: &str, channel: ChannelKind) -> Option<ConsentKind> {
    audience(store, debtor).await.expect("a known debtor").marketing.latest(channel)
}

/// Publishes `messages` as `invoice.overdue` and then a marker invoice, and waits for the
/// marker: intake takes the queue in order, so everything before it has been applied (or
/// rejected).
async fn take_in(backend: &Backend, messages: Vec<Value>, marker: &str, now: DateTime<Utc>) {
    take_in_as(backend, "invoice.overdue", messages, marker, now).await;
}

/// As [`take_in`], the messages sent with `routing_key`.
async fn take_in_as(
    backend: &Backend,
    routing_key: &str,
    messages: Vec<Value>,
    marker: &str,
    now: DateTime<Utc>,
) {
    let mut all: Vec<_> = messages.iter().map(|m| message(routing_key, m)).collect();
    all.push(message("invoice.overdue", &with_consent(marker, "M-1", Value::Null, now)));
    backend.queue.publish(&backend.topology.intake_exchange(), all).await.unwrap();
    let store = &backend.store;
    eventually(marker, || async { store.case_by_invoice("paytest", marker).await.unwrap().is_some() }).await;
}

async fn scenario(backend: Backend) {
    let store = backend.store.clone();
    let outbox = tempfile::tempdir().unwrap();
    let config = config_with(&backend.topology.namespace, outbox.path(), "");
    let clock = Arc::new(ManualClock::new(world::epoch() + Days::hours(6)));
    let service = Service::assemble(&config, store.clone(), backend.queue.clone(), clock.clone()).unwrap();
    let (trigger, shutdown) = mahnwerk::shutdown::channel();
    let roles = service.spawn(Role::Intake, &shutdown);
    let now = clock.now();
    let (given, objected, renewed) = (now - Days::days(30), now - Days::days(5), now - Days::days(1));
    let claim = json!({"email": "opt_in", "sms": "opt_in", "given_at": given.to_rfc3339()});

    // D-1's consent by email and SMS arrives with R-1; D-2's invoice says nothing. Three
    // messages are refused, each naming the member that is wrong.
    let refused = [
        ("fax", json!({"fax": "opt_in", "given_at": given.to_rfc3339()})),
        ("sms", json!({"sms": "yes", "given_at": given.to_rfc3339()})),
        ("given_at", json!({"sms": "opt_in", "given_at": (now + Days::hours(1)).to_rfc3339()})),
    ];
    let mut first =
        vec![with_consent("R-1", "D-1", claim.clone(), now), with_consent("R-2", "D-2", Value::Null, now)];
    for (i, (_, consent)) in refused.iter().enumerate() {
        first.push(with_consent(&format!("X-{i}"), "D-3", consent.clone(), now));
    }
    take_in(&backend, first, "M-1", now).await;
    let events = ledger(&store, "D-1").await;
    assert_eq!(events.len(), 2, "{events:?}");
    for (event, channel) in events.iter().zip([ChannelKind::Email, ChannelKind::Sms]) {
        assert_eq!((event.channel, event.kind, event.at), (channel, ConsentKind::OptIn, given), "{events:?}");
        assert_eq!((event.source.as_str(), event.detail.as_deref()), ("intake", Some("invoice R-1")));
    }
    assert_eq!(in_force(&store, "D-1", ChannelKind::Sms).await, Some(ConsentKind::OptIn));
    assert!(ledger(&store, "D-2").await.is_empty(), "no field, no consent");
    let rejections = store.rejections(&RejectionScope::All, 10).await.unwrap();
    let mut fields: Vec<&str> = rejections.iter().map(|r| r.field.as_str()).collect();
    fields.sort();
    let mut expected: Vec<String> =
        refused.iter().map(|(member, _)| format!("debtor.marketing_consent.{member}")).collect();
    expected.sort();
    assert_eq!(fields, expected, "{rejections:?}");
    assert!(
        store.case_by_invoice("paytest", "X-0").await.unwrap().is_none(),
        "a refused invoice is not taken"
    );

    // The same message again, and a later invoice repeating the claim: nothing new.
    let again =
        vec![with_consent("R-1", "D-1", claim.clone(), now), with_consent("R-3", "D-1", claim.clone(), now)];
    take_in(&backend, again, "M-2", now).await;
    assert!(store.case_by_invoice("paytest", "R-3").await.unwrap().is_some());
    assert_eq!(ledger(&store, "D-1").await.len(), 2, "a replay and a repeated claim write nothing");

    // The debtor objects to SMS (the thank-you message's opt-out link). A later invoice with the
    // old consent does not undo it, nor does one without the field; an objection by email is new.
    let objection = MarketingConsentEvent {
        tenant: tenant(),
        debtor: DebtorId::parse("D-1").unwrap(),
        channel: ChannelKind::Sms,
        kind: ConsentKind::OptOut,
        at: objected,
        source: ConsentSource::OptOutLink,
        detail: None,
    };
    let mut tx = store.begin().await.unwrap();
    assert!(tx.record_marketing_consent(&objection, now).await.unwrap());
    tx.commit().await.unwrap();
    let email_withdrawn = json!({"email": "opt_out", "sms": "opt_in", "given_at": renewed.to_rfc3339()});
    let later = vec![
        with_consent("R-4", "D-1", claim.clone(), now),
        with_consent("R-5", "D-1", Value::Null, now),
        with_consent(
            "R-6",
            "D-1",
            json!({"email": "opt_out", "sms": "opt_in", "given_at": objected.to_rfc3339()}),
            now,
        ),
    ];
    take_in(&backend, later, "M-3", now).await;
    let events = ledger(&store, "D-1").await;
    assert_eq!(events.len(), 4, "the objection and the email withdrawal of R-6: {events:?}");
    let last = events.last().unwrap();
    assert_eq!(
        (last.channel, last.kind, last.detail.as_deref()),
        (ChannelKind::Email, ConsentKind::OptOut, Some("invoice R-6"))
    );
    assert_eq!(
        in_force(&store, "D-1", ChannelKind::Sms).await,
        Some(ConsentKind::OptOut),
        "the objection stands"
    );
    assert_eq!(in_force(&store, "D-1", ChannelKind::Email).await, Some(ConsentKind::OptOut));

    // A consent the creditor obtained after the objection is a new one.
    take_in(&backend, vec![with_consent("R-7", "D-1", email_withdrawn, now)], "M-4", now).await;
    let events = ledger(&store, "D-1").await;
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(
        (events[4].channel, events[4].kind, events[4].at),
        (ChannelKind::Sms, ConsentKind::OptIn, renewed)
    );
    assert_eq!(in_force(&store, "D-1", ChannelKind::Sms).await, Some(ConsentKind::OptIn));
    assert_eq!(in_force(&store, "D-1", ChannelKind::Email).await, Some(ConsentKind::OptOut));

    // Issued invoices: D-4 is new to the tenant (its invoice delivered twice), D-5's says
    // nothing, and D-1's, under another name, claims an email consent at the very instant of
    // D-1's withdrawal (the objection wins a tie).
    let issued_claim = json!({"email": "opt_in", "whatsapp": "opt_out", "given_at": given.to_rfc3339()});
    let d4 = with_consent("I-1", "D-4", issued_claim, now);
    let mut renamed =
        with_consent("I-3", "D-1", json!({"email": "opt_in", "given_at": objected.to_rfc3339()}), now);
    renamed["debtor"]["name"] = json!("Erika Neumann");
    let issued = vec![d4.clone(), d4.clone(), with_consent("I-2", "D-5", Value::Null, now), renamed];
    take_in_as(&backend, "invoice.issued", issued, "M-5", now).await;
    let mut events = ledger(&store, "D-4").await;
    events.sort_by_key(|event| event.channel);
    let recorded: Vec<_> = events
        .iter()
        .map(|e| (e.channel, e.kind, e.at, e.source.as_str(), e.detail.as_deref(), e.recorded_at))
        .collect();
    assert_eq!(
        recorded,
        [
            (ChannelKind::Email, ConsentKind::OptIn, given, "intake", Some("invoice I-1"), now),
            (ChannelKind::Whatsapp, ConsentKind::OptOut, given, "intake", Some("invoice I-1"), now),
        ],
        "recorded once though delivered twice"
    );
    let d4_read = audience(&store, "D-4").await.expect("the debtor stored for its consent");
    assert_eq!(d4_read.debtor.email.as_ref().map(|e| e.as_str()), Some("D-4@example.org"));
    assert_eq!(d4_read.marketing.latest(ChannelKind::Email), Some(ConsentKind::OptIn));
    assert!(
        store.case_by_invoice("paytest", "I-1").await.unwrap().is_none(),
        "an issued invoice is not dunned"
    );
    assert!(audience(&store, "D-5").await.is_none(), "no field: no debtor written");
    assert_eq!(
        ledger(&store, "D-1").await.len(),
        5,
        "a consent at the instant of the withdrawal does not undo it"
    );
    let d1 = audience(&store, "D-1").await.unwrap();
    assert_eq!(d1.debtor.name, "Erika Mustermann", "a known debtor keeps its data");
    assert_eq!(d1.marketing.latest(ChannelKind::Email), Some(ConsentKind::OptOut));

    // Redelivered in a later batch: nothing new; then D-4's first overdue invoice, without the
    // field, finds the consent in force.
    take_in_as(&backend, "invoice.issued", vec![d4], "M-6", now).await;
    assert_eq!(ledger(&store, "D-4").await.len(), 2, "a redelivery writes nothing");
    take_in(&backend, vec![with_consent("R-8", "D-4", Value::Null, now)], "M-7", now).await;
    assert_eq!(in_force(&store, "D-4", ChannelKind::Email).await, Some(ConsentKind::OptIn));
    assert_eq!(in_force(&store, "D-4", ChannelKind::Whatsapp).await, Some(ConsentKind::OptOut));
    stop_roles(trigger, roles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_records_marketing_consent_on_the_embedded_backend() {
    scenario(Backend::embedded().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_records_marketing_consent_on_postgres_and_rabbitmq() {
    let Some(backend) = Backend::postgres_rabbitmq().await else { return };
    scenario(backend).await;
}
