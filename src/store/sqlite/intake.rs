//! Intake writes on SQLite: idempotent invoice upserts, cancellations and payments.

use crate::domain::{CaseEvent, CaseState, Debtor, Invoice};
use crate::store::records::*;
use crate::store::rows::{case_state, decimal};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Sqlite, Transaction};
use std::time::Duration;

type Tx = Transaction<'static, Sqlite>;

pub(super) async fn apply(tx: &mut Tx, command: &IntakeCommand) -> Result<IntakeOutcome, StoreError> {
    match command {
        IntakeCommand::Overdue { invoice, plan, received_at } => {
            insert_invoice(tx, invoice, plan, *received_at).await
        }
        IntakeCommand::Paid(payment) => {
            record_payment(tx, payment, Duration::from_secs(crate::ATTRIBUTION_WINDOW_SECS)).await
        }
        IntakeCommand::Cancelled { tenant, invoice_number, at } => {
            cancel(tx, tenant.as_str(), invoice_number.as_str(), *at).await
        }
    }
}

async fn insert_invoice(
    tx: &mut Tx,
    invoice: &Invoice,
    plan: &str,
    received_at: DateTime<Utc>,
) -> Result<IntakeOutcome, StoreError> {
    let tenant = invoice.tenant.as_str();
    sqlx::query("INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(tenant)
        .bind(received_at)
        .execute(&mut **tx)
        .await?;
    // The debtor must exist before its invoice; its data is only taken from a new invoice, so a
    // replayed (duplicate) message changes nothing.
    upsert_debtor(tx, tenant, &invoice.debtor, received_at, false).await?;
    let invoice_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO invoices (tenant, number, debtor_id, issued_on, due_on, currency, amount_due, amount_paid, plan, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, '0', $8, $9) ON CONFLICT (tenant, number) DO NOTHING RETURNING id",
    )
    .bind(tenant)
    .bind(invoice.number.as_str())
    .bind(invoice.debtor.id.as_str())
    .bind(invoice.issued_on)
    .bind(invoice.due_on)
    .bind(invoice.currency().code())
    .bind(invoice.amount_due.amount().to_string())
    .bind(plan)
    .bind(received_at)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(invoice_id) = invoice_id else {
        return Ok(IntakeOutcome::Duplicate);
    };
    upsert_debtor(tx, tenant, &invoice.debtor, received_at, true).await?;
    super::reports::intake_opt_in(tx, invoice, received_at).await?;
    for (position, line) in invoice.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, position, sku, description, quantity, unit_price) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(invoice_id)
        .bind(position as i64)
        .bind(&line.sku)
        .bind(&line.description)
        .bind(line.quantity.to_string())
        .bind(line.unit_price.to_string())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO cases (invoice_id, state, stages_planned, next_action_at, opened_at, updated_at) \
         VALUES ($1, 'open', 0, $2, $2, $2)",
    )
    .bind(invoice_id)
    .bind(received_at)
    .execute(&mut **tx)
    .await?;
    Ok(IntakeOutcome::Created)
}

/// Inserts the debtor if it is new; with `overwrite`, an existing debtor takes these data.
async fn upsert_debtor(
    tx: &mut Tx,
    tenant: &str,
    d: &Debtor,
    now: DateTime<Utc>,
    overwrite: bool,
) -> Result<(), StoreError> {
    let address = d.address.as_ref();
    let on_conflict = if overwrite {
        "DO UPDATE SET kind = excluded.kind, name = excluded.name, \
         language = excluded.language, timezone = excluded.timezone, email = excluded.email, \
         phone = excluded.phone, whatsapp = excluded.whatsapp, whatsapp_opt_in = excluded.whatsapp_opt_in, \
         messenger_psid = excluded.messenger_psid, address_line1 = excluded.address_line1, \
         address_line2 = excluded.address_line2, postal_code = excluded.postal_code, city = excluded.city, \
         country = excluded.country, updated_at = excluded.updated_at"
    } else {
        "DO NOTHING"
    };
    let sql = format!(
        "INSERT INTO debtors (tenant, id, kind, name, language, timezone, email, phone, whatsapp, whatsapp_opt_in, \
         messenger_psid, address_line1, address_line2, postal_code, city, country, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (tenant, id) {on_conflict}"
    );
    sqlx::query(&sql)
        .bind(tenant)
        .bind(d.id.as_str())
        .bind(d.kind.as_str())
        .bind(&d.name)
        .bind(d.language.as_str())
        .bind(d.timezone.name())
        .bind(d.email.as_ref().map(|e| e.as_str()))
        .bind(d.phone.as_ref().map(|p| p.as_str()))
        .bind(d.whatsapp.as_ref().map(|p| p.as_str()))
        .bind(d.whatsapp_opt_in)
        .bind(&d.messenger_psid)
        .bind(address.map(|a| a.line1.as_str()))
        .bind(address.and_then(|a| a.line2.as_deref()))
        .bind(address.map(|a| a.postal_code.as_str()))
        .bind(address.map(|a| a.city.as_str()))
        .bind(address.map(|a| a.country.as_str()))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The invoice and case a payment or cancellation refers to.
#[derive(sqlx::FromRow)]
struct Target {
    invoice_id: i64,
    currency: String,
    amount_due: String,
    amount_paid: String,
    case_id: i64,
    state: String,
}

async fn target(tx: &mut Tx, tenant: &str, number: &str) -> Result<Option<Target>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT i.id AS invoice_id, i.currency, i.amount_due, i.amount_paid, c.id AS case_id, c.state \
         FROM invoices i JOIN cases c ON c.invoice_id = i.id WHERE i.tenant = $1 AND i.number = $2",
    )
    .bind(tenant)
    .bind(number)
    .fetch_optional(&mut **tx)
    .await?)
}

