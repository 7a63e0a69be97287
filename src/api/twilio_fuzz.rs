//! Fuzzing Twilio's webhook parsing: arbitrary bodies, forms with one field broken, and
//! arbitrary signature headers never panic; a refusal names the field; valid callbacks still
//! become receipts and keyword replies consent events.

use super::*;
use crate::fuzz;
use proptest::prelude::*;

const TOKEN: &[u8] = b"twilio-auth-token";
const URL: &str = "https://mahnwerk.example/webhooks/twilio/status";

fn now() -> DateTime<Utc> {
    "2026-12-01T10:00:00Z".parse().unwrap()
}

fn status_form() -> Form {
    [
        ("MessageSid", "SM0123"),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30005"),
        ("To", "+4915100000001"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn inbound_form() -> Form {
    [("MessageSid", "SM0456"), ("From", "+4915100000001"), ("Body", "STOP")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `form` with field `index` left out (`None`) or given `value`.
fn broken(mut form: Form, index: usize, value: Option<String>) -> (Form, String) {
    let index = index % form.len();
    let name = form[index].0.clone();
    match value {
        None => {
            form.remove(index);
        }
        Some(value) => form[index].1 = value,
    }
    (form, name)
}

fn refusal_names_a_field(error: &ApiError, fields: &[&str]) -> bool {
    let ApiError::Malformed(message) = error else { return false };
    fields.iter().any(|field| message.starts_with(&format!("{field}: ")))
}

proptest! {
    #![proptest_config(fuzz::config(256))]

    #[test]
    fn arbitrary_bodies_never_panic(body in prop_oneof![fuzz::bytes(256), fuzz::near_text(128).prop_map(String::into_bytes)]) {
        match form_of(&body) {
            Err(error) => prop_assert!(refusal_names_a_field(&error, &["body"]), "{error}"),
            Ok(form) => {
                if let Err(error) = status_report(&form, now()) {
                    prop_assert!(refusal_names_a_field(&error, &["MessageSid", "MessageStatus"]), "{error}");
                }
                if let Err(error) = inbound_report(&form, now()) {
                    prop_assert!(refusal_names_a_field(&error, &["MessageSid", "From"]), "{error}");
                }
            }
        }
    }

    #[test]
    fn a_status_callback_with_one_field_broken_is_refused_at_that_field(
        index in 0usize..8,
        value in proptest::option::of(fuzz::near_text(24)),
    ) {
        let (form, name) = broken(status_form(), index, value);
        let body = serde_urlencoded::to_string(&form).unwrap();
        let form = form_of(body.as_bytes()).expect("an encoded form parses");
        match status_report(&form, now()) {
            Ok(report) => prop_assert!(report.receipts.len() <= 1),
            Err(error) => prop_assert!(refusal_names_a_field(&error, &[name.as_str()]), "broke {name}: {error}"),
        }
    }

    #[test]
    fn an_inbound_message_with_one_field_broken_is_refused_at_that_field(
        index in 0usize..8,
        value in proptest::option::of(fuzz::near_text(24)),
    ) {
        let (form, name) = broken(inbound_form(), index, value);
        let body = serde_urlencoded::to_string(&form).unwrap();
        let form = form_of(body.as_bytes()).expect("an encoded form parses");
        match inbound_report(&form, now()) {
            Ok(report) => prop_assert!(report.consents.len() <= 1 && report.inbound.len() == 1),
            Err(error) => prop_assert!(refusal_names_a_field(&error, &[name.as_str()]), "broke {name}: {error}"),
        }
    }

    #[test]
    fn valid_status_callbacks_still_become_receipts(
        sid in "SM[0-9a-f]{32}",
        status in proptest::sample::select(vec!["sent", "delivered", "read", "undelivered", "failed"]),
    ) {
        let body = serde_urlencoded::to_string([("MessageSid", sid.as_str()), ("MessageStatus", status)]).unwrap();
        let report = status_report(&form_of(body.as_bytes()).unwrap(), now()).unwrap();
        prop_assert_eq!(&report.receipts[0].target, &ReceiptTarget::ProviderId(sid));
    }

    #[test]
    fn arbitrary_signatures_never_pass(header in proptest::option::of(fuzz::near_text(64)), body in fuzz::bytes(128)) {
        let form = form_of(&body).unwrap_or_default();
        prop_assert!(verify_twilio(TOKEN, URL, &form, header.as_deref()).is_err());
    }
}
