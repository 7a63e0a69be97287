//! Intake writes on PostgreSQL. Runs of overdue invoices are inserted in a handful of `UNNEST`
//! statements however long the run, sorted by key so that concurrent intake workers take row
//! locks in the same order and cannot deadlock.

use crate::domain::{CaseEvent, CaseState, Invoice};
use crate::store::records::*;
use crate::store::rows::{case_state, decimal};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Postgres, Transaction};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

type Tx = Transaction<'static, Postgres>;
/// An overdue invoice of a run, its resolved plan and its receipt time.
type Arrival<'a> = (&'a Invoice, &'a str, DateTime<Utc>);

pub(super) async fn apply_all(
    tx: &mut Tx,
    commands: &[IntakeCommand],
) -> Result<Vec<IntakeOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(commands.len());
    let mut i = 0;
    while i < commands.len() {
        let run_end = commands[i..]
            .iter()
            .position(|c| !matches!(c, IntakeCommand::Overdue { .. }))
            .map_or(commands.len(), |p| i + p);
        if run_end > i {
            outcomes.extend(insert_invoices(tx, &commands[i..run_end]).await?);
            i = run_end;
            continue;
        }
        let outcome = match &commands[i] {
            IntakeCommand::Paid(payment) => {
                record_payment(tx, payment, Duration::from_secs(crate::ATTRIBUTION_WINDOW_SECS)).await?
            }
            IntakeCommand::Cancelled { tenant, invoice_number, at } => {
                cancel(tx, tenant.as_str(), invoice_number.as_str(), *at).await?
            }
            IntakeCommand::Overdue { .. } => unreachable!("overdue runs are handled above"),
        };
        outcomes.push(outcome);
        i += 1;
    }
    Ok(outcomes)
}

