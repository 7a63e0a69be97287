//! A creditor's correction of a debtor's contact data (the operator console's "edit contact"):
//! the console's counterpart of the `debtor` block of an invoice message, checked by the same
//! parsers, so an address the intake would refuse is refused here too, naming the field.
//!
//! The body is a JSON object with any of `email`, `phone`, `whatsapp` and `messenger_psid`: a
//! field left out keeps its value, `null` clears it, a string replaces it.

use super::message::messenger_psid;
use crate::domain::{DebtorId, Email, FieldError, Invalid, PhoneE164, TenantId};
use crate::store::console::{ContactData, DebtorRecord};
use crate::store::{StoreError, StoreTx};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// The fields an edit may name.
pub const FIELDS: [&str; 4] = ["email", "phone", "whatsapp", "messenger_psid"];

/// What an edit did.
#[derive(Debug, Clone, PartialEq)]
pub enum ContactOutcome {
    /// Written: the contact data before and after, as JSON.
    Done { before: Value, after: Value },
    /// The tenant has no such debtor.
    UnknownDebtor,
}

/// The debtor's contact data after applying `edit` (a JSON object) to `current`, or the first
/// field that is wrong.
pub fn parse_edit(current: &DebtorRecord, edit: &Value) -> Result<ContactData, FieldError> {
    let Value::Object(edit) = edit else {
        return Err(FieldError::new("$", "the body must be a JSON object"));
    };
    if let Some(unknown) = edit.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(FieldError::new(unknown.as_str(), format!("is not one of {}", FIELDS.join(", "))));
    }
    Ok(ContactData {
        email: field(edit, "email", current.email.as_deref(), Email::parse)?,
        phone: field(edit, "phone", current.phone.as_deref(), PhoneE164::parse_mobile)?,
        whatsapp: field(edit, "whatsapp", current.whatsapp.as_deref(), PhoneE164::parse_mobile)?,
        messenger_psid: field(edit, "messenger_psid", current.messenger_psid.as_deref(), messenger_psid)?,
    })
}

/// One field: left out keeps `current` (as stored, so it parsed once already), `null` clears.
fn field<T>(
    edit: &Map<String, Value>,
    name: &str,
    current: Option<&str>,
    parse: impl Fn(&str) -> Result<T, Invalid>,
) -> Result<Option<T>, FieldError> {
    let at = |e: Invalid| FieldError::new(name, e);
    match edit.get(name) {
        None => current.map(&parse).transpose().map_err(at),
        Some(Value::Null) => Ok(None),
        Some(Value::String(raw)) => parse(raw.trim()).map(Some).map_err(at),
        Some(_) => Err(FieldError::new(name, "must be a string or null")),
    }
}

/// The contact data as the audit log shows them.
pub fn as_json(
    email: Option<&str>,
    phone: Option<&str>,
    whatsapp: Option<&str>,
    psid: Option<&str>,
) -> Value {
    json!({"email": email, "phone": phone, "whatsapp": whatsapp, "messenger_psid": psid})
}

/// Applies `edit` to `tenant`'s debtor `debtor` inside `tx`. Consent is not touched: a new
/// number is reached only on the channels the debtor has not opted out of.
pub async fn edit_contact(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    debtor: &DebtorId,
    edit: &Value,
    now: DateTime<Utc>,
) -> Result<Result<ContactOutcome, FieldError>, StoreError> {
    let Some(current) = tx.tenant_debtor(tenant, debtor).await? else {
        return Ok(Ok(ContactOutcome::UnknownDebtor));
    };
    let contact = match parse_edit(&current, edit) {
        Ok(contact) => contact,
        Err(error) => return Ok(Err(error)),
    };
    tx.set_contact(tenant, debtor, &contact, now).await?;
    let before = as_json(
        current.email.as_deref(),
        current.phone.as_deref(),
        current.whatsapp.as_deref(),
        current.messenger_psid.as_deref(),
    );
    let after = as_json(
        contact.email.as_ref().map(|e| e.as_str()),
        contact.phone.as_ref().map(|p| p.as_str()),
        contact.whatsapp.as_ref().map(|p| p.as_str()),
        contact.messenger_psid.as_deref(),
    );
    Ok(Ok(ContactOutcome::Done { before, after }))
}
