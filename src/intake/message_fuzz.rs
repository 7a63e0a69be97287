//! Fuzzing the intake parser ([`super::parse`]): arbitrary bytes and valid messages with one
//! field broken never panic, a bad message is refused with an error naming the field it broke
//! (or `$` with serde's line and column for a body that is no JSON object), and a valid one
//! still parses.

use super::*;
use crate::fuzz::{self, Mutation};
use proptest::prelude::*;
use serde_json::json;

fn now() -> DateTime<Utc> {
    "2026-11-02T10:00:00Z".parse().unwrap()
}

fn valid_overdue() -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "acme", "invoice_number": "RE-2026-0042",
        "issued_on": "2026-10-01", "due_on": "2026-10-15", "currency": "EUR", "amount_due": "1234.50",
        "due_by_calendar": false,
        "lines": [{"sku": "A-1", "description": "Wartung", "quantity": "2", "unit_price": "617.25"}],
        "debtor": {"id": "C-1001", "kind": "consumer", "name": "Erika Mustermann", "language": "de",
            "timezone": "Europe/Berlin", "email": "erika@example.org", "phone": "+4915112345678",
            "whatsapp": "+4915112345678", "whatsapp_opt_in": true, "messenger_psid": null,
            "contact_person": "Anna Schmidt", "iban": "DE02 1001 0010 0006 8201 01",
            "marketing_consent": {"email": "opt_in", "sms": "opt_out", "given_at": "2026-10-01T08:00:00Z"},
            "address": {"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}},
        "plan": "standard-b2c"
    })
}

fn valid_paid() -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "acme", "invoice_number": "RE-2026-0042",
        "paid_at": "2026-10-20T09:30:00Z", "amount_paid": "100.00", "currency": "EUR",
        "payment_reference": "SEPA-1"
    })
}

fn parse_bytes(routing_key: &str, body: &[u8]) -> Result<IntakeCommand, (FieldError, Identity)> {
    parse(routing_key, body, &PlanBook::default(), now())
}

/// Fields whose value another field is checked against: breaking the first may be reported at
/// the second.
fn checked_against(field: &str) -> &'static [&'static str] {
    match field {
        "issued_on" => &["due_on"],
        "currency" => &["amount_due", "amount_paid"],
        "debtor.kind" => &["plan"],
        _ => &[],
    }
}

/// Whether `error` names `field`, something inside it, or a field checked against it.
fn names(error: &FieldError, field: &str) -> bool {
    error.field == field
        || error.field.starts_with(&format!("{field}."))
        || error.field.starts_with(&format!("{field}["))
        || checked_against(field).contains(&error.field.as_str())
}

fn assert_clear(error: &FieldError) {
    assert!(!error.field.is_empty(), "an error names a field: {error:?}");
    assert!(!error.reason.trim().is_empty(), "an error says why: {error:?}");
}

#[test]
fn the_valid_messages_parse() {
    assert!(matches!(
        parse_bytes(OVERDUE, valid_overdue().to_string().as_bytes()),
        Ok(IntakeCommand::Overdue { .. })
    ));
    assert!(matches!(parse_bytes(PAID, valid_paid().to_string().as_bytes()), Ok(IntakeCommand::Paid(_))));
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for depth in [200, 100_000] {
        let (error, _) = parse_bytes(OVERDUE, &fuzz::deeply_nested(depth)).unwrap_err();
        assert_eq!(error.field, "$");
        assert!(error.reason.contains("recursion limit"), "{error:?}");
    }
}

#[test]
fn invalid_utf8_is_refused_naming_its_position() {
    let mut body = valid_overdue().to_string().into_bytes();
    let at = body.windows(7).position(|w| w == b"Wartung").unwrap();
    body[at] = 0xff;
    let (error, _) = parse_bytes(OVERDUE, &body).unwrap_err();
    assert_eq!(error.field, "$");
    assert!(error.reason.contains("line 1 column"), "{error:?}");
}

/// Before the bounds, an `invoice.issued` line like this one reached the purchase history, whose
/// line total (`quantity * unit_price * 100`, `intake::apply`) overflowed `rust_decimal`: a panic
/// in the intake, and the message, never acked, came back to panic again.
#[test]
fn a_line_total_beyond_rust_decimal_is_refused_before_it_is_computed() {
    let mut message = valid_overdue();
    message["lines"][0]["quantity"] = json!("79228162514264337593543950335");
    message["lines"][0]["unit_price"] = json!("2");
    let (error, _) = parse_bytes(ISSUED, message.to_string().as_bytes()).unwrap_err();
    assert_eq!(error.field, "lines[0].quantity");
    let quantity: rust_decimal::Decimal = "79228162514264337593543950335".parse().unwrap();
    assert!(quantity.checked_mul(rust_decimal::Decimal::TWO).is_none(), "it would overflow");
}