/// Inserts a run of `Overdue` commands; the first of several commands for one invoice wins.
async fn insert_invoices(tx: &mut Tx, run: &[IntakeCommand]) -> Result<Vec<IntakeOutcome>, StoreError> {
    let invoices: Vec<Arrival<'_>> = run
        .iter()
        .filter_map(|c| match c {
            IntakeCommand::Overdue { invoice, plan, received_at } => {
                Some((invoice, plan.as_str(), *received_at))
            }
            _ => None,
        })
        .collect();
    let now = invoices.iter().map(|(_, _, at)| *at).max().unwrap_or_else(Utc::now);

    let tenants: Vec<&str> = invoices
        .iter()
        .map(|(i, _, _)| i.tenant.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    sqlx::query("INSERT INTO tenants (id, created_at) SELECT t, $2 FROM UNNEST($1::text[]) AS t ON CONFLICT DO NOTHING")
        .bind(&tenants)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    // Debtors must exist before their invoices, but their data are only taken from new invoices
    // (below), so a replayed (duplicate) message changes nothing.
    let fresh_debtors = upsert_debtors(tx, invoices.iter().copied(), now, false).await?;

    // First occurrence of each (tenant, number) in the run, in key order.
    let mut firsts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (idx, (invoice, _, _)) in invoices.iter().enumerate() {
        firsts.entry((invoice.tenant.as_str(), invoice.number.as_str())).or_insert(idx);
    }
    let order: Vec<usize> = firsts.values().copied().collect();
    let pick = |f: &dyn Fn(&Arrival<'_>) -> String| -> Vec<String> {
        order.iter().map(|&i| f(&invoices[i])).collect()
    };
    let inserted: Vec<(i64, String, String)> = sqlx::query_as(
        "INSERT INTO invoices (tenant, number, debtor_id, issued_on, due_on, currency, amount_due, amount_paid, plan, received_at) \
         SELECT t.tenant, t.number, t.debtor_id, t.issued_on, t.due_on, t.currency, t.amount_due, 0, t.plan, t.received_at \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::date[], $5::date[], $6::text[], $7::numeric[], $8::text[], $9::timestamptz[]) \
           AS t(tenant, number, debtor_id, issued_on, due_on, currency, amount_due, plan, received_at) \
         ON CONFLICT (tenant, number) DO NOTHING RETURNING id, tenant, number",
    )
    .bind(pick(&|(i, _, _)| i.tenant.to_string()))
    .bind(pick(&|(i, _, _)| i.number.to_string()))
    .bind(pick(&|(i, _, _)| i.debtor.id.to_string()))
    .bind(order.iter().map(|&i| invoices[i].0.issued_on).collect::<Vec<_>>())
    .bind(order.iter().map(|&i| invoices[i].0.due_on).collect::<Vec<_>>())
    .bind(pick(&|(i, _, _)| i.currency().code().to_owned()))
    .bind(order.iter().map(|&i| invoices[i].0.amount_due.amount()).collect::<Vec<Decimal>>())
    .bind(pick(&|(_, plan, _)| plan.to_string()))
    .bind(order.iter().map(|&i| invoices[i].2).collect::<Vec<_>>())
    .fetch_all(&mut **tx)
    .await?;

    let ids: HashMap<(&str, &str), i64> =
        inserted.iter().map(|(id, tenant, number)| ((tenant.as_str(), number.as_str()), *id)).collect();
    insert_lines_and_cases(tx, &invoices, &order, &ids).await?;
    // In the order of the commands, as on SQLite: the last new invoice's debtor data win.
    let is_created = |idx: usize, (invoice, _, _): &Arrival<'_>| {
        let key = (invoice.tenant.as_str(), invoice.number.as_str());
        firsts.get(&key) == Some(&idx) && ids.contains_key(&key)
    };
    let created = invoices.iter().enumerate().filter(|(idx, a)| is_created(*idx, a)).map(|(_, a)| *a);
    // A debtor inserted just now already holds its last invoice's data when that invoice is a new
    // one: writing the same row again would only cost a second row version.
    let mut last_of_debtor: HashMap<(&str, &str), usize> = HashMap::new();
    for (idx, (invoice, _, _)) in invoices.iter().enumerate() {
        last_of_debtor.insert((invoice.tenant.as_str(), invoice.debtor.id.as_str()), idx);
    }
    let fresh: HashSet<(&str, &str)> =
        fresh_debtors.iter().map(|(t, id)| (t.as_str(), id.as_str())).collect();
    let up_to_date = |(invoice, _, _): &Arrival<'_>| {
        let key = (invoice.tenant.as_str(), invoice.debtor.id.as_str());
        fresh.contains(&key)
            && last_of_debtor.get(&key).is_some_and(|&last| is_created(last, &invoices[last]))
    };
    upsert_debtors(tx, created.clone().filter(|a| !up_to_date(a)), now, true).await?;
    super::reports::intake_opt_ins(tx, created.map(|(invoice, _, at)| (invoice, at))).await?;

    Ok(invoices
        .iter()
        .enumerate()
        .map(|(idx, (invoice, _, _))| {
            let key = (invoice.tenant.as_str(), invoice.number.as_str());
            if firsts.get(&key) == Some(&idx) && ids.contains_key(&key) {
                IntakeOutcome::Created
            } else {
                IntakeOutcome::Duplicate
            }
        })
        .collect())
}

