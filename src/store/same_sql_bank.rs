//! The bank import's steps ([`super::bank::BankSteps`]), written once for both backends:
//! `impl_bank_steps!(Backend)` expands in each backend's `tx.rs`, which supplies, by name, only
//! what differs between the dialects:
//! - `IN_LIST_2`: "is one of the list bound as `$2`" (an array, or a JSON array on SQLite);
//! - `LOCK_ROWS`: what locks the row read (`FOR UPDATE`, or nothing on SQLite);
//! - `Self::money`, `Self::ids`, `Self::texts`: the values bound for a decimal and for lists.

use super::bank::{BankLineStatus, DebtorInvoice, InvoiceCandidate, StoredBankLine};
use super::rows::{case_state, corrupt, decimal, money};
use super::StoreError;
use crate::domain::{Currency, DebtorId, InvoiceNumber};
use chrono::{DateTime, NaiveDate, Utc};

/// `($1, $2, …), ($n+1, …)`: placeholders for `rows` rows of `columns` values.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let values: Vec<String> = (1..=columns).map(|col| format!("${}", row * columns + col)).collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of a bank line as [`BankLineRow`] reads them (money and dates as text).
pub(super) const BANK_LINE_COLUMNS: &str = "id, line_key, CAST(booked_on AS TEXT) AS booked_on, \
     CAST(amount AS TEXT) AS amount, currency, debtor_name, remittance, status, matched_by, invoices, \
     CAST(credit AS TEXT) AS credit, imported_at, note";

/// An invoice with its case and debtor, as a candidate for a bank line; the caller adds the
/// condition.
pub(super) const CANDIDATES: &str = "SELECT k.match_key, i.number, i.currency, \
     CAST(i.amount_due AS TEXT) AS amount_due, CAST(i.amount_paid AS TEXT) AS amount_paid, c.state, \
     d.name AS debtor_name FROM invoices i JOIN cases c ON c.invoice_id = i.id \
     JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id";

#[derive(sqlx::FromRow)]
pub(super) struct CandidateRow {
    match_key: Option<String>,
    number: String,
    currency: String,
    amount_due: String,
    amount_paid: String,
    state: String,
    debtor_name: String,
}

impl CandidateRow {
    pub fn into_candidate(self) -> Result<InvoiceCandidate, StoreError> {
        let due = money(&self.amount_due, &self.currency)?;
        let paid = decimal("amount paid", &self.amount_paid)?;
        Ok(InvoiceCandidate {
            invoice_number: InvoiceNumber::parse(&self.number).map_err(|e| corrupt("invoice number", e))?,
            match_key: self.match_key,
            open: crate::domain::Money::new(
                (due.amount() - paid).max(rust_decimal::Decimal::ZERO),
                due.currency(),
            ),
            state: case_state(&self.state)?,
            debtor_name: self.debtor_name,
        })
    }
}

/// An amount as both backends read it back alike: no trailing zeros beyond the cents
/// (PostgreSQL's `42.0000` and SQLite's `42.00` are both `42.00`).
fn cents_at_least(amount: rust_decimal::Decimal) -> rust_decimal::Decimal {
    let mut amount = amount.normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}

#[derive(sqlx::FromRow)]
pub(super) struct BankLineRow {
    id: i64,
    line_key: String,
    booked_on: String,
    amount: String,
    currency: String,
    debtor_name: Option<String>,
    remittance: String,
    status: String,
    matched_by: Option<String>,
    invoices: Option<String>,
    credit: String,
    imported_at: DateTime<Utc>,
    note: Option<String>,
}

impl BankLineRow {
    pub fn into_line(self) -> Result<StoredBankLine, StoreError> {
        Ok(StoredBankLine {
            id: self.id,
            line_key: self.line_key,
            booked_on: NaiveDate::parse_from_str(&self.booked_on, "%Y-%m-%d")
                .map_err(|e| corrupt("booking date", e))?,
            amount: cents_at_least(decimal("amount", &self.amount)?),
            currency: self.currency,
            debtor_name: self.debtor_name,
            remittance: self.remittance,
            status: BankLineStatus::parse(&self.status)
                .ok_or_else(|| corrupt("bank line status", &self.status))?,
            matched_by: self.matched_by,
            invoices: self.invoices,
            credit: cents_at_least(decimal("credit", &self.credit)?),
            imported_at: self.imported_at,
            note: self.note,
        })
    }
}

