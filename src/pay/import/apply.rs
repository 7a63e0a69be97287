//! Importing parsed lines: in chunks, one store transaction each. A chunk's lookups are batched
//! (lines seen before, invoices by the keys the lines name, open invoices by amount); the cases
//! of the invoices it may pay are locked, then each line in file order is matched and its
//! payments decided by the one payment rule in a [`PaymentBatch`], which stores them all with a
//! few statements. Then the lines that named no invoice but whose payer's IBAN is one debtor's
//! are applied to that debtor's open invoices under § 366 (2) BGB ([`super::unnamed`]; their
//! invoices were locked with the others). The chunk's lines are stored with what became of them.
//! A parse error stops the import after the lines before it are committed.

use super::keys::{payment_reference, LineKeys};
use super::matching::{
    allocate, by_amount_and_name, by_invoice_number, by_reference, ByKey, MatchRule, Named,
};
use super::unnamed::{self, apply_unnamed, Payer, Payers, Unnamed};
use super::{ImportReport, ParseError, Parsed, StatementLine};
use crate::deliver::reference::match_key;
use crate::domain::legal::Germany;
use crate::domain::{AttributionWindow, InvoiceNumber, Money, PaymentSource, TenantId};
use crate::pay::batch::PaymentBatch;
use crate::pay::{PaymentOutcome, PaymentRecord};
use crate::store::bank::{BankLineStatus, InvoiceCandidate, NewBankLine};
use crate::store::{Store, StoreError, StoreTx};
use chrono::{DateTime, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

/// Lines per transaction.
pub const CHUNK: usize = 1000;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub tenant: TenantId,
    /// For crediting the reminder that earned a payment.
    pub window: AttributionWindow,
    /// The law the tenant's payments are applied under.
    pub law: Germany,
    /// Lines per transaction (default [`CHUNK`]).
    pub chunk: usize,
    /// Chunks in flight at once, each in a transaction of its own (1 on SQLite, whose one
    /// writer would take them in turn anyway). A chunk locks the invoices it pays, in id order,
    /// before it decides amounts, so chunks that share an invoice take turns and see each
    /// other's payments.
    pub workers: usize,
}

/// Chunks in flight for a database URL: 4 on PostgreSQL, 1 on SQLite (one writer).
pub fn workers_for(database_url: &str) -> usize {
    if database_url.starts_with("postgres") {
        4
    } else {
        1
    }
}

/// A line with its key.
struct Keyed {
    key: String,
    line: StatementLine,
}

/// Imports `lines` for `options.tenant`; stops at the first parse error, which the report names.
pub async fn import_lines(
    store: &dyn Store,
    lines: impl Iterator<Item = Result<Parsed, ParseError>>,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    refresh_match_keys(store, &options.tenant).await?;
    let mut report = ImportReport::default();
    let mut keys = LineKeys::default();
    let mut chunk = Vec::with_capacity(options.chunk);
    let mut in_flight = FuturesUnordered::new();
    for parsed in lines {
        match parsed {
            Ok(Parsed::Debit) => report.debits_skipped += 1,
            Ok(Parsed::Credit(line)) => {
                report.lines += 1;
                chunk.push(Keyed { key: keys.key(&line), line });
                if chunk.len() >= options.chunk {
                    if in_flight.len() >= options.workers.max(1) {
                        report.add(&in_flight.next().await.expect("a chunk in flight")?);
                    }
                    in_flight.push(apply_chunk(store, std::mem::take(&mut chunk), options, now));
                }
            }
            Err(error) => {
                report.failed = Some(error.to_string());
                break;
            }
        }
    }
    in_flight.push(apply_chunk(store, chunk, options, now));
    while let Some(done) = in_flight.next().await {
        report.add(&done?);
    }
    Ok(report)
}

/// Stores the match key of every invoice of `tenant` that has none yet.
async fn refresh_match_keys(store: &dyn Store, tenant: &TenantId) -> Result<(), StoreError> {
    loop {
        let mut tx = store.begin().await?;
        let missing = tx.invoices_without_match_key(tenant, 5000).await?;
        if missing.is_empty() {
            return Ok(());
        }
        let keys: Vec<(i64, String)> =
            missing.iter().map(|(id, number)| (*id, match_key(number.as_str()))).collect();
        tx.save_match_keys(tenant, &keys).await?;
        tx.commit().await?;
    }
}