async fn insert_lines_and_cases(
    tx: &mut Tx,
    invoices: &[Arrival<'_>],
    order: &[usize],
    ids: &HashMap<(&str, &str), i64>,
) -> Result<(), StoreError> {
    let (mut line_invoice, mut position, mut sku, mut description, mut quantity, mut unit_price) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut case_invoice, mut case_at) = (Vec::new(), Vec::new());
    for &idx in order {
        let (invoice, _, received_at) = &invoices[idx];
        let Some(&id) = ids.get(&(invoice.tenant.as_str(), invoice.number.as_str())) else { continue };
        case_invoice.push(id);
        case_at.push(*received_at);
        for (p, line) in invoice.lines.iter().enumerate() {
            line_invoice.push(id);
            position.push(p as i32);
            sku.push(line.sku.clone());
            description.push(line.description.clone());
            quantity.push(line.quantity);
            unit_price.push(line.unit_price);
        }
    }
    if !line_invoice.is_empty() {
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, position, sku, description, quantity, unit_price) \
             SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::numeric[], $6::numeric[])",
        )
        .bind(&line_invoice)
        .bind(&position)
        .bind(&sku)
        .bind(&description)
        .bind(&quantity)
        .bind(&unit_price)
        .execute(&mut **tx)
        .await?;
    }
    if !case_invoice.is_empty() {
        sqlx::query(
            "INSERT INTO cases (invoice_id, state, stages_planned, next_action_at, opened_at, updated_at) \
             SELECT t.id, 'open', 0, t.at, t.at, t.at FROM UNNEST($1::int8[], $2::timestamptz[]) AS t(id, at)",
        )
        .bind(&case_invoice)
        .bind(&case_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Inserts the debtors of these invoices that are new, in key order; with `overwrite`, existing
/// debtors take these data, the last invoice's for a debtor winning. Returns the (tenant, id) of
/// the debtors inserted (without `overwrite`; with it, of every debtor written).
async fn upsert_debtors<'a>(
    tx: &mut Tx,
    invoices: impl Iterator<Item = Arrival<'a>>,
    now: DateTime<Utc>,
    overwrite: bool,
) -> Result<HashSet<(String, String)>, StoreError> {
    let mut latest = BTreeMap::new();
    for (invoice, _, _) in invoices {
        latest.insert((invoice.tenant.as_str(), invoice.debtor.id.as_str()), &invoice.debtor);
    }
    if latest.is_empty() {
        return Ok(HashSet::new());
    }
    let col = |f: &dyn Fn(&crate::domain::Debtor) -> Option<String>| -> Vec<Option<String>> {
        latest.values().map(|d| f(d)).collect()
    };
    let address = |f: &dyn Fn(&crate::domain::PostalAddress) -> Option<String>| {
        col(&|d| d.address.as_ref().and_then(f))
    };
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
         SELECT t.*, $17 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
           $7::text[], $8::text[], $9::text[], $10::bool[], $11::text[], $12::text[], $13::text[], $14::text[], \
           $15::text[], $16::text[]) AS t \
         ON CONFLICT (tenant, id) {on_conflict} RETURNING tenant, id"
    );
    let written: Vec<(String, String)> = sqlx::query_as(&sql)
        .bind(latest.keys().map(|(t, _)| t.to_string()).collect::<Vec<_>>())
        .bind(latest.keys().map(|(_, id)| id.to_string()).collect::<Vec<_>>())
        .bind(col(&|d| Some(d.kind.as_str().to_owned())))
        .bind(col(&|d| Some(d.name.clone())))
        .bind(col(&|d| Some(d.language.to_string())))
        .bind(col(&|d| Some(d.timezone.name().to_owned())))
        .bind(col(&|d| d.email.as_ref().map(|e| e.to_string())))
        .bind(col(&|d| d.phone.as_ref().map(|p| p.to_string())))
        .bind(col(&|d| d.whatsapp.as_ref().map(|p| p.to_string())))
        .bind(latest.values().map(|d| d.whatsapp_opt_in).collect::<Vec<_>>())
        .bind(col(&|d| d.messenger_psid.clone()))
        .bind(address(&|a| Some(a.line1.clone())))
        .bind(address(&|a| a.line2.clone()))
        .bind(address(&|a| Some(a.postal_code.clone())))
        .bind(address(&|a| Some(a.city.clone())))
        .bind(address(&|a| Some(a.country.to_string())))
        .bind(now)
        .fetch_all(&mut **tx)
        .await?;
    Ok(written.into_iter().collect())
}

/// The invoice and case a payment or cancellation refers to, with the case row locked.
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
        "SELECT i.id AS invoice_id, i.currency, i.amount_due::text AS amount_due, i.amount_paid::text AS amount_paid, \
         c.id AS case_id, c.state FROM invoices i JOIN cases c ON c.invoice_id = i.id \
         WHERE i.tenant = $1 AND i.number = $2 FOR UPDATE OF i, c",
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
    .bind(amount)
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
        .bind(paid)
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
        .bind(data)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
