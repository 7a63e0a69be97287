//! The messages of `mahnwerk bench bad-input`: valid `invoice.overdue` messages, and malformed
//! ones of many kinds, each a valid message with one thing broken (or not JSON at all), mixed in
//! one deterministic stream. Bodies are made when they are published, a chunk at a time, so the
//! benchmark never holds the megabyte bodies all at once.

use serde_json::{json, Value};

/// The benchmark's tenant.
pub const TENANT: &str = "bench";
/// The debtor name a changed duplicate gives.
pub const CHANGED_NAME: &str = "Someone Else";

/// What a message of the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Valid,
    BrokenJson,
    WrongType,
    MissingField,
    AbsurdAmount,
    UnknownCurrency,
    InvalidEmail,
    InvalidPhone,
    /// A body just over the 1 MiB limit, or just under it with a 990 kB line description.
    Megabyte,
    InvalidUtf8,
    DeepNesting,
    /// An invoice number sent before (earlier in the stream) with another amount and debtor
    /// name: not malformed to the intake, which keeps the first version (see the README).
    DuplicateChanged,
}

/// The malformed kinds, in the order the stream cycles through them.
pub const MALFORMED: [Kind; 11] = [
    Kind::BrokenJson,
    Kind::WrongType,
    Kind::MissingField,
    Kind::AbsurdAmount,
    Kind::UnknownCurrency,
    Kind::InvalidEmail,
    Kind::InvalidPhone,
    Kind::Megabyte,
    Kind::InvalidUtf8,
    Kind::DeepNesting,
    Kind::DuplicateChanged,
];

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::BrokenJson => "broken_json",
            Kind::WrongType => "wrong_type",
            Kind::MissingField => "missing_field",
            Kind::AbsurdAmount => "absurd_amount",
            Kind::UnknownCurrency => "unknown_currency",
            Kind::InvalidEmail => "invalid_email",
            Kind::InvalidPhone => "invalid_phone",
            Kind::Megabyte => "megabyte_body",
            Kind::InvalidUtf8 => "invalid_utf8",
            Kind::DeepNesting => "deep_nesting",
            Kind::DuplicateChanged => "duplicate_changed",
        }
    }

    /// Whether the intake must dead-letter it.
    pub fn is_rejected(self) -> bool {
        !matches!(self, Kind::Valid | Kind::DuplicateChanged)
    }
}

/// One message of the stream: its kind, and the index of the valid invoice it is about (a
/// valid one's own, the original of a changed duplicate, a fresh number for the others).
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    pub kind: Kind,
    pub number: usize,
    /// Which variant of its kind.
    pub variant: usize,
}

/// `valid` valid messages spread evenly among `malformed` malformed ones, the malformed kinds in
/// turn; a changed duplicate always follows the valid message it changes (a duplicate that
/// would come before any valid one becomes broken JSON).
pub fn plan(malformed: usize, valid: usize) -> Vec<Planned> {
    let total = malformed + valid;
    let mut stream = Vec::with_capacity(total);
    let (mut valid_sent, mut malformed_sent) = (0, 0);
    for i in 0..total {
        let valid_due = valid > 0 && (i + 1) * valid / total > i * valid / total;
        if valid_due && valid_sent < valid || malformed_sent == malformed {
            stream.push(Planned { kind: Kind::Valid, number: valid_sent, variant: 0 });
            valid_sent += 1;
            continue;
        }
        let mut kind = MALFORMED[malformed_sent % MALFORMED.len()];
        let variant = malformed_sent / MALFORMED.len();
        let number = match kind {
            Kind::DuplicateChanged if valid_sent > 0 => variant % valid_sent,
            Kind::DuplicateChanged => {
                kind = Kind::BrokenJson;
                valid + malformed_sent
            }
            _ => valid + malformed_sent,
        };
        stream.push(Planned { kind, number, variant });
        malformed_sent += 1;
    }
    stream
}

/// The amount of valid invoice `number`, as sent first.
pub fn amount_of(number: usize) -> String {
    format!("{}.{:02}", 100 + number % 9_000, number % 100)
}

/// The valid `invoice.overdue` message of invoice `number`.
pub fn valid(number: usize) -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": TENANT, "invoice_number": format!("BAD-{number:07}"),
        "issued_on": "2026-10-01", "due_on": "2026-10-15", "currency": "EUR", "amount_due": amount_of(number),
        "lines": [{"sku": "A-1", "description": "Wartung", "quantity": "1", "unit_price": amount_of(number)}],
        "debtor": {"id": format!("D-{number}"), "kind": "consumer", "name": "Erika Mustermann", "language": "de",
            "timezone": "Europe/Berlin", "email": format!("debtor{number}@example.org"), "phone": "+4915112345678",
            "whatsapp": "+4915112345678", "whatsapp_opt_in": true,
            "address": {"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}},
        "plan": "standard-b2c"
    })
}