/// One chunk in one transaction; returns its counts.
async fn apply_chunk(
    store: &dyn Store,
    chunk: Vec<Keyed>,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    let mut counts = ImportReport::default();
    let report = &mut counts;
    if chunk.is_empty() {
        return Ok(counts);
    }
    let tenant = &options.tenant;
    let mut tx = store.begin().await?;
    let all_keys: Vec<String> = chunk.iter().map(|k| k.key.clone()).collect();
    let mut seen: HashSet<String> = tx.known_bank_lines(tenant, &all_keys).await?.into_iter().collect();
    let mut fresh = Vec::with_capacity(chunk.len());
    for keyed in chunk {
        if seen.insert(keyed.key.clone()) {
            fresh.push(keyed);
        } else {
            report.duplicates_skipped += 1;
        }
    }
    let named: Vec<Named> = fresh.iter().map(|k| Named::of(&k.line)).collect();
    let mut by_key =
        lookup(tx.as_mut(), tenant, named.iter().flat_map(|n| n.references.iter().cloned())).await?;
    let mut rules: Vec<Option<(MatchRule, Vec<InvoiceCandidate>)>> = fresh
        .iter()
        .zip(&named)
        .map(|(k, n)| {
            Some(by_reference(n, &by_key, k.line.amount.currency().code())).filter(|v| !v.is_empty())
        })
        .map(|found| found.map(|invoices| (MatchRule::Reference, invoices)))
        .collect();
    let wanted = named.iter().zip(&rules).filter(|(_, r)| r.is_none()).flat_map(|(n, _)| n.numbers.iter());
    by_key.extend(lookup(tx.as_mut(), tenant, wanted.map(|c| c.key.clone())).await?);
    for ((rule, n), keyed) in rules.iter_mut().zip(&named).zip(&fresh) {
        if rule.is_none() {
            let found = by_invoice_number(n, &by_key, keyed.line.amount.currency().code());
            *rule = Some((MatchRule::InvoiceNumber, found)).filter(|(_, v)| !v.is_empty());
        }
    }
    let cents: Vec<i64> = fresh
        .iter()
        .zip(&rules)
        .filter(|(k, r)| r.is_none() && k.line.debtor_name.is_some())
        .filter_map(|(k, _)| (k.line.amount.amount() * Decimal::ONE_HUNDRED).round().try_into().ok())
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    let open = tx.open_invoices_by_cents(tenant, &cents).await?;
    let unnamed_lines = fresh.iter().zip(&rules).filter(|(_, r)| r.is_none()).map(|(k, _)| &k.line);
    let payers = Payers::look_up(tx.as_mut(), tenant, unnamed_lines).await?;
    // Locked before any amount is decided, in id order, and read again: what another chunk (or
    // another source) paid meanwhile counts.
    let numbers: HashSet<&InvoiceNumber> = rules
        .iter()
        .flatten()
        .flat_map(|(_, invoices)| invoices.iter())
        .chain(&open)
        .map(|c| &c.invoice_number)
        .chain(payers.invoices())
        .collect();
    let tenant_law = options.law.clone();
    let law = move |_: &TenantId| tenant_law.clone();
    let mut batch = PaymentBatch::new(options.window, &law, now);
    batch.lock(tx.as_mut(), numbers.into_iter().map(|n| (tenant.clone(), n.clone()))).await?;
    let fresh_open = |c: &InvoiceCandidate| {
        batch
            .case(tenant, &c.invoice_number)
            .map_or(c.open, |case| Money::new(case.open_amount(), case.amount_due.currency()))
    };
    let open: Vec<InvoiceCandidate> =
        open.into_iter().map(|c| InvoiceCandidate { open: fresh_open(&c), ..c }).collect();
    let rules: Vec<Option<(MatchRule, Vec<InvoiceCandidate>)>> = rules
        .into_iter()
        .map(|rule| {
            rule.map(|(rule, invoices)| {
                (rule, invoices.into_iter().map(|c| InvoiceCandidate { open: fresh_open(&c), ..c }).collect())
            })
        })
        .collect();
    let mut paid_since: HashMap<String, Decimal> = HashMap::new();
    let mut rows = Vec::with_capacity(fresh.len());
    // Lines that named nothing, from one known debtor: (position, debtor, its open invoices).
    let mut from_debtors = Vec::new();
    for (position, (keyed, rule)) in fresh.iter().zip(rules).enumerate() {
        let rule = rule.or_else(|| {
            by_amount_and_name(&keyed.line, &open, &paid_since).map(|c| (MatchRule::AmountAndName, vec![c]))
        });
        let row = match rule {
            Some((rule, invoices)) => {
                let line = (keyed, rule, &invoices[..]);
                record_line(tx.as_mut(), &mut batch, line, options, &mut paid_since, report).await?
            }
            None => match payers.payer(&keyed.line) {
                Payer::Unknown => Settled::unmatched(),
                Payer::Several(debtors) => Settled::review(unnamed::several_debtors_note(debtors)),
                Payer::Debtor(debtor, invoices) => {
                    from_debtors.push((position, debtor.clone(), invoices.to_vec()));
                    Settled::unmatched()
                }
            },
        };
        rows.push(row);
    }
    batch.write(tx.as_mut()).await?;
    let cx = unnamed::Context { tenant, law: &law, window: options.window, now };
    let mut rests = Vec::new();
    for (position, debtor, invoices) in from_debtors {
        let keyed = &fresh[position];
        match apply_unnamed(tx.as_mut(), &cx, (&keyed.key, &keyed.line), &debtor, &invoices).await? {
            Unnamed::Applied(applied) => {
                // One payment per part: the line is new (its key unseen), so none is a replay.
                report.payments_recorded += applied.paid.len() as u64;
                let paid: Vec<&str> = applied.paid.iter().map(|p| p.invoice.as_str()).collect();
                rows[position] = Settled {
                    status: BankLineStatus::Matched,
                    matched_by: Some(unnamed::MATCHED_BY),
                    invoices: Some(paid.join(",")),
                    credit: Decimal::ZERO,
                    note: None,
                };
                if applied.rest > Decimal::ZERO {
                    rests.push((
                        position,
                        unnamed::rest_key(&keyed.key),
                        applied.rest,
                        unnamed::rest_note(&applied),
                    ));
                }
                report.add_unnamed(applied);
            }
            Unnamed::NotApplied(note) => rows[position].note = Some(note),
        }
    }
    report.unmatched += rows.iter().filter(|row| row.status == BankLineStatus::Unmatched).count() as u64;
    let mut new_lines: Vec<NewBankLine> = fresh
        .iter()
        .zip(&rows)
        .map(|(keyed, row)| NewBankLine {
            tenant,
            line_key: &keyed.key,
            booked_on: keyed.line.booked_on,
            amount: keyed.line.amount,
            debtor_name: keyed.line.debtor_name.as_deref(),
            remittance: remittance(&keyed.line),
            status: row.status,
            matched_by: row.matched_by,
            invoices: row.invoices.clone(),
            credit: row.credit,
            imported_at: now,
            note: row.note.clone(),
        })
        .collect();
    // What a line applied under § 366 (2) paid beyond everything owed: a line of its own to review.
    new_lines.extend(rests.iter().map(|(position, key, rest, note)| {
        let line = &fresh[*position].line;
        NewBankLine {
            tenant,
            line_key: key,
            booked_on: line.booked_on,
            amount: Money::new(*rest, line.amount.currency()),
            debtor_name: line.debtor_name.as_deref(),
            remittance: remittance(line),
            status: BankLineStatus::Unmatched,
            matched_by: None,
            invoices: None,
            credit: Decimal::ZERO,
            imported_at: now,
            note: Some(note.clone()),
        }
    }));
    tx.insert_bank_lines(&new_lines).await?;
    tx.commit().await?;
    Ok(counts)
}

