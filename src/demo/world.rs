//! The simulated world as the creditor would describe it over AMQP: `mahnwerk.invoice.v1`
//! messages for the simulator's debtors and invoices, and `invoice.paid` messages for their
//! payments. Used by the demo, the end-to-end tests and the pipeline benchmark.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mahnwerk_models::sim::{Segment, SimDebtor, SimInvoice};
use serde_json::{json, Value};

/// Day 0 of the simulation: a Monday.
pub fn epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z").expect("a valid constant").with_timezone(&Utc)
}

/// The calendar date of simulation day `day`.
pub fn date_of(day: u32) -> NaiveDate {
    epoch().date_naive() + Duration::days(i64::from(day))
}

fn cents(amount: i64) -> String {
    format!("{}.{:02}", amount / 100, amount % 100)
}

/// The `invoice.overdue` message for `invoice` of `debtor`.
pub fn invoice_message(tenant: &str, debtor: &SimDebtor, invoice: &SimInvoice) -> Value {
    let city = match debtor.country.as_str() {
        "AT" => ("1010", "Wien"),
        "CH" => ("8001", "Zürich"),
        "FR" => ("75001", "Paris"),
        "GB" => ("SW1A 1AA", "London"),
        _ => ("10115", "Berlin"),
    };
    let lines: Vec<Value> = invoice
        .lines
        .iter()
        .map(|l| {
            json!({"sku": l.sku, "description": l.description, "quantity": l.quantity.to_string(),
                   "unit_price": cents(l.unit_price_cents)})
        })
        .collect();
    let whatsapp = debtor.contact.whatsapp_opt_in.then(|| debtor.phone_e164()).flatten();
    json!({
        "schema": "mahnwerk.invoice.v1",
        "tenant": tenant,
        "invoice_number": invoice.invoice_number,
        "issued_on": date_of(invoice.issued_day).to_string(),
        "due_on": date_of(invoice.due_day).to_string(),
        "currency": invoice.currency,
        "amount_due": cents(invoice.amount_cents),
        "lines": lines,
        "debtor": {
            "id": debtor.id,
            "kind": match debtor.segment { Segment::Consumer => "consumer", Segment::Business => "business" },
            "name": debtor.name,
            "language": debtor.language,
            "timezone": debtor.timezone,
            "email": debtor.email_address(),
            "phone": debtor.phone_e164(),
            "whatsapp": whatsapp,
            "whatsapp_opt_in": debtor.contact.whatsapp_opt_in,
            "messenger_psid": debtor.messenger_psid(),
            "address": {"line1": format!("Musterstraße {}", invoice.debtor_index + 1),
                        "postal_code": city.0, "city": city.1, "country": debtor.country},
        },
    })
}

/// The `invoice.paid` message for a payment of the whole open amount at `paid_at`.
pub fn paid_message(tenant: &str, invoice_number: &str, paid_at: DateTime<Utc>) -> Value {
    json!({
        "schema": "mahnwerk.invoice.v1",
        "tenant": tenant,
        "invoice_number": invoice_number,
        "paid_at": paid_at.to_rfc3339(),
        "payment_reference": format!("transfer-{invoice_number}"),
    })
}
