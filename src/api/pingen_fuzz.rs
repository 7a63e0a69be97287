//! Fuzzing Pingen's letter webhook parsing: arbitrary bodies, arbitrary JSON and valid events
//! with one field broken never panic; a refusal names the field (the letter's id, or serde's
//! line and column in the body); valid events still report their letter; arbitrary signature
//! headers never pass.

use super::*;
use crate::fuzz;
use mahnwerk_channels::signature::verify_pingen;
use proptest::prelude::*;
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    "2026-12-01T10:00:00Z".parse().unwrap()
}

fn valid_event() -> Value {
    json!({"data": {
    "id": "ff222222-1111-2222-3333-444444444444", "type": "webhook_undeliverable",
    "attributes": {"reason": "Recipient could not be determined.", "created_at": "2020-11-19T09:42:48+0100"},
    "relationships": {
        "letter": {"links": {"related": "string"}, "data": {"id": "cccccccc-1111", "type": "letters"}}
    }}})
}

fn check(body: &[u8]) -> Result<(), TestCaseError> {
    if let Err(error) = report_of(body, now()) {
        let message = error.to_string();
        prop_assert!(matches!(error, ApiError::Malformed(_)), "{message}");
        prop_assert!(
            message.starts_with("data.relationships.letter.data.id: ")
                || (message.starts_with("body: ") && message.contains("line ")),
            "names no field or position: {message}"
        );
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
    fn arbitrary_json_never_panics(value in fuzz::json_value()) {
        check(value.to_string().as_bytes())?;
        check(json!({"data": value}).to_string().as_bytes())?;
    }

    #[test]
    fn an_event_with_one_field_broken_never_panics(broken in fuzz::one_field_broken(valid_event())) {
        check(&broken.bytes())?;
    }

    #[test]
    fn valid_events_still_report_their_letter(
        id in "[a-f0-9-]{1,40}",
        kind in proptest::sample::select(vec!["webhook_sent", "webhook_delivered", "webhook_undeliverable", "webhook_issues"]),
        reason in fuzz::near_text(400),
    ) {
        let mut event = valid_event();
        event["data"]["type"] = json!(kind);
        event["data"]["relationships"]["letter"]["data"]["id"] = json!(id);
        event["data"]["attributes"]["reason"] = json!(reason);
        let report = report_of(event.to_string().as_bytes(), now()).unwrap();
        prop_assert_eq!(&report.receipts[0].target, &ReceiptTarget::ProviderId(id));
        let kept = report.receipts[0].error.as_deref().unwrap_or("").chars().count();
        prop_assert!(kept <= MAX_REASON_CHARS + "undeliverable: ".len());
    }

    #[test]
    fn arbitrary_signatures_never_pass(header in proptest::option::of(fuzz::near_text(80)), body in fuzz::bytes(128)) {
        prop_assert!(verify_pingen(b"signing-key", &body, header.as_deref()).is_err());
    }
}