/// The remittance as it is kept for review: the text, else the structured references.
fn remittance(line: &StatementLine) -> &str {
    match (line.text.is_empty(), line.references.first()) {
        (true, Some(reference)) => reference,
        _ => &line.text,
    }
}

/// Invoices by the match keys given, deduplicated.
async fn lookup(
    tx: &mut dyn StoreTx,
    tenant: &TenantId,
    keys: impl Iterator<Item = String>,
) -> Result<ByKey, StoreError> {
    let keys: Vec<String> = keys.collect::<HashSet<_>>().into_iter().collect();
    let mut by_key = ByKey::new();
    for candidate in tx.invoices_by_match_key(tenant, &keys).await? {
        let key = candidate.match_key.clone().unwrap_or_default();
        by_key.entry(key).or_default().push(candidate);
    }
    Ok(by_key)
}

/// What became of one line.
struct Settled {
    status: BankLineStatus,
    matched_by: Option<&'static str>,
    invoices: Option<String>,
    credit: Decimal,
    /// Why it waits for review, when more is known than that nothing matched.
    note: Option<String>,
}

impl Settled {
    fn unmatched() -> Self {
        Self {
            status: BankLineStatus::Unmatched,
            matched_by: None,
            invoices: None,
            credit: Decimal::ZERO,
            note: None,
        }
    }