#[test]
fn absurd_amounts_and_quantities_are_refused_naming_the_field() {
    let cases = [
        ("amount_due", "1000000000000000.00"),
        ("amount_due", "79228162514264337593543950335"),
        ("lines.0.unit_price", "-1000000000000000"),
        ("lines.0.quantity", "1000000000"),
        ("lines.0.quantity", "0.0000000000000000000000000001"),
    ];
    for (path, amount) in cases {
        let mut message = valid_overdue();
        let (top, rest) = path.split_once('.').unwrap_or((path, ""));
        match rest.split_once('.') {
            Some((index, key)) => message[top][index.parse::<usize>().unwrap()][key] = json!(amount),
            None => message[top] = json!(amount),
        }
        let result = parse_bytes(OVERDUE, message.to_string().as_bytes());
        if amount.starts_with("0.") {
            // Tiny, but a quantity: plausible enough, and its line total cannot overflow.
            assert!(result.is_ok(), "{amount}: {:?}", result.err());
            continue;
        }
        let (error, _) = result.unwrap_err();
        let expected = path.replace(".0.", "[0].");
        assert_eq!(error.field, expected, "{amount}: {error:?}");
    }
}

proptest! {
    #![proptest_config(fuzz::config(256))]

    #[test]
    fn arbitrary_bytes_never_panic_and_name_where_they_fail(
        body in fuzz::bytes(512),
        key in proptest::sample::select(ROUTING_KEYS.to_vec()),
    ) {
        if let Err((error, _)) = parse_bytes(key, &body) {
            assert_clear(&error);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(value in fuzz::json_value(), key in proptest::sample::select(ROUTING_KEYS.to_vec())) {
        if let Err((error, _)) = parse_bytes(key, value.to_string().as_bytes()) {
            assert_clear(&error);
        }
    }

    #[test]
    fn text_that_is_not_json_is_refused_at_its_position(text in fuzz::near_text(64)) {
        if serde_json::from_str::<Value>(&text).is_err() {
            let (error, _) = parse_bytes(OVERDUE, text.as_bytes()).unwrap_err();
            prop_assert_eq!(&error.field, "$");
            prop_assert!(error.reason.contains("not valid JSON") && error.reason.contains("line"), "{:?}", error);
        }
    }

    #[test]
    fn an_overdue_invoice_with_one_field_broken_is_refused_at_that_field(
        broken in fuzz::one_field_broken(valid_overdue()),
    ) {
        check_one_field_broken(OVERDUE, &broken)?;
    }

    #[test]
    fn a_payment_with_one_field_broken_is_refused_at_that_field(
        broken in fuzz::one_field_broken(valid_paid()),
    ) {
        check_one_field_broken(PAID, &broken)?;
    }

    #[test]
    fn truncated_messages_are_refused_as_json(cut in 0usize..600) {
        let body = valid_overdue().to_string().into_bytes();
        let cut = cut.min(body.len() - 1);
        let (error, _) = parse_bytes(OVERDUE, &body[..cut]).unwrap_err();
        prop_assert_eq!(&error.field, "$");
    }

    #[test]
    fn plausible_amounts_still_parse(
        units in 1u64..1_000_000_000_000_000,
        cents in 0u32..100,
        quantity in 1u32..1_000_000,
    ) {
        let mut message = valid_overdue();
        message["amount_due"] = json!(format!("{units}.{cents:02}"));
        message["lines"][0]["quantity"] = json!(quantity.to_string());
        message["lines"][0]["unit_price"] = json!(format!("{units}.{cents:02}"));
        let parsed = parse_bytes(OVERDUE, message.to_string().as_bytes());
        let invoice = match parsed {
            Ok(IntakeCommand::Overdue { invoice, .. }) => invoice,
            other => panic!("{units}.{cents:02} x {quantity}: {other:?}"),
        };
        // What the intake computes from a line (its total in cents) stays in range.
        let line = &invoice.lines[0];
        prop_assert!(line.quantity.checked_mul(line.unit_price)
            .and_then(|total| total.checked_mul(rust_decimal::Decimal::ONE_HUNDRED)).is_some());
    }
}

fn check_one_field_broken(key: &str, broken: &fuzz::Broken) -> Result<(), TestCaseError> {
    let field = broken.field();
    match parse_bytes(key, &broken.bytes()) {
        Ok(_) => {
            // Only leaving out or replacing a value can leave a valid message (an optional
            // field, or another valid value); a value of the wrong type never does.
            prop_assert!(
                !matches!(broken.mutation, Mutation::WrongType(_)),
                "{field} of the wrong type was accepted: {}",
                broken.document
            );
        }
        Err((error, _)) => {
            assert_clear(&error);
            prop_assert!(
                names(&error, &field),
                "broke {field}, but the error names {}: {}",
                error.field,
                error.reason
            );
        }
    }
    Ok(())
}