/// A row of `open_invoices_of_debtors`: (debtor id, invoice number, case id, state, currency).
pub(super) fn debtor_invoice(
    (debtor, number, case_id, state, currency): (String, String, i64, String, String),
) -> Result<DebtorInvoice, StoreError> {
    Ok(DebtorInvoice {
        debtor: DebtorId::parse(&debtor).map_err(|e| corrupt("debtor id", e))?,
        invoice_number: InvoiceNumber::parse(&number).map_err(|e| corrupt("invoice number", e))?,
        case_id,
        state: case_state(&state)?,
        currency: Currency::parse(&currency).map_err(|e| corrupt("currency", e))?,
    })
}

macro_rules! impl_bank_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::bank::BankSteps for $tx {
            async fn invoices_without_match_key(
                &mut self,
                tenant: &TenantId,
                limit: u32,
            ) -> Result<Vec<(i64, InvoiceNumber)>, StoreError> {
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT i.id, i.number FROM invoices i LEFT JOIN invoice_match_keys k ON k.invoice_id = i.id \
                     WHERE i.tenant = $1 AND k.invoice_id IS NULL ORDER BY i.id LIMIT $2",
                )
                .bind(tenant.as_str())
                .bind(i64::from(limit))
                .fetch_all(&mut *self.0)
                .await?;
                rows.into_iter()
                    .map(|(id, number)| {
                        InvoiceNumber::parse(&number)
                            .map(|n| (id, n))
                            .map_err(|e| StoreError::Corrupt(format!("invoice number: {e}")))
                    })
                    .collect()
            }

            async fn save_match_keys(&mut self, tenant: &TenantId, keys: &[(i64, String)]) -> Result<(), StoreError> {
                for chunk in keys.chunks(1000) {
                    let sql = format!(
                        "INSERT INTO invoice_match_keys (invoice_id, tenant, match_key) VALUES {} \
                         ON CONFLICT (invoice_id) DO NOTHING",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 3)
                    );
                    let mut query = sqlx::query(&sql);
                    for (id, key) in chunk {
                        query = query.bind(*id).bind(tenant.as_str()).bind(key.as_str());
                    }
                    query.execute(&mut *self.0).await?;
                }
                Ok(())
            }

            async fn invoices_by_match_key(
                &mut self,
                tenant: &TenantId,
                keys: &[String],
            ) -> Result<Vec<InvoiceCandidate>, StoreError> {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "{CANDIDATES} JOIN invoice_match_keys k ON k.invoice_id = i.id \
                     WHERE k.tenant = $1 AND k.match_key {IN_LIST_2} ORDER BY i.id"
                );
                let rows: Vec<CandidateRow> =
                    sqlx::query_as(&sql).bind(tenant.as_str()).bind(Self::texts(keys)).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(CandidateRow::into_candidate).collect()
            }

            async fn open_invoices_by_cents(
                &mut self,
                tenant: &TenantId,
                cents: &[i64],
            ) -> Result<Vec<InvoiceCandidate>, StoreError> {
                if cents.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "{CANDIDATES} LEFT JOIN invoice_match_keys k ON k.invoice_id = i.id \
                     WHERE i.tenant = $1 AND c.state NOT IN ('paid', 'cancelled') \
                     AND ROUND((i.amount_due - i.amount_paid) * 100) {IN_LIST_2} ORDER BY i.id"
                );
                let rows: Vec<CandidateRow> =
                    sqlx::query_as(&sql).bind(tenant.as_str()).bind(Self::ids(cents)).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(CandidateRow::into_candidate).collect()
            }

            async fn debtors_by_iban(
                &mut self,
                tenant: &TenantId,
                ibans: &[String],
            ) -> Result<Vec<(String, crate::domain::DebtorId)>, StoreError> {
                if ibans.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT iban, id FROM debtors WHERE tenant = $1 AND iban {IN_LIST_2} ORDER BY iban, id"
                );
                let rows: Vec<(String, String)> =
                    sqlx::query_as(&sql).bind(tenant.as_str()).bind(Self::texts(ibans)).fetch_all(&mut *self.0).await?;
                rows.into_iter()
                    .map(|(iban, id)| {
                        crate::domain::DebtorId::parse(&id)
                            .map(|id| (iban, id))
                            .map_err(|e| StoreError::Corrupt(format!("debtor id: {e}")))
                    })
                    .collect()
            }

            async fn open_invoices_of_debtors(
                &mut self,
                tenant: &TenantId,
                debtors: &[crate::domain::DebtorId],
            ) -> Result<Vec<crate::store::bank::DebtorInvoice>, StoreError> {
                if debtors.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT i.debtor_id, i.number, c.id, c.state, i.currency FROM invoices i \
                     JOIN cases c ON c.invoice_id = i.id WHERE i.tenant = $1 AND i.debtor_id {IN_LIST_2} \
                     AND c.state NOT IN ('paid', 'cancelled') ORDER BY i.id"
                );
                let ids: Vec<String> = debtors.iter().map(|d| d.as_str().to_owned()).collect();
                let rows: Vec<(String, String, i64, String, String)> =
                    sqlx::query_as(&sql).bind(tenant.as_str()).bind(Self::texts(&ids)).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(crate::store::same_sql_bank::debtor_invoice).collect()
            }

            async fn known_bank_lines(&mut self, tenant: &TenantId, keys: &[String]) -> Result<Vec<String>, StoreError> {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!("SELECT line_key FROM bank_lines WHERE tenant = $1 AND line_key {IN_LIST_2}");
                Ok(sqlx::query_scalar(&sql).bind(tenant.as_str()).bind(Self::texts(keys)).fetch_all(&mut *self.0).await?)
            }

            async fn insert_bank_lines(&mut self, lines: &[NewBankLine<'_>]) -> Result<u64, StoreError> {
                let mut inserted = 0;
                for chunk in lines.chunks(500) {
                    let sql = format!(
                        "INSERT INTO bank_lines (tenant, line_key, booked_on, amount, currency, debtor_name, remittance, \
                         status, matched_by, invoices, credit, imported_at, note) VALUES {} \
                         ON CONFLICT (tenant, line_key) DO NOTHING",
                        crate::store::same_sql_bank::placeholders(chunk.len(), 13)
                    );
                    let mut query = sqlx::query(&sql);
                    for line in chunk {
                        query = query
                            .bind(line.tenant.as_str())
                            .bind(line.line_key)
                            .bind(line.booked_on)
                            .bind(Self::money(line.amount.amount()))
                            .bind(line.amount.currency().code())
                            .bind(line.debtor_name)
                            .bind(line.remittance)
                            .bind(line.status.as_str())
                            .bind(line.matched_by)
                            .bind(line.invoices.as_deref())
                            .bind(Self::money(line.credit))
                            .bind(line.imported_at)
                            .bind(line.note.as_deref());
                    }
                    inserted += query.execute(&mut *self.0).await?.rows_affected();
                }
                Ok(inserted)
            }

            async fn bank_lines(
                &mut self,
                tenant: &TenantId,
                status: BankLineStatus,
            ) -> Result<Vec<StoredBankLine>, StoreError> {
                let sql = format!("SELECT {BANK_LINE_COLUMNS} FROM bank_lines WHERE tenant = $1 AND status = $2 ORDER BY id");
                let rows: Vec<BankLineRow> =
                    sqlx::query_as(&sql).bind(tenant.as_str()).bind(status.as_str()).fetch_all(&mut *self.0).await?;
                rows.into_iter().map(BankLineRow::into_line).collect()
            }

            async fn lock_bank_line(&mut self, tenant: &TenantId, id: i64) -> Result<Option<StoredBankLine>, StoreError> {
                let sql = format!("SELECT {BANK_LINE_COLUMNS} FROM bank_lines WHERE tenant = $1 AND id = $2{LOCK_ROWS}");
                let row: Option<BankLineRow> =
                    sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_optional(&mut *self.0).await?;
                row.map(BankLineRow::into_line).transpose()
            }

            async fn settle_bank_line(&mut self, id: i64, settlement: &LineSettlement<'_>) -> Result<(), StoreError> {
                sqlx::query("UPDATE bank_lines SET status = $1, matched_by = $2, invoices = $3, credit = $4 WHERE id = $5")
                    .bind(settlement.status.as_str())
                    .bind(settlement.matched_by)
                    .bind(settlement.invoices)
                    .bind(Self::money(settlement.credit))
                    .bind(id)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_bank_steps;
