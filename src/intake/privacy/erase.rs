//! Art. 17 GDPR: a debtor's personal data overwritten wherever mahnwerk keeps them, while the
//! figures the creditor must retain for ten years (§ 147 AO, § 257 HGB) stay: invoice numbers,
//! dates, amounts due and paid, invoice lines (an invoice's content is itself a record to
//! retain), payments, reminder fees and dates, and everything the legal engine computes interest
//! from. The debtor id stays too: it is the creditor's own key, which the bookkeeping uses.
//!
//! What is overwritten, and with what:
//! - the debtor: name becomes [`ERASED`]; contact person, email, phone, WhatsApp number and
//!   opt-in, Messenger id, address lines, postal code, city, bank account (IBAN) and the
//!   addresses remembered as unreachable are emptied (kind, language, time zone and country stay: they name no one);
//! - the consent ledger: each event's free-text detail (the events themselves stay, as proof of
//!   what the debtor agreed to or refused);
//! - reminders: provider error texts (they may quote an address);
//! - disputes: the debtor's free-text details (the reason stays);
//! - events: the personal fields of `contact.requested`, `case.disputed` and
//!   `case.dispute_resolved`;
//! - claim statements fixed at escalation: the debtor's name becomes [`ERASED`], contact person
//!   and address are dropped (the figures, reminders and payments of the statement stay);
//! - the audit log: before and after of contact edits about the debtor;
//! - rejected intake messages about the debtor's invoices: the stored payload (reason and field
//!   stay);
//! - the purchase history of invoices issued but never dunned (`invoice.issued`), kept only for
//!   product recommendations (profiling, not bookkeeping: the creditor keeps its own invoices):
//!   deleted. The recommender's fitted models hold no debtor's data, only how often items are
//!   bought together;
//! - what was recommended to the debtor after a payment, and which of it they bought later
//!   (profiling too): deleted; the items of `recommendation.created` events become an empty
//!   list and the SKU of `recommendation.clicked` and `recommendation.converted` [`ERASED`];
//! - thank-you messages: one still pending is withheld (never sent to an erased debtor), a
//!   provider error text is overwritten; the shop webhook's stored body (the debtor's key and
//!   what was recommended) is replaced, and one not yet delivered is not delivered.
//!
//! Bank statement lines keep the payer's name and the remittance text as the bank booked them:
//! a bank statement is an accounting record the creditor must retain (§ 147 (1) no. 4 AO, ten
//! years), which is the exception of Art. 17 (3) (b) GDPR, like the invoices themselves.
//!
//! The marketing consent ledger (consents to advertising and objections, `marketing_consents`)
//! stays whole, details included. Its events are the creditor's proof of a consent (Art. 7 (1)
//! GDPR) and, above all, the debtor's objections, which must outlive the erasure: without them
//! the existing-customer exception (§ 7 (3) UWG) would let advertising resume by email as soon
//! as an invoice brought an address again. They name channels, never addresses, and their
//! details are written by mahnwerk (`invoice <number>`, the operator, `thank-you message <id>`),
//! never the debtor's words, so unlike the reminders' ledger there is no free text to overwrite.
//!
//! Rendered reminders are not stored (only the sandbox transports write copies, to files).

use crate::domain::{DebtorId, TenantId};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// What replaces an erased text.
pub const ERASED: &str = "[erased]";

/// Audit actions whose before and after hold the debtor's personal data.
const PERSONAL_AUDIT_ACTIONS: [&str; 1] = ["debtor.contact"];

/// Event kinds, and which of their fields are the debtor's personal data (a text becomes
/// [`ERASED`], a list becomes empty).
const PERSONAL_EVENT_FIELDS: [(&str, &[&str]); 6] = [
    ("contact.requested", &["phone", "email", "window", "message"]),
    ("case.disputed", &["details"]),
    ("case.dispute_resolved", &["note"]),
    ("recommendation.created", &["items"]),
    ("recommendation.clicked", &["sku"]),
    ("recommendation.converted", &["sku"]),
];

/// What a shop webhook's stored body becomes.
const ERASED_WEBHOOK_BODY: &str = r#"{"erased":true}"#;

/// Why a shop webhook not yet delivered never will be.
const WEBHOOK_NOT_DELIVERED: &str = "not delivered: the debtor was erased";

/// What an erasure overwrote, by kind (counts, never the data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Anonymised {
    /// The debtor's cases, by id.
    pub cases: Vec<i64>,
    pub consent_details: u64,
    pub reminder_errors: u64,
    pub dispute_details: u64,
    pub events: u64,
    pub claim_statements: u64,
    pub audit_entries: u64,
    pub rejected_messages: u64,
    pub purchase_history: u64,
    /// Recommendation lists deleted (one per paid case at most).
    pub recommendations: u64,
    /// Thank-you messages withheld or with an error text overwritten.
    pub thank_you_messages: u64,
    /// Shop webhooks whose body was replaced (a pending one also not delivered).
    pub shop_webhooks: u64,
}

