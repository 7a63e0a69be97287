//! Fuzzing Stripe's webhook events (once the signature holds): arbitrary bodies, arbitrary JSON
//! and valid Checkout Session events with one field broken never panic; a refusal names the
//! member (`data.object.amount_total`) or serde's line and column in the body; a payment is
//! never negative; valid events still record their payment.

use super::*;
use crate::fuzz;
use proptest::prelude::*;
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_765_000_100, 0).unwrap()
}

fn valid_event(kind: &str) -> Value {
    json!({"id": "evt_1", "object": "event", "type": kind, "created": 1_765_000_000,
           "data": {"object": {"id": "cs_test_1", "object": "checkout.session", "payment_status": "paid",
               "payment_intent": {"id": "pi_1", "last_payment_error": {"message": "card declined"}},
               "amount_total": 12_345, "currency": "eur",
               "metadata": {"tenant": "acme", "invoice_number": "RE-2026-0042"}}}})
}

fn kinds() -> Vec<&'static str> {
    vec![
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
    ]
}

fn check(body: &[u8]) -> Result<(), TestCaseError> {
    let result = event_of(body).and_then(|event| action_of(&event, now()));
    match result {
        Err(WebhookError::Malformed(message)) => prop_assert!(
            (message.starts_with("body: ") && message.contains("line "))
                || message.starts_with("data.object: ")
                || message.starts_with("data.object."),
            "names no field or position: {message}"
        ),
        Err(other) => return Err(TestCaseError::fail(format!("not a refusal of the body: {other}"))),
        Ok(Action::Record(payment) | Action::Pending(payment) | Action::Failed(payment, _)) => {
            prop_assert!(!payment.amount.amount().is_sign_negative(), "{payment:?}");
        }
        Ok(Action::Ignore(_)) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz::config(256))]

    #[test]
    fn arbitrary_bodies_never_panic(body in prop_oneof![fuzz::bytes(256), fuzz::near_text(128).prop_map(String::into_bytes)]) {
        check(&body)?;
    }

    #[test]
    fn arbitrary_sessions_never_panic(object in fuzz::json_value(), kind in proptest::sample::select(kinds())) {
        let mut event = valid_event(kind);
        event["data"]["object"] = object;
        check(event.to_string().as_bytes())?;
    }

    #[test]
    fn an_event_with_one_field_broken_never_panics(
        broken in proptest::sample::select(kinds()).prop_flat_map(|kind| fuzz::one_field_broken(valid_event(kind))),
    ) {
        check(&broken.bytes())?;
    }

    #[test]
    fn valid_payments_still_record_their_amount(units in 0i64..=i64::MAX, currency in proptest::sample::select(vec!["eur", "jpy", "kwd", "chf"])) {
        let mut event = valid_event("checkout.session.completed");
        event["data"]["object"]["amount_total"] = json!(units);
        event["data"]["object"]["currency"] = json!(currency);
        let action = action_of(&event_of(event.to_string().as_bytes()).unwrap(), now()).unwrap();
        let Action::Record(payment) = &action else { panic!("{action:?}") };
        let currency = Currency::parse(&currency.to_ascii_uppercase()).unwrap();
        prop_assert_eq!(&payment.amount, &from_minor_units(units, currency));
    }

    #[test]
    fn arbitrary_signature_headers_never_panic_nor_pass(header in fuzz::near_text(120), body in fuzz::bytes(64)) {
        let _ = stripe_signature::SignatureHeader::parse(&header);
        prop_assert!(stripe_signature::verify(b"whsec_test", &body, Some(&header), now(), Duration::from_secs(300)).is_err());
    }
}

#[test]
fn a_negative_amount_is_refused_naming_the_field() {
    let mut event = valid_event("checkout.session.completed");
    event["data"]["object"]["amount_total"] = json!(-1);
    let error = action_of(&event_of(event.to_string().as_bytes()).unwrap(), now()).unwrap_err();
    assert_eq!(error.to_string(), "data.object.amount_total: -1 is negative");
}