    fn review(note: String) -> Self {
        Self { note: Some(note), ..Self::unmatched() }
    }
}

/// Records a matched line's payments in `batch`, one per invoice share.
async fn record_line(
    tx: &mut dyn StoreTx,
    batch: &mut PaymentBatch<'_>,
    (keyed, rule, invoices): (&Keyed, MatchRule, &[InvoiceCandidate]),
    options: &ImportOptions,
    paid_since: &mut HashMap<String, Decimal>,
    report: &mut ImportReport,
) -> Result<Settled, StoreError> {
    let line = &keyed.line;
    let open: Vec<(String, Decimal)> = invoices
        .iter()
        .map(|c| {
            let paid = paid_since.get(c.invoice_number.as_str()).copied().unwrap_or_default();
            (c.invoice_number.as_str().to_owned(), c.open.amount() - paid)
        })
        .collect();
    let (shares, credit) = allocate(line.amount.amount(), &open);
    let mut paid = Vec::new();
    for (n, share) in shares.iter().enumerate() {
        let candidate =
            invoices.iter().find(|c| c.invoice_number.as_str() == share.invoice).expect("allocated");
        let payment = PaymentRecord {
            tenant: options.tenant.clone(),
            invoice_number: candidate.invoice_number.clone(),
            amount: Some(Money::new(share.amount, line.amount.currency())),
            paid_at: super::paid_at(line.booked_on),
            source: PaymentSource::Bank,
            reference: payment_reference(&keyed.key, n + 1, shares.len()),
        };
        match batch.add(tx, &payment).await? {
            PaymentOutcome::Recorded { .. } => {
                report.payments_recorded += 1;
                *paid_since.entry(share.invoice.clone()).or_default() += share.amount;
                paid.push(share.invoice.clone());
            }
            // Recorded before under this reference (the line's key): counted as done.
            PaymentOutcome::Duplicate => paid.push(share.invoice.clone()),
            PaymentOutcome::UnknownInvoice | PaymentOutcome::CurrencyMismatch { .. } => {}
        }
    }
    if paid.is_empty() {
        return Ok(Settled::unmatched());
    }
    match rule {
        MatchRule::Reference => report.matched_by_reference += 1,
        MatchRule::InvoiceNumber => report.matched_by_invoice_number += 1,
        MatchRule::AmountAndName => report.matched_by_amount_and_name += 1,
    }
    let open_total: Decimal = open.iter().map(|(_, o)| (*o).max(Decimal::ZERO)).sum();
    if line.amount.amount() < open_total {
        report.partial += 1;
    }
    if credit > Decimal::ZERO {
        report.overpaid += 1;
        report.credit += credit;
    }
    if shares.len() > 1 {
        report.split += 1;
    }
    Ok(Settled {
        status: BankLineStatus::Matched,
        matched_by: Some(rule.as_str()),
        invoices: Some(paid.join(",")),
        credit,
        note: None,
    })
}