/// Overwrites the personal data of `tenant`'s debtor `debtor` inside `tx`; `None` (and nothing
/// changed) when the tenant has no such debtor. Erasing twice changes nothing the second time.
pub async fn anonymise_debtor(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    debtor: &DebtorId,
    now: DateTime<Utc>,
) -> Result<Option<Anonymised>, StoreError> {
    if !tx.overwrite_debtor(tenant, debtor, ERASED, now).await? {
        return Ok(None);
    }
    let mut done = Anonymised {
        cases: tx.debtor_case_ids(tenant, debtor).await?,
        consent_details: tx.overwrite_consent_details(tenant, debtor, ERASED).await?,
        ..Anonymised::default()
    };
    let mut invoice_numbers = Vec::with_capacity(done.cases.len());
    for &case_id in &done.cases {
        if let Some(case) = tx.tenant_case(tenant, case_id).await? {
            invoice_numbers.push(case.invoice_number);
        }
        done.reminder_errors += tx.overwrite_reminder_errors(case_id, ERASED).await?;
        done.dispute_details += tx.overwrite_dispute_details(case_id, ERASED).await?;
        done.recommendations += tx.delete_recommendations(case_id).await?;
        done.thank_you_messages += tx.withhold_thank_you(case_id, ERASED, now).await?;
        done.shop_webhooks +=
            tx.erase_shop_webhook(case_id, ERASED_WEBHOOK_BODY, WEBHOOK_NOT_DELIVERED, now).await?;
        for statement in tx.claim_statements_of(tenant, case_id).await? {
            let mut body = statement.body;
            if erase_statement_debtor(&mut body) {
                tx.overwrite_claim_statement(case_id, statement.id, &body).await?;
                done.claim_statements += 1;
            }
        }
        for event in tx.case_events(tenant, case_id).await? {
            let mut data = event.data;
            if erase_event_fields(&event.kind, &mut data) {
                tx.overwrite_event(case_id, event.id, &data).await?;
                done.events += 1;
            }
        }
    }
    let replacement = json!({ "erased": true });
    done.audit_entries =
        tx.overwrite_debtor_audit(tenant, debtor, &PERSONAL_AUDIT_ACTIONS, &replacement).await?;
    done.rejected_messages = tx.empty_rejected_payloads(tenant, &invoice_numbers).await?;
    done.purchase_history = tx.delete_issued_lines(tenant, debtor).await?;
    Ok(Some(done))
}

/// Overwrites the personal fields of an event body of `kind`; whether it changed anything.
pub fn erase_event_fields(kind: &str, data: &mut Value) -> bool {
    let Some((_, fields)) = PERSONAL_EVENT_FIELDS.iter().find(|(k, _)| *k == kind) else { return false };
    let mut changed = false;
    for field in *fields {
        match data.get_mut(*field) {
            Some(value) if value.is_string() && *value != ERASED => *value = Value::from(ERASED),
            Some(Value::Array(items)) if !items.is_empty() => items.clear(),
            _ => continue,
        }
        changed = true;
    }
    changed
}

/// Overwrites who the debtor is in a stored claim statement: the name becomes [`ERASED`],
/// contact person and address are dropped; whether it changed anything.
pub fn erase_statement_debtor(body: &mut Value) -> bool {
    let Some(debtor) = body.get_mut("debtor").and_then(Value::as_object_mut) else { return false };
    let mut changed = debtor.remove("contact_person").is_some() | debtor.remove("address").is_some();
    if debtor.get("name").is_some_and(|name| *name != ERASED) {
        debtor.insert("name".into(), Value::from(ERASED));
        changed = true;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_fields_of_an_event_are_overwritten_and_the_rest_kept() {
        let mut data = json!({"kind": "contact.requested", "tenant": "acme", "case_id": 7,
            "phone": "+4915112345678", "email": null, "window": "weekdays 9-12", "message": "call me"});
        assert!(erase_event_fields("contact.requested", &mut data));
        assert_eq!(data["phone"], ERASED);
        assert_eq!(data["email"], Value::Null, "nothing to erase stays empty");
        assert_eq!(data["message"], ERASED);
        assert_eq!((&data["tenant"], &data["case_id"]), (&json!("acme"), &json!(7)));
        assert!(!erase_event_fields("contact.requested", &mut data), "twice changes nothing");
        let mut shown = json!({"kind": "recommendation.created", "model_version": 3,
            "items": [{"rank": 1, "sku": "TON-1", "name": "Toner"}]});
        assert!(erase_event_fields("recommendation.created", &mut shown));
        assert_eq!((&shown["items"], &shown["model_version"]), (&json!([]), &json!(3)));
        assert!(!erase_event_fields("recommendation.created", &mut shown), "twice changes nothing");
        let mut clicked = json!({"kind": "recommendation.clicked", "rank": 1, "sku": "TON-1"});
        assert!(erase_event_fields("recommendation.clicked", &mut clicked));
        assert_eq!((&clicked["sku"], &clicked["rank"]), (&json!(ERASED), &json!(1)));
        let mut paid = json!({"kind": "payment.recorded", "amount": "10.00", "reference": "x"});
        assert!(!erase_event_fields("payment.recorded", &mut paid));
        assert_eq!(paid["reference"], "x");
    }

    #[test]
    fn a_claim_statement_keeps_its_figures_and_loses_the_name_and_address() {
        let mut body = json!({"case_id": 3, "debtor": {"id": "C-1", "kind": "consumer", "name": "Erika Mustermann",
            "address": {"line1": "Musterstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}},
            "breakdown": {"totals": {"principal": "100.00"}}});
        assert!(erase_statement_debtor(&mut body));
        assert_eq!(body["debtor"], json!({"id": "C-1", "kind": "consumer", "name": ERASED}));
        assert_eq!(body["breakdown"]["totals"]["principal"], "100.00");
        assert!(!erase_statement_debtor(&mut body), "twice changes nothing");
        let statement: crate::domain::legal::StatementDebtor =
            serde_json::from_value(body["debtor"].clone()).unwrap();
        assert_eq!(statement.address, None, "an erased statement still reads");
    }
}
