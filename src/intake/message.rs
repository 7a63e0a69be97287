//! The `mahnwerk.invoice.v1` contract: parsing one intake message into an [`IntakeCommand`], or a
//! [`FieldError`] naming the first field that is wrong.
//!
//! Routing key `invoice.overdue` carries the whole invoice. `invoice.paid` and
//! `invoice.cancelled` need only `schema`, `tenant` and `invoice_number`, plus `paid_at` (RFC
//! 3339) for a payment and optionally `amount_paid` (default: the whole open amount),
//! `currency` and `payment_reference` (default: derived from `paid_at` and the amount, so a
//! replayed message is recorded once). The debtor's marketing consent (`debtor.marketing_consent`)
//! is read by [`super::marketing`].

use super::fields::Fields;
use super::IntakeCommand;
use crate::domain::*;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

pub const SCHEMA: &str = "mahnwerk.invoice.v1";
/// Larger messages are refused before parsing.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Amounts (`amount_due`, `amount_paid`, a line's `unit_price`) must stay below 10^15 of the
/// currency's unit, and a line's `quantity` below 10^9: larger ones are no invoice, and a
/// line's total, fees and interest computed from them would leave `rust_decimal`'s range
/// (its arithmetic panics on overflow).
pub const MAX_AMOUNT_DIGITS: u32 = 15;
pub const MAX_QUANTITY_DIGITS: u32 = 9;

pub const OVERDUE: &str = "invoice.overdue";
pub const PAID: &str = "invoice.paid";
pub const CANCELLED: &str = "invoice.cancelled";
/// An invoice issued and not (yet) overdue: the same body as [`OVERDUE`], kept only as purchase
/// history for recommendations; never dunned.
pub const ISSUED: &str = "invoice.issued";
/// The creditor's answer to a dispute: `resolution` (`claim_stands` or `claim_withdrawn`),
/// optional `note` and `resolved_at`.
pub const DISPUTE_RESOLVED: &str = "case.dispute_resolved";
/// One item of the tenant's product catalogue, for recommendations after payment: the fields
/// of a catalogue file's line (`sku`, `name`, `url`, `price`, `category`, `active`,
/// `repeatable`) beside `schema` and `tenant`; a later item with the same SKU replaces it.
pub const CATALOGUE_ITEM: &str = "catalogue.item";
/// Every routing key intake takes.
pub const ROUTING_KEYS: [&str; 6] = [OVERDUE, PAID, CANCELLED, DISPUTE_RESOLVED, ISSUED, CATALOGUE_ITEM];

/// What the intake knows of a message even when it is rejected, for the rejections table.
#[derive(Debug, Default, Clone)]
pub struct Identity {
    pub tenant: Option<String>,
    pub invoice_number: Option<String>,
}

/// Parses one message. `now` stamps the receipt; `plans` resolves the dunning plan.
pub fn parse(
    routing_key: &str,
    body: &[u8],
    plans: &PlanBook,
    now: DateTime<Utc>,
) -> Result<IntakeCommand, (FieldError, Identity)> {
    let mut identity = Identity::default();
    parse_inner(routing_key, body, plans, now, &mut identity).map_err(|e| (e, identity))
}

fn parse_inner(
    routing_key: &str,
    body: &[u8],
    plans: &PlanBook,
    now: DateTime<Utc>,
    identity: &mut Identity,
) -> Result<IntakeCommand, FieldError> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(FieldError::new(
            "$",
            format!("message of {} bytes exceeds the limit of 1 MiB", body.len()),
        ));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| FieldError::new("$", format!("not valid JSON: {e}")))?;
    let root = Fields::root(&value)?;
    let schema = root.str("schema")?;
    if schema != SCHEMA {
        return Err(root.error_at("schema", format!("'{schema}' is not supported; expected \"{SCHEMA}\"")));
    }
    identity.tenant = root.opt_str("tenant").ok().flatten().map(str::to_owned);
    let tenant = root.parse("tenant", TenantId::parse)?;
    if routing_key == CATALOGUE_ITEM {
        let item = super::catalogue::from_json(1, &value)
            .map_err(|error| root.error_at(&error.field, error.reason))?;
        return Ok(IntakeCommand::CatalogueItem { tenant, item, received_at: now });
    }
    identity.invoice_number = root.opt_str("invoice_number").ok().flatten().map(str::to_owned);
    let invoice_number = root.parse("invoice_number", InvoiceNumber::parse)?;
    match routing_key {
        OVERDUE => overdue(&root, tenant, invoice_number, plans, now),
        ISSUED => match overdue(&root, tenant, invoice_number, plans, now)? {
            IntakeCommand::Overdue { invoice, received_at, marketing_consent, .. } => {
                Ok(IntakeCommand::Issued { invoice, received_at, marketing_consent })
            }
            _ => unreachable!("overdue() makes an overdue command"),
        },
        PAID => paid(&root, tenant, invoice_number),
        CANCELLED => {
            let at = root.opt_parse("cancelled_at", rfc3339)?.unwrap_or(now);
            Ok(IntakeCommand::Cancelled { tenant, invoice_number, at })
        }
        DISPUTE_RESOLVED => {
            let resolution = root.parse("resolution", |raw| {
                DisputeResolution::parse(raw).ok_or_else(|| {
                    Invalid::new(format!("'{raw}' is neither \"claim_stands\" nor \"claim_withdrawn\""))
                })
            })?;
            let note = root.opt_str("note")?.unwrap_or_default();
            if note.chars().count() > 2000 {
                return Err(root.error_at("note", "must be at most 2000 characters"));
            }
            let at = root.opt_parse("resolved_at", rfc3339)?.unwrap_or(now);
            Ok(IntakeCommand::DisputeResolved {
                tenant,
                invoice_number,
                resolution,
                note: note.to_owned(),
                at,
            })
        }
        other => Err(FieldError::new(
            "routing_key",
            format!("'{other}' is not one of {}", ROUTING_KEYS.join(", ")),
        )),
    }
}

