//! Malformed intake messages of many kinds, generated from a seed: each is a valid invoice
//! message with one thing broken (or not JSON at all), paired with the field the rejection must
//! name.

#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// A valid `invoice.overdue` message; `i` makes the invoice number unique.
pub fn valid(i: usize) -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1", "tenant": "acme", "invoice_number": format!("RE-{i:06}"),
        "issued_on": "2026-10-01", "due_on": "2026-10-15", "currency": "EUR", "amount_due": "1234.50",
        "lines": [{"sku": "A-1", "description": "Wartung", "quantity": "2", "unit_price": "617.25"}],
        "debtor": {"id": format!("C-{i}"), "kind": "consumer", "name": "Erika Mustermann", "language": "de",
            "timezone": "Europe/Berlin", "email": "erika@example.org", "phone": "+4915112345678",
            "whatsapp": "+4915112345678", "whatsapp_opt_in": true, "messenger_psid": null,
            "address": {"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}},
        "plan": "standard-b2c"
    })
}

/// One broken message: routing key, body, and the field its rejection must name.
pub struct Malformed {
    pub routing_key: String,
    pub body: Vec<u8>,
    pub field: String,
}

fn set(value: &mut Value, path: &str, new: Value) {
    let mut target = value;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        target = match part.parse::<usize>() {
            Ok(index) => &mut target[index],
            Err(_) => &mut target[*part],
        };
    }
    target[parts[parts.len() - 1]] = new;
}

fn remove(value: &mut Value, path: &str) {
    let (parent, key) = path.rsplit_once('.').map_or(("", path), |(p, k)| (p, k));
    let target = if parent.is_empty() { value } else { parent.split('.').fold(value, |v, p| &mut v[p]) };
    if let Value::Object(map) = target {
        map.remove(key);
    }
}

const REQUIRED: &[&str] = &[
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
];

/// Wrong values per field, each surely invalid.
fn wrong_values() -> Vec<(&'static str, Value)> {
    vec![
        ("tenant", json!("ACME Corp")),
        ("tenant", json!(42)),
        ("invoice_number", json!("")),
        ("invoice_number", json!(" RE-1")),
        ("issued_on", json!("01.10.2026")),
        ("due_on", json!("2026-02-30")),
        ("due_on", json!("2026-09-01")),
        ("currency", json!("XXX")),
        ("currency", json!("eur")),
        ("amount_due", json!("-5.00")),
        ("amount_due", json!("0")),
        ("amount_due", json!("0.00")),
        ("amount_due", json!("1e3")),
        ("amount_due", json!("12,50")),
        ("amount_due", json!("1.234")),
        ("amount_due", json!(1234.5)),
        ("amount_due", json!("")),
        ("schema", json!("mahnwerk.invoice.v2")),
        ("debtor", json!("Erika")),
        ("debtor.email", json!("erika(at)example.org")),
        ("debtor.phone", json!("0151 1234567")),
        ("debtor.whatsapp", json!("+0049151")),
        ("debtor.timezone", json!("Mars/Olympus_Mons")),
        ("debtor.timezone", json!("CET+1")),
        ("debtor.language", json!("deutsch")),
        ("debtor.kind", json!("alien")),
        ("debtor.whatsapp_opt_in", json!("yes")),
        ("debtor.messenger_psid", json!("id with spaces")),
        ("debtor.contact_person", json!("Anna\nSchmidt")),
        ("debtor.iban", json!("DE03100100100006820101")),
        ("debtor.address.country", json!("Germany")),
        ("debtor.address.postal_code", json!("")),
        ("debtor.name", json!("")),
        ("plan", json!("no-such-plan")),
        ("lines", json!("none")),
        ("lines.0.quantity", json!("-1")),
        ("lines.0.unit_price", json!(617.25)),
        ("lines.0.description", json!(null)),
    ]
}

/// `n` malformed messages from `seed`, many kinds mixed.
pub fn generate(seed: u64, n: usize) -> Vec<Malformed> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let wrong = wrong_values();
    (0..n)
        .map(|i| {
            let mut message = valid(1_000_000 + i);
            let kind = rng.gen_range(0..8);
            let (body, field, routing_key) = match kind {
                0 => {
                    let path = REQUIRED[rng.gen_range(0..REQUIRED.len())];
                    remove(&mut message, path);
                    (message.to_string().into_bytes(), path.to_owned(), "invoice.overdue")
                }
                1..=3 => {
                    let (path, value) = &wrong[rng.gen_range(0..wrong.len())];
                    set(&mut message, path, value.clone());
                    let field = match *path {
                        "lines.0.quantity" => "lines[0].quantity".to_owned(),
                        "lines.0.unit_price" => "lines[0].unit_price".to_owned(),
                        "lines.0.description" => "lines[0].description".to_owned(),
                        "debtor.address.postal_code" => "debtor.address.postal_code".to_owned(),
                        other => other.to_owned(),
                    };
                    (message.to_string().into_bytes(), field, "invoice.overdue")
                }
                4 => {
                    // Truncated JSON, random bytes, not an object.
                    let text = message.to_string();
                    let body = match rng.gen_range(0..4) {
                        0 => text.as_bytes()[..rng.gen_range(0..text.len())].to_vec(),
                        1 => (0..rng.gen_range(0..200)).map(|_| rng.gen::<u8>()).collect(),
                        2 => b"[1, 2, 3]".to_vec(),
                        _ => b"\"just a string\"".to_vec(),
                    };
                    (body, "$".to_owned(), "invoice.overdue")
                }
                5 => {
                    // No way to reach the debtor.
                    for key in ["email", "phone", "whatsapp", "messenger_psid", "address"] {
                        remove(&mut message, &format!("debtor.{key}"));
                    }
                    (message.to_string().into_bytes(), "debtor".to_owned(), "invoice.overdue")
                }
                6 => {
                    let body = json!({"schema": "mahnwerk.invoice.v1", "tenant": "acme",
                                      "invoice_number": format!("NOPE-{i}"), "paid_at": "2026-10-20T09:30:00Z"});
                    (body.to_string().into_bytes(), "invoice_number".to_owned(), "invoice.paid")
                }
                _ => (message.to_string().into_bytes(), "routing_key".to_owned(), "invoice.refunded"),
            };
            Malformed { routing_key: routing_key.to_owned(), body, field }
        })
        .collect()
}
