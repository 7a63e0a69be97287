//! Every kind of event, as a consumer of `mahnwerk.events` receives it from a real RabbitMQ
//! queue bound to the exchange, on every backend: each says whom it is about (tenant, case,
//! invoice, debtor, time) and carries its own fields; `reminders.sent` names them per reminder.

use super::*;
use crate::support::amqp::{amqp_url, fresh_queue};
use mahnwerk::queue::{AmqpQueue, Queue};
use mahnwerk::runtime::{Event, EventBody, RemindersSent};
use mahnwerk::schedule::{relay_events, warn_limitation_near};

pub(super) async fn suite_events_on_the_broker(store: Arc<dyn Store>, _raw: Raw) {
    let Some(url) = amqp_url() else { return };
    let queue = fresh_queue(&url).await;
    let topology = queue.topology().clone();
    let numbers = ["RE-1", "RE-2", "RE-3", "RE-4", "RE-5"];
    let arrivals: Vec<IntakeCommand> = numbers.iter().map(|n| overdue(&invoice(n), t0())).collect();
    intake(&store, &arrivals).await;
    let send_at = t0() + hours(1);
    let decide = |case: &DueCase| match case.invoice_number.as_str() {
        "RE-5" => CaseDecision::Escalate,
        _ => CaseDecision::Remind(new_reminder(case, ChannelKind::Email, send_at, send_at + hours(240))),
    };
    assert_eq!(plan(&store, t0(), &decide).await, 5);
    let now = t0() + hours(2);
    assert_eq!(claim(&store, now, 10).await.len(), 4);
    let mut ids = Vec::new();
    for number in &numbers[..4] {
        ids.push(reminders(&store, number).await[0].id);
    }
    store.mark_queued(&ids, t0()).await.unwrap();
    let results = vec![
        (ids[0], sent("p-1")),
        (
            ids[1],
            DeliveryResult::Unreachable {
                error: "550 no such user".into(),
                address: "erika@example.org".into(),
            },
        ),
        (ids[2], DeliveryResult::OptedOut { reason: "the debtor opted out of email".into() }),
        (ids[3], sent("p-4")),
    ];
    report(&store, now, results).await;
    let paid_at = now + hours(1);
    store.record_payment(&payment("RE-1", None, paid_at, "pay-1"), WINDOW).await.unwrap();
    let cancelled =
        IntakeCommand::Cancelled { tenant: tenant(), invoice_number: number("RE-4"), at: paid_at };
    assert_eq!(intake(&store, &[cancelled]).await, [IntakeOutcome::CaseCancelled]);

    assert_eq!(relay(&store, &queue, 7).await, 7, "one event of each kind");

    let mut consumer = queue.consume(&topology.events_queue(), 100).await.unwrap();
    let mut kinds = BTreeMap::new();
    for _ in 0..7 {
        let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .expect("an event in time")
            .expect("the queue is open");
        let message = &delivery.message;
        assert_eq!(message.content_type.as_deref(), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(&message.body).unwrap();
        assert_eq!(body["kind"], message.routing_key.as_str(), "{body}");
        assert_eq!(
            (&body["schema"], &body["tenant"]),
            (&"mahnwerk.event.v1".into(), &TENANT.into()),
            "{body}"
        );
        assert!(body["occurred_at"].as_str().unwrap().parse::<DateTime<Utc>>().is_ok(), "{body}");
        if message.routing_key == "reminders.sent" {
            let sent: RemindersSent = serde_json::from_value(body.clone()).unwrap();
            let listed: Vec<(&str, &str)> =
                sent.reminders.iter().map(|r| (r.invoice_number.as_str(), r.debtor_id.as_str())).collect();
            assert_eq!(listed, [("RE-1", "D-RE-1"), ("RE-4", "D-RE-4")], "{body}");
            assert_eq!(sent.occurred_at, now);
        } else {
            let event: Event = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(event.debtor_id.as_str(), format!("D-{}", event.invoice_number), "{body}");
            assert_eq!(case(&store, event.invoice_number.as_str()).await.case_id, event.case_id, "{body}");
            check_body(&event, &body, now, paid_at);
        }
        kinds.insert(message.routing_key.clone(), body["invoice_number"].clone());
        delivery.ack(false).await.unwrap();
    }
    let expected: BTreeMap<String, serde_json::Value> = [
        ("case.cancelled", "RE-4"),
        ("case.escalated", "RE-5"),
        ("channel.opted_out", "RE-3"),
        ("channel.unreachable", "RE-2"),
        ("payment.recorded", "RE-1"),
        ("reminder.outcome", "RE-1"),
    ]
    .into_iter()
    .map(|(kind, number)| (kind.to_owned(), number.into()))
    .chain([("reminders.sent".to_owned(), serde_json::Value::Null)])
    .collect();
    assert_eq!(kinds, expected);

    // Years later the claims still owed on near their limitation date (31 December 2029): each
    // is warned of once, 90 days ahead; the paid and the cancelled case are not.
    let warn = |now| warn_limitation_near(store.as_ref(), now, 90, 100);
    assert_eq!(warn(at("2029-10-01T12:00:00Z")).await.unwrap(), 0, "91 days ahead");
    let warned_at = at("2029-10-02T12:00:00Z");
    assert_eq!(warn(warned_at).await.unwrap(), 3);
    assert_eq!(warn(warned_at + hours(24)).await.unwrap(), 0, "once per case");
    assert_eq!(relay(&store, &queue, 3).await, 3);
    let mut warned = BTreeSet::new();
    for _ in 0..3 {
        let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
            .await
            .expect("an event in time")
            .expect("the queue is open");
        let body: serde_json::Value = serde_json::from_slice(&delivery.message.body).unwrap();
        assert_eq!(delivery.message.routing_key, "case.limitation_near", "{body}");
        let event: Event = serde_json::from_value(body.clone()).unwrap();
        let EventBody::LimitationNear { limitation_last_day, open_amount, currency, .. } = &event.body else {
            panic!("{body}")
        };
        assert_eq!(
            (limitation_last_day.to_string(), *open_amount, currency.code(), event.occurred_at),
            ("2029-12-31".to_owned(), dec("100.00"), "EUR", warned_at),
            "{body}"
        );
        assert_eq!(event.debtor_id.as_str(), format!("D-{}", event.invoice_number), "{body}");
        warned.insert(event.invoice_number.to_string());
        delivery.ack(false).await.unwrap();
    }
    assert_eq!(warned, ["RE-2", "RE-3", "RE-5"].map(String::from).into());
    drop(consumer);
    queue.delete_topology().await.unwrap();
}

/// Relays stored events to the broker until `expected` went out (on PostgreSQL an event becomes
/// readable to the relay only once every older transaction has ended), or 10 s passed; returns
/// how many went out.
async fn relay(store: &Arc<dyn Store>, queue: &AmqpQueue, expected: usize) -> usize {
    let mut published = 0;
    for _ in 0..400 {
        published += relay_events(store.as_ref(), queue, queue.topology(), 100).await.unwrap();
        if published >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    published
}

/// Each kind's own fields, as the scenario above made them.
fn check_body(event: &Event, body: &serde_json::Value, sent_at: DateTime<Utc>, paid_at: DateTime<Utc>) {
    match &event.body {
        EventBody::PaymentRecorded {
            amount, currency, source, reference, remaining, case_closed, ..
        } => {
            assert_eq!((*amount, currency.code(), source.as_str()), (dec("100.00"), "EUR", "amqp"), "{body}");
            assert_eq!(
                (reference.as_str(), *remaining, *case_closed),
                ("pay-1", Decimal::ZERO, true),
                "{body}"
            );
            assert_eq!(event.occurred_at, paid_at);
        }
        EventBody::ReminderOutcome(line) => {
            assert_eq!((line.reward, line.stage, line.channel), (Some(1.0), 1, ChannelKind::Email), "{body}");
            assert_eq!(line.debtor, "acme/D-RE-1");
            assert_eq!(line.sent_at, Some(sent_at));
        }
        EventBody::CaseCancelled { open_amount, .. } => assert_eq!(*open_amount, dec("100.00"), "{body}"),
        EventBody::CaseEscalated { open_amount, stages_sent, plan, claim, .. } => {
            assert_eq!((*open_amount, *stages_sent, plan.as_str()), (dec("100.00"), 0, PLAN), "{body}");
            // The claim statement's sums, from the legal engine: no reminder went out, so the
            // debtor is not in default and owes the invoice amount alone.
            let claim = claim.as_ref().expect("the claim statement's totals");
            assert_eq!(
                (claim.jurisdiction.as_str(), claim.principal, claim.total, claim.in_default_from),
                ("DE", dec("100.00"), dec("100.00"), None),
                "{body}"
            );
            assert!(claim.limitation_last_day.is_some(), "{body}");
        }
        EventBody::ChannelUnreachable { stage, channel, .. }
        | EventBody::ChannelOptedOut { stage, channel, .. } => {
            assert_eq!((*stage, *channel), (1, ChannelKind::Email), "{body}")
        }
        // The debtor's answers on the pay-page are made and checked by `pay_page`.
        EventBody::PromiseMade { .. }
        | EventBody::PromiseKept { .. }
        | EventBody::PromiseBroken { .. }
        | EventBody::CaseDisputed { .. }
        | EventBody::DisputeResolved { .. }
        | EventBody::ContactRequested { .. }
        | EventBody::InstalmentsAgreed { .. }
        | EventBody::InstalmentMissed { .. }
        | EventBody::InstalmentsCompleted
        | EventBody::InstalmentRequested { .. } => panic!("this scenario makes no {}: {body}", event.kind()),
        // Checked after these, above.
        EventBody::LimitationNear { .. } => panic!("no limitation is near yet: {body}"),
        // Stripe's asynchronous payments; `tests/it/stripe_webhook.rs` checks their bodies.
        EventBody::PaymentPending { .. }
        | EventBody::PaymentFailed { .. }
        | EventBody::PaymentHoldExpired { .. } => {
            panic!("this scenario makes no pending payment: {body}")
        }
        // Recommendations need a catalogue and a fitted model; `tests/it/recommendations.rs`
        // and `tests/it/after_payment.rs` make and check them.
        EventBody::RecommendationCreated { .. }
        | EventBody::RecommendationClicked { .. }
        | EventBody::RecommendationConverted { .. } => {
            panic!("this scenario makes no recommendation: {body}")
        }
    }
}