fn overdue(
    root: &Fields<'_>,
    tenant: TenantId,
    number: InvoiceNumber,
    plans: &PlanBook,
    now: DateTime<Utc>,
) -> Result<IntakeCommand, FieldError> {
    let issued_on = root.parse("issued_on", date)?;
    let due_on = root.parse("due_on", date)?;
    if due_on < issued_on {
        return Err(root.error_at("due_on", format!("{due_on} is before issued_on {issued_on}")));
    }
    let currency = root.parse("currency", Currency::parse)?;
    let amount_due =
        Money::parse(root.amount_str("amount_due")?, currency).map_err(|e| root.error_at("amount_due", e))?;
    if !amount_due.is_positive() {
        return Err(root.error_at("amount_due", "must be greater than zero"));
    }
    below(root, "amount_due", amount_due.amount(), MAX_AMOUNT_DIGITS)?;
    let terms = PaymentTerms {
        due_by_calendar: root.opt_bool("due_by_calendar")?.unwrap_or(false),
        states_30_day_rule: root.opt_bool("states_30_day_rule")?.unwrap_or(false),
    };
    let lines = root.opt_objects("lines")?.iter().map(line).collect::<Result<Vec<_>, _>>()?;
    let debtor_fields = root.object("debtor")?;
    let debtor = debtor(&debtor_fields)?;
    let marketing_consent = super::marketing::claim(&debtor_fields, now)?;
    let requested_plan = root.opt_str("plan")?;
    let plan = plans
        .resolve(&tenant, debtor.kind, requested_plan)
        .map_err(|e| root.error_at("plan", e))?
        .name
        .clone();
    let invoice = Invoice {
        tenant,
        number,
        issued_on,
        due_on,
        amount_due,
        terms,
        lines,
        debtor,
        plan: requested_plan.map(str::to_owned),
    };
    Ok(IntakeCommand::Overdue { invoice, plan, received_at: now, marketing_consent })
}

fn line(fields: &Fields<'_>) -> Result<InvoiceLine, FieldError> {
    let description = fields.str("description")?;
    if description.trim().is_empty() || description.chars().count() > 500 {
        return Err(fields.error_at("description", "must be 1 to 500 characters"));
    }
    let quantity = fields.decimal("quantity")?;
    if quantity <= rust_decimal::Decimal::ZERO {
        return Err(fields.error_at("quantity", "must be greater than zero"));
    }
    below(fields, "quantity", quantity, MAX_QUANTITY_DIGITS)?;
    let unit_price = fields.decimal("unit_price")?;
    below(fields, "unit_price", unit_price, MAX_AMOUNT_DIGITS)?;
    Ok(InvoiceLine {
        sku: fields.opt_str("sku")?.map(str::to_owned),
        description: description.to_owned(),
        quantity,
        unit_price,
    })
}

/// Refuses `value` (at `name` of `fields`) unless its magnitude is below 10^`digits`.
fn below(
    fields: &Fields<'_>,
    name: &str,
    value: rust_decimal::Decimal,
    digits: u32,
) -> Result<(), FieldError> {
    let limit = rust_decimal::Decimal::from(10_i64.pow(digits));
    if value.abs() >= limit {
        return Err(fields.error_at(name, format!("'{value}' is too large: must be less than 10^{digits}")));
    }
    Ok(())
}

/// A debtor's IBAN (printed or electronic form) in the electronic form it is stored and compared
/// in; refused unless its country, length and check digits hold.
fn debtor_iban(raw: &str) -> Result<String, Invalid> {
    mahnwerk_channels::iban::Iban::parse(raw)
        .map(|iban| iban.as_str().to_owned())
        .map_err(|e| Invalid::new(e.to_string()))
}