/// The body of a planned message.
pub fn body(planned: &Planned) -> Vec<u8> {
    let v = planned.variant;
    let mut message = valid(planned.number);
    let pick = |options: &[Value]| options[v % options.len()].clone();
    match planned.kind {
        Kind::Valid => return message.to_string().into_bytes(),
        Kind::BrokenJson => {
            let text = message.to_string();
            return match v % 4 {
                0 => text.as_bytes()[..text.len() * (v % 97 + 1) / 100].to_vec(),
                1 => text.replacen(',', "", 1).into_bytes(),
                2 => format!("{text}}}").into_bytes(),
                _ => text.replace('"', "'").into_bytes(),
            };
        }
        Kind::WrongType => {
            let (path, value) = [
                ("amount_due", json!(1234.5)),
                ("tenant", json!(42)),
                ("debtor", json!("Erika")),
                ("lines", json!({"sku": "A-1"})),
                ("debtor.whatsapp_opt_in", json!("yes")),
                ("lines.0.quantity", json!(2)),
                ("debtor.address", json!(["Musterstr. 1"])),
                ("issued_on", json!(20261001)),
            ][v % 8]
                .clone();
            set(&mut message, path, value);
        }
        Kind::MissingField => {
            let path = [
                "schema",
                "tenant",
                "invoice_number",
                "issued_on",
                "due_on",
                "currency",
                "amount_due",
                "debtor",
                "debtor.id",
                "debtor.name",
                "debtor.language",
                "debtor.timezone",
            ][v % 12];
            remove(&mut message, path);
        }
        Kind::AbsurdAmount => {
            let (path, value) = [
                ("amount_due", "79228162514264337593543950335"),
                ("amount_due", "1000000000000000.00"),
                ("amount_due", "-5.00"),
                ("amount_due", "0.00"),
                ("amount_due", "1e400"),
                ("amount_due", "12.345"),
                ("lines.0.quantity", "1000000000000"),
                ("lines.0.unit_price", "99999999999999999999.99"),
            ][v % 8];
            set(&mut message, path, json!(value));
        }
        Kind::UnknownCurrency => {
            message["currency"] = pick(&[json!("EURO"), json!("eur"), json!("BTC"), json!("ABC"), json!("")]);
        }
        Kind::InvalidEmail => {
            message["debtor"]["email"] = pick(&[
                json!("erika(at)example.org"),
                json!("erika@"),
                json!("@example.org"),
                json!("erika mustermann@example.org"),
                json!("erika@example@org"),
            ]);
        }
        Kind::InvalidPhone => {
            let phone = pick(&[
                json!("0151 1234567"),
                json!("+49301234567"),
                json!("+1"),
                json!("+999999999999999"),
                json!("+49 151 CALL ME"),
            ]);
            let key = if v % 2 == 0 { "phone" } else { "whatsapp" };
            message["debtor"][key] = phone;
        }
        Kind::Megabyte => {
            // Just over the limit (refused before parsing), or just under it with a description
            // of 990 kB (refused at the field).
            let size = if v % 2 == 0 { crate::intake::message::MAX_MESSAGE_BYTES + 1 } else { 990_000 };
            message["lines"][0]["description"] = json!("x".repeat(size));
        }
        Kind::InvalidUtf8 => {
            let mut body = message.to_string().into_bytes();
            let at = find(&body, b"Wartung").expect("the description is there");
            body[at + v % 7] = [0xff, 0xc3, 0x80, 0xed][v % 4];
            return body;
        }
        Kind::DeepNesting => {
            let depth = [200, 10_000, 100_000][v % 3];
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let text = message.to_string().replacen("\"lines\":", &format!("\"lines\":{nested},\"x\":"), 1);
            return text.into_bytes();
        }
        Kind::DuplicateChanged => {
            message["amount_due"] = json!(format!("{}.99", 100_000 + v));
            message["debtor"]["name"] = json!(CHANGED_NAME);
        }
    }
    message.to_string().into_bytes()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn set(value: &mut Value, path: &str, new: Value) {
    let target = path.split('.').fold(value, |v, part| match part.parse::<usize>() {
        Ok(index) => &mut v[index],
        Err(_) => &mut v[part],
    });
    *target = new;
}

fn remove(value: &mut Value, path: &str) {
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let target = if parent.is_empty() { value } else { parent.split('.').fold(value, |v, p| &mut v[p]) };
    if let Value::Object(map) = target {
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PlanBook;
    use crate::intake::message::{parse, OVERDUE};

    #[test]
    fn the_stream_mixes_every_kind_and_each_is_what_it_says() {
        let stream = plan(220, 50);
        assert_eq!(stream.iter().filter(|p| p.kind == Kind::Valid).count(), 50);
        assert_eq!(stream.len(), 270);
        let now = "2026-11-02T10:00:00Z".parse().unwrap();
        let plans = PlanBook::default();
        let mut seen_valid = std::collections::BTreeSet::new();
        for planned in &stream {
            let parsed = parse(OVERDUE, &body(planned), &plans, now);
            match planned.kind {
                Kind::Valid => {
                    assert!(parsed.is_ok(), "{planned:?}: {:?}", parsed.err());
                    seen_valid.insert(planned.number);
                }
                Kind::DuplicateChanged => {
                    assert!(parsed.is_ok(), "{planned:?}: {:?}", parsed.err());
                    assert!(seen_valid.contains(&planned.number), "the original comes first");
                }
                kind => assert!(parsed.is_err(), "{kind:?} variant {} parsed", planned.variant),
            }
        }
        for kind in MALFORMED {
            assert!(stream.iter().filter(|p| p.kind == kind).count() >= 19, "{kind:?}");
        }
    }
}
