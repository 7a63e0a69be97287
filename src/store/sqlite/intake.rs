//! Intake writes on SQLite: idempotent invoice upserts, one invoice at a time.

use crate::domain::legal::Limitation;
use crate::domain::Debtor;
use crate::store::same_sql::{insert_debtor_sql, DEBTOR_OVERWRITE};
use crate::store::tx::Arrival;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};

type Tx = Transaction<'static, Sqlite>;

/// Inserts a run of overdue invoices one by one; an invoice already stored (also earlier in the
/// run) changes nothing. Returns, per arrival, whether it was new.
pub(super) async fn insert_invoices(tx: &mut Tx, run: &[Arrival<'_>]) -> Result<Vec<bool>, StoreError> {
    let mut created = Vec::with_capacity(run.len());
    for arrival in run {
        created.push(insert_invoice(tx, arrival).await?);
    }
    Ok(created)
}

async fn insert_invoice(tx: &mut Tx, arrival: &Arrival<'_>) -> Result<bool, StoreError> {
    let Arrival { invoice, plan, received_at, default_on } = *arrival;
    let plan = plan.as_str();
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
        "INSERT INTO invoices (tenant, number, debtor_id, issued_on, due_on, currency, amount_due, amount_paid, plan, received_at, \
           due_by_calendar, states_30_day_rule) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, '0', $8, $9, $10, $11) ON CONFLICT (tenant, number) DO NOTHING RETURNING id",
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
    .bind(invoice.terms.due_by_calendar)
    .bind(invoice.terms.states_30_day_rule)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(invoice_id) = invoice_id else {
        return Ok(false);
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
        "INSERT INTO cases (invoice_id, state, stages_planned, next_action_at, opened_at, updated_at, limitation_last_day, \
           default_on, default_ground, tenant) \
         VALUES ($1, 'open', 0, $2, $2, $2, $3, $4, $5, $6)",
    )
    .bind(invoice_id)
    .bind(received_at)
    .bind(Limitation::regular(invoice.due_on).last_day)
    .bind(default_on.map(|d| d.from))
    .bind(default_on.map(|d| d.ground.as_str()))
    .bind(tenant)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Inserts the debtor if it is new; with `overwrite`, an existing debtor takes these data.
async fn upsert_debtor(
    tx: &mut Tx,
    tenant: &str,
    d: &Debtor,
    now: DateTime<Utc>,
    overwrite: bool,
) -> Result<(), StoreError> {
    let on_conflict = if overwrite { DEBTOR_OVERWRITE } else { "DO NOTHING" };
    let sql = insert_debtor_sql(on_conflict);
    crate::store::same_sql::bind_debtor_row!(sqlx::query(&sql), tenant, d, now).execute(&mut **tx).await?;
    Ok(())
}