fn debtor(fields: &Fields<'_>) -> Result<Debtor, FieldError> {
    let name = fields.str("name")?;
    if name.trim().is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(fields.error_at("name", "must be 1 to 200 printable characters"));
    }
    let address = match fields.opt_object("address")? {
        None => None,
        Some(a) => {
            let country = a.parse("country", CountryCode::parse)?;
            let line2 = a.opt_str("line2")?;
            Some(
                PostalAddress::parse(a.str("line1")?, line2, a.str("postal_code")?, a.str("city")?, country)
                    .map_err(|(part, e)| a.error_at(part, e))?,
            )
        }
    };
    let contact_person = fields.opt_str("contact_person")?.map(str::trim).filter(|c| !c.is_empty());
    if let Some(contact) = contact_person {
        if contact.chars().count() > 200 || contact.chars().any(char::is_control) {
            return Err(fields.error_at("contact_person", "must be at most 200 printable characters"));
        }
    }
    let messenger_psid = fields.opt_parse("messenger_psid", messenger_psid)?;
    let phone = fields.opt_parse("phone", PhoneE164::parse_mobile)?;
    let debtor = Debtor {
        id: fields.parse("id", DebtorId::parse)?,
        kind: fields.opt_parse("kind", DebtorKind::parse)?.unwrap_or(DebtorKind::Consumer),
        name: name.to_owned(),
        contact_person: contact_person.map(str::to_owned),
        language: fields.parse("language", Language::parse)?,
        timezone: fields.parse("timezone", Timezone::parse)?,
        email: fields.opt_parse("email", Email::parse)?,
        whatsapp: match (fields.opt_str("phone")?, fields.opt_str("whatsapp")?, &phone) {
            // The same number twice, the usual case, is parsed once: libphonenumber's patterns
            // cost about 15 µs a number, a tenth of the intake's CPU per message.
            (Some(sms), Some(whatsapp), Some(parsed)) if sms == whatsapp => Some(parsed.clone()),
            _ => fields.opt_parse("whatsapp", PhoneE164::parse_mobile)?,
        },
        phone,
        whatsapp_opt_in: fields.opt_bool("whatsapp_opt_in")?.unwrap_or(false),
        messenger_psid,
        address,
        iban: fields.opt_parse("iban", debtor_iban)?,
        unreachable: Default::default(),
    };
    if debtor.reachable_channels().is_empty() {
        return Err(FieldError::new(
            fields.own_path(),
            "no usable channel: give at least one of email, phone, whatsapp (with whatsapp_opt_in), \
             messenger_psid or address",
        ));
    }
    Ok(debtor)
}

fn paid(
    root: &Fields<'_>,
    tenant: TenantId,
    invoice_number: InvoiceNumber,
) -> Result<IntakeCommand, FieldError> {
    let paid_at = root.parse("paid_at", rfc3339)?;
    let amount = match root
        .opt_str("amount_paid")
        .map_err(|_| root.error_at("amount_paid", "must be a decimal string like \"1234.50\""))?
    {
        None => None,
        Some(raw) => {
            let currency = root.parse("currency", Currency::parse)?;
            let money = Money::parse(raw, currency).map_err(|e| root.error_at("amount_paid", e))?;
            if !money.is_positive() {
                return Err(root.error_at("amount_paid", "must be greater than zero"));
            }
            below(root, "amount_paid", money.amount(), MAX_AMOUNT_DIGITS)?;
            Some(money)
        }
    };
    let reference = match root.opt_str("payment_reference")? {
        Some(r) if !r.is_empty() && r.len() <= 140 => r.to_owned(),
        Some(_) => return Err(root.error_at("payment_reference", "must be 1 to 140 characters")),
        None => format!(
            "{}:{}:{}",
            invoice_number,
            paid_at.to_rfc3339(),
            amount.map_or("full".to_owned(), |m| m.amount().to_string())
        ),
    };
    Ok(IntakeCommand::Paid(PaymentRecord {
        tenant,
        invoice_number,
        amount,
        paid_at,
        source: PaymentSource::Amqp,
        reference,
    }))
}

/// A Messenger page-scoped id: 1-64 of A-Z, a-z, 0-9, `-` and `_`.
pub(crate) fn messenger_psid(raw: &str) -> Result<String, Invalid> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if raw.is_empty() || raw.len() > 64 || !raw.chars().all(ok_char) {
        return Err(Invalid::new("must be a page-scoped id (1-64 of A-Z, a-z, 0-9, - and _)"));
    }
    Ok(raw.to_owned())
}

fn date(raw: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Invalid::new(format!("'{raw}' is not a date like 2026-10-15")))
}

pub(super) fn rfc3339(raw: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Invalid::new(format!("'{raw}' is not an RFC 3339 time like 2026-10-20T09:30:00Z")))
}

#[cfg(test)]
#[path = "message_fuzz.rs"]
mod fuzz;
