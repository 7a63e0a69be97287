//! Intake writes on PostgreSQL. Runs of overdue invoices are inserted in a handful of `UNNEST`
//! statements however long the run, sorted by key so that concurrent intake workers take row
//! locks in the same order and cannot deadlock.

use crate::domain::legal::Limitation;
use crate::domain::Invoice;
use crate::store::same_sql::{DEBTOR_INSERT_COLUMNS, DEBTOR_OVERWRITE};
use crate::store::tx::Arrival as NewInvoice;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Postgres, Transaction};
use std::collections::{BTreeMap, HashMap, HashSet};

type Tx = Transaction<'static, Postgres>;
/// An overdue invoice of a run, its resolved plan and its receipt time.
type Arrival<'a> = (&'a Invoice, &'a str, DateTime<Utc>);

/// Inserts a run of overdue invoices; the first of several arrivals of one invoice wins. Returns,
/// per arrival, whether it was new.
pub(super) async fn insert_invoices(tx: &mut Tx, run: &[NewInvoice<'_>]) -> Result<Vec<bool>, StoreError> {
    let invoices: Vec<Arrival<'_>> =
        run.iter().map(|a| (a.invoice, a.plan.as_str(), a.received_at)).collect();
    let Some(now) = invoices.iter().map(|(_, _, at)| *at).max() else { return Ok(Vec::new()) };

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
        "INSERT INTO invoices (tenant, number, debtor_id, issued_on, due_on, currency, amount_due, amount_paid, plan, received_at, \
           due_by_calendar, states_30_day_rule) \
         SELECT t.tenant, t.number, t.debtor_id, t.issued_on, t.due_on, t.currency, t.amount_due, 0, t.plan, t.received_at, \
           t.due_by_calendar, t.states_30_day_rule \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::date[], $5::date[], $6::text[], $7::numeric[], $8::text[], $9::timestamptz[], \
           $10::bool[], $11::bool[]) \
           AS t(tenant, number, debtor_id, issued_on, due_on, currency, amount_due, plan, received_at, due_by_calendar, states_30_day_rule) \
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
    .bind(order.iter().map(|&i| invoices[i].0.terms.due_by_calendar).collect::<Vec<_>>())
    .bind(order.iter().map(|&i| invoices[i].0.terms.states_30_day_rule).collect::<Vec<_>>())
    .fetch_all(&mut **tx)
    .await?;

    let ids: HashMap<(&str, &str), i64> =
        inserted.iter().map(|(id, tenant, number)| ((tenant.as_str(), number.as_str()), *id)).collect();
    insert_lines_and_cases(tx, run, &order, &ids).await?;
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
            firsts.get(&key) == Some(&idx) && ids.contains_key(&key)
        })
        .collect())
}

async fn insert_lines_and_cases(
    tx: &mut Tx,
    run: &[NewInvoice<'_>],
    order: &[usize],
    ids: &HashMap<(&str, &str), i64>,
) -> Result<(), StoreError> {
    let (mut line_invoice, mut position, mut sku, mut description, mut quantity, mut unit_price) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut case_invoice, mut case_tenant, mut case_at, mut case_limitation) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut case_default_on, mut case_default_ground) = (Vec::new(), Vec::new());
    for &idx in order {
        let NewInvoice { invoice, received_at, default_on, .. } = &run[idx];
        let Some(&id) = ids.get(&(invoice.tenant.as_str(), invoice.number.as_str())) else { continue };
        case_invoice.push(id);
        case_tenant.push(invoice.tenant.as_str());
        case_at.push(*received_at);
        case_limitation.push(Limitation::regular(invoice.due_on).last_day);
        case_default_on.push(default_on.map(|d| d.from));
        case_default_ground.push(default_on.map(|d| d.ground.as_str()));
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
            "INSERT INTO cases (invoice_id, tenant, state, stages_planned, next_action_at, opened_at, updated_at, \
               limitation_last_day, default_on, default_ground) \
             SELECT t.id, t.tenant, 'open', 0, t.at, t.at, t.at, t.limitation, t.default_on, t.default_ground \
             FROM UNNEST($1::int8[], $2::timestamptz[], $3::date[], $4::date[], $5::text[], $6::text[]) \
               AS t(id, at, limitation, default_on, default_ground, tenant)",
        )
        .bind(&case_invoice)
        .bind(&case_at)
        .bind(&case_limitation)
        .bind(&case_default_on)
        .bind(&case_default_ground)
        .bind(&case_tenant)
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
    let on_conflict = if overwrite { DEBTOR_OVERWRITE } else { "DO NOTHING" };
    let sql = format!(
        "INSERT INTO debtors ({DEBTOR_INSERT_COLUMNS}) SELECT t.*, $19 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
           $7::text[], $8::text[], $9::text[], $10::bool[], $11::text[], $12::text[], $13::text[], $14::text[], \
           $15::text[], $16::text[], $17::text[], $18::text[]) AS t \
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
        .bind(col(&|d| d.contact_person.clone()))
        .bind(col(&|d| d.iban.clone()))
        .bind(now)
        .fetch_all(&mut **tx)
        .await?;
    Ok(written.into_iter().collect())
}
