//! Fuzzing Meta's notification parsing (WhatsApp and Messenger): arbitrary bodies, arbitrary
//! JSON and valid notifications with one field broken never panic; a refusal names the field
//! (a timestamp's name, or serde's line and column in the body); valid notifications still
//! report what they say; arbitrary signature headers never pass.

use super::*;
use crate::fuzz;
use mahnwerk_channels::signature::verify_meta;
use proptest::prelude::*;
use serde_json::json;

/// What Meta's refusals start with: the body as a whole, or a timestamp field.
const FIELDS: [&str; 7] = [
    "body",
    "statuses.timestamp",
    "messages.timestamp",
    "user_preferences.timestamp",
    "messaging.timestamp",
    "delivery.watermark",
    "read.watermark",
];

fn whatsapp_notification() -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp",
          "statuses": [{"id": "wamid.2", "status": "failed", "timestamp": "1767600000",
                        "recipient_id": "4915100000002", "errors": [{"code": 131050}]}],
          "messages": [{"from": "4915100000003", "id": "wamid.3", "timestamp": "1767600001",
                        "type": "text", "text": {"body": "Stopp"}}],
          "user_preferences": [{"wa_id": "4915100000004", "value": "stop", "timestamp": 1767600002}]}}]}]})
}

fn messenger_notification() -> Value {
    json!({"object": "page", "entry": [{"id": "P", "time": 1, "messaging": [
        {"sender": {"id": "PSID1"}, "timestamp": 1767600000000_i64, "message": {"mid": "m1", "text": "STOP"}},
        {"sender": {"id": "PSID1"}, "delivery": {"mids": ["m.9"], "watermark": 1767600001000_i64}},
        {"sender": {"id": "PSID1"}, "read": {"watermark": 1767600002000_i64}}]}]})
}

fn check(body: &[u8]) -> Result<(), TestCaseError> {
    if let Err(error) = report_of(body) {
        let ApiError::Malformed(message) = &error else {
            return Err(TestCaseError::fail(format!("not a refusal of the body: {error}")));
        };
        let field = FIELDS.iter().find(|f| message.starts_with(&format!("{f}: ")));
        prop_assert!(field.is_some(), "names no field: {message}");
        if field == Some(&"body") {
            prop_assert!(message.contains("line "), "names no position: {message}");
        }
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
    fn arbitrary_json_never_panics(value in fuzz::json_value(), object in proptest::sample::select(vec!["page", "whatsapp_business_account"])) {
        check(value.to_string().as_bytes())?;
        check(json!({"object": object, "entry": [value]}).to_string().as_bytes())?;
    }

    #[test]
    fn a_whatsapp_notification_with_one_field_broken_never_panics(broken in fuzz::one_field_broken(whatsapp_notification())) {
        check(&broken.bytes())?;
    }

    #[test]
    fn a_messenger_notification_with_one_field_broken_never_panics(broken in fuzz::one_field_broken(messenger_notification())) {
        check(&broken.bytes())?;
    }

    #[test]
    fn valid_statuses_at_any_time_still_report(seconds in 0i64..4_102_444_800, status in proptest::sample::select(vec!["sent", "delivered", "read", "failed"])) {
        let mut notification = whatsapp_notification();
        notification["entry"][0]["changes"][0]["value"]["statuses"][0]["timestamp"] = json!(seconds.to_string());
        notification["entry"][0]["changes"][0]["value"]["statuses"][0]["status"] = json!(status);
        let report = report_of(notification.to_string().as_bytes()).unwrap();
        prop_assert_eq!(report.receipts[0].at.timestamp(), seconds);
    }

    #[test]
    fn arbitrary_signatures_never_pass(header in proptest::option::of(fuzz::near_text(80)), body in fuzz::bytes(128)) {
        prop_assert!(verify_meta(b"app-secret", &body, header.as_deref()).is_err());
    }
}

#[test]
fn out_of_range_times_are_refused_naming_the_field() {
    let mut notification = whatsapp_notification();
    notification["entry"][0]["changes"][0]["value"]["statuses"][0]["timestamp"] = json!(i64::MAX);
    let error = report_of(notification.to_string().as_bytes()).unwrap_err();
    assert!(error.to_string().starts_with("statuses.timestamp: "), "{error}");
    let mut notification = messenger_notification();
    notification["entry"][0]["messaging"][2]["read"]["watermark"] = json!(i64::MIN);
    let error = report_of(notification.to_string().as_bytes()).unwrap_err();
    assert!(error.to_string().starts_with("read.watermark: "), "{error}");
}