async fn close_case(
    tx: &mut Tx,
    case_id: i64,
    state: CaseState,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE cases SET state = $1, next_action_at = NULL, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(now)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE reminders SET status = 'cancelled', lease_until = NULL, updated_at = $1 \
         WHERE case_id = $2 AND status IN ('scheduled', 'queued')",
    )
    .bind(now)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn cancel(
    tx: &mut Tx,
    tenant: &str,
    number: &str,
    at: DateTime<Utc>,
) -> Result<IntakeOutcome, StoreError> {
    let Some(target) = target(tx, tenant, number).await? else {
        return Ok(IntakeOutcome::UnknownInvoice);
    };
    let Ok(next) = case_state(&target.state)?.apply(CaseEvent::Cancelled) else {
        return Ok(IntakeOutcome::AlreadyClosed);
    };
    close_case(tx, target.case_id, next, at).await?;
    event(tx, at, "case.cancelled", target.case_id, serde_json::json!({})).await?;
    Ok(IntakeOutcome::CaseCancelled)
}

pub(super) async fn record_payment(
    tx: &mut Tx,
    payment: &PaymentRecord,
    attribution_window: Duration,
) -> Result<IntakeOutcome, StoreError> {
    let Some(target) = target(tx, payment.tenant.as_str(), payment.invoice_number.as_str()).await? else {
        return Ok(IntakeOutcome::UnknownInvoice);
    };
    if let Some(amount) = &payment.amount {
        if amount.currency().code() != target.currency {
            return Ok(IntakeOutcome::CurrencyMismatch { expected: target.currency });
        }
    }
    let due = decimal("amount due", &target.amount_due)?;
    let paid_before = decimal("amount paid", &target.amount_paid)?;
    let amount = payment.amount.map(|m| m.amount()).unwrap_or((due - paid_before).max(Decimal::ZERO));
    let inserted = sqlx::query(
        "INSERT INTO payments (tenant, invoice_id, amount, currency, paid_at, source, reference, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant, source, reference) DO NOTHING",
    )
    .bind(payment.tenant.as_str())
    .bind(target.invoice_id)
    .bind(amount.to_string())
    .bind(&target.currency)
    .bind(payment.paid_at)
    .bind(&payment.source)
    .bind(&payment.reference)
    .bind(Utc::now())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(IntakeOutcome::PaymentDuplicate);
    }
    let paid = paid_before + amount;
    sqlx::query("UPDATE invoices SET amount_paid = $1 WHERE id = $2")
        .bind(paid.to_string())
        .bind(target.invoice_id)
        .execute(&mut **tx)
        .await?;
    event(
        tx,
        payment.paid_at,
        "payment.recorded",
        target.case_id,
        serde_json::json!({"amount": amount.to_string()}),
    )
    .await?;
    // Closed by this payment: it covers what is due and the case was not closed before.
    let mut case_closed = false;
    if paid >= due {
        if let Ok(next) = case_state(&target.state)?.apply(CaseEvent::PaidInFull) {
            close_case(tx, target.case_id, next, payment.paid_at).await?;
            credit_reminders(tx, target.case_id, payment.paid_at, attribution_window).await?;
            case_closed = true;
        }
    }
    Ok(IntakeOutcome::PaymentRecorded { case_closed })
}

/// The last reminder sent within the attribution window before the payment earned it (reward 1);
/// earlier reminders of the case that are still without an outcome get 0.
async fn credit_reminders(
    tx: &mut Tx,
    case_id: i64,
    paid_at: DateTime<Utc>,
    window: Duration,
) -> Result<(), StoreError> {
    let window_start = paid_at - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(3));
    let earner: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM reminders WHERE case_id = $1 AND status = 'sent' AND reward IS NULL \
         AND sent_at <= $2 AND sent_at >= $3 ORDER BY sent_at DESC LIMIT 1",
    )
    .bind(case_id)
    .bind(paid_at)
    .bind(window_start)
    .fetch_optional(&mut **tx)
    .await?;
    let mut settled = Vec::new();
    if let Some(id) = earner {
        // `reward IS NULL` again: a scheduler settling expired windows may have got there first.
        let credited: Option<i64> = sqlx::query_scalar(
            "UPDATE reminders SET reward = 1.0 WHERE id = $1 AND reward IS NULL RETURNING id",
        )
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        settled.extend(credited);
    }
    let zeroed: Vec<i64> = sqlx::query_scalar(
        "UPDATE reminders SET reward = 0.0 WHERE case_id = $1 AND status = 'sent' AND reward IS NULL RETURNING id",
    )
    .bind(case_id)
    .fetch_all(&mut **tx)
    .await?;
    settled.extend(zeroed);
    super::learning::outcome_events(tx, &settled, paid_at).await?;
    Ok(())
}

pub(super) async fn event(
    tx: &mut Tx,
    at: DateTime<Utc>,
    kind: &str,
    case_id: i64,
    data: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO events (at, kind, case_id, data) VALUES ($1, $2, $3, $4)")
        .bind(at)
        .bind(kind)
        .bind(case_id)
        .bind(data.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
