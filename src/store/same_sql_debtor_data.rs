//! The debtor-data steps ([`super::debtor_data::DebtorDataSteps`]), written once for both
//! backends: `impl_debtor_data_steps!(Backend)` expands in each backend's `tx.rs`, which supplies
//! by name only `EVENT_DATA_3` (how the third placeholder becomes an event body: PostgreSQL casts
//! text to JSON, SQLite stores the text). Money is read as text; every read names the tenant.

use super::debtor_data::{
    ConsentEvent, InstalmentRecord, InvoiceLineRecord, IssuedLineRecord, StoredEvent, StoredStatement,
};
use super::rows::{corrupt, decimal};
use super::same_sql_console::cents;
use super::StoreError;
use chrono::{DateTime, NaiveDate, Utc};

pub(super) const CONSENT_LEDGER: &str =
    "SELECT channel, kind, at, source, detail, recorded_at FROM consents \
     WHERE tenant = $1 AND debtor_id = $2 ORDER BY at, id";

pub(super) const INVOICE_LINES: &str = "SELECT l.position, l.sku, l.description, \
     CAST(l.quantity AS TEXT), CAST(l.unit_price AS TEXT) \
     FROM invoice_lines l JOIN cases c ON c.invoice_id = l.invoice_id JOIN invoices i ON i.id = l.invoice_id \
     WHERE i.tenant = $1 AND c.id = $2 ORDER BY l.position";

pub(super) const INSTALMENTS: &str =
    "SELECT x.seq, x.due_on, CAST(x.amount AS TEXT), x.state, x.created_at, \
     x.ended_at FROM instalments x JOIN cases c ON c.id = x.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND x.case_id = $2 ORDER BY x.created_at, x.seq";

pub(super) const CASE_EVENTS: &str = "SELECT e.id, e.kind, e.at, CAST(e.data AS TEXT) FROM events e \
     JOIN cases c ON c.id = e.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND e.case_id = $2 ORDER BY e.id";

pub(super) const CLAIM_STATEMENTS: &str = "SELECT s.id, s.escalated_at, s.body FROM claim_statements s \
     JOIN cases c ON c.id = s.case_id JOIN invoices i ON i.id = c.invoice_id \
     WHERE i.tenant = $1 AND s.tenant = $1 AND s.case_id = $2 ORDER BY s.id";

pub(super) const ISSUED_LINES: &str =
    "SELECT invoice_number, position, sku, issued_on, quantity, amount_cents \
     FROM issued_lines WHERE tenant = $1 AND debtor_id = $2 ORDER BY invoice_number, position";

/// A pending message is withheld (the `CASE`s read the row as it was before the update).
pub(super) const WITHHOLD_THANK_YOU: &str = "UPDATE thank_you_messages SET \
     status = CASE WHEN status = 'pending' THEN 'withheld' ELSE status END, \
     finished_at = CASE WHEN status = 'pending' THEN $3 ELSE finished_at END, \
     last_error = CASE WHEN last_error IS NULL THEN NULL ELSE $2 END \
     WHERE case_id = $1 AND (status = 'pending' OR (last_error IS NOT NULL AND last_error <> $2))";

/// A pending delivery fails unsent; every delivery's body is replaced.
pub(super) const ERASE_SHOP_WEBHOOK: &str = "UPDATE shop_webhooks SET \
     last_error = CASE WHEN status = 'pending' THEN $3 ELSE last_error END, \
     finished_at = CASE WHEN status = 'pending' THEN $4 ELSE finished_at END, \
     status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END, \
     body = $2 \
     WHERE case_id = $1 AND (status = 'pending' OR body <> $2)";

pub(super) const OVERWRITE_DEBTOR: &str =
    "UPDATE debtors SET name = $3, contact_person = NULL, email = NULL, \
     phone = NULL, whatsapp = NULL, whatsapp_opt_in = FALSE, messenger_psid = NULL, address_line1 = NULL, \
     address_line2 = NULL, postal_code = NULL, city = NULL, unreachable = NULL, iban = NULL, updated_at = $4 \
     WHERE tenant = $1 AND id = $2";

pub(super) type ConsentRow = (String, String, DateTime<Utc>, String, Option<String>, DateTime<Utc>);

pub(super) fn consent_event((channel, kind, at, source, detail, recorded_at): ConsentRow) -> ConsentEvent {
    ConsentEvent { channel, kind, at, source, detail, recorded_at }
}

pub(super) type LineRow = (i32, Option<String>, String, String, String);

pub(super) fn invoice_line(
    (position, sku, description, quantity, unit_price): LineRow,
) -> Result<InvoiceLineRecord, StoreError> {
    Ok(InvoiceLineRecord {
        position,
        sku,
        description,
        quantity: decimal("line quantity", &quantity)?.normalize(),
        unit_price: cents(decimal("line unit price", &unit_price)?),
    })
}

pub(super) type InstalmentRow = (i32, NaiveDate, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

pub(super) fn instalment(
    (seq, due_on, amount, state, created_at, ended_at): InstalmentRow,
) -> Result<InstalmentRecord, StoreError> {
    Ok(InstalmentRecord {
        seq,
        due_on,
        amount: cents(decimal("instalment", &amount)?),
        state,
        created_at,
        ended_at,
    })
}

pub(super) type EventRow = (i64, String, DateTime<Utc>, String);

pub(super) fn stored_event((id, kind, at, data): EventRow) -> Result<StoredEvent, StoreError> {
    let data = serde_json::from_str(&data).map_err(|e| corrupt("event body", e))?;
    Ok(StoredEvent { id, kind, at, data })
}

pub(super) type StatementRow = (i64, DateTime<Utc>, String);

pub(super) fn stored_statement(
    (id, escalated_at, body): StatementRow,
) -> Result<StoredStatement, StoreError> {
    let body = serde_json::from_str(&body).map_err(|e| corrupt("claim statement", e))?;
    Ok(StoredStatement { id, escalated_at, body })
}

pub(super) type IssuedRow = (String, i32, String, NaiveDate, i64, i64);

pub(super) fn issued_line(
    (invoice_number, position, sku, issued_on, quantity, amount_cents): IssuedRow,
) -> IssuedLineRecord {
    IssuedLineRecord { invoice_number, position, sku, issued_on, quantity, amount_cents }
}

macro_rules! impl_debtor_data_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::debtor_data::DebtorDataSteps for $tx {
            async fn consent_ledger(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Vec<crate::store::debtor_data::ConsentEvent>, StoreError> {
                use crate::store::same_sql_debtor_data as sql;
                let rows: Vec<sql::ConsentRow> = sqlx::query_as(sql::CONSENT_LEDGER)
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .fetch_all(&mut *self.0)
                    .await?;
                Ok(rows.into_iter().map(sql::consent_event).collect())
            }

            async fn invoice_lines(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<Vec<crate::store::debtor_data::InvoiceLineRecord>, StoreError> {
                use crate::store::same_sql_debtor_data as sql;
                let rows: Vec<sql::LineRow> = sqlx::query_as(sql::INVOICE_LINES)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::invoice_line).collect()
            }

            async fn instalments(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<Vec<crate::store::debtor_data::InstalmentRecord>, StoreError> {
                use crate::store::same_sql_debtor_data as sql;
                let rows: Vec<sql::InstalmentRow> = sqlx::query_as(sql::INSTALMENTS)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::instalment).collect()
            }

            async fn case_events(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<Vec<crate::store::debtor_data::StoredEvent>, StoreError> {
                use crate::store::same_sql_debtor_data as sql;
                let rows: Vec<sql::EventRow> = sqlx::query_as(sql::CASE_EVENTS)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::stored_event).collect()
            }

            async fn claim_statements_of(
                &mut self,
                tenant: &TenantId,
                case_id: i64,
            ) -> Result<Vec<crate::store::debtor_data::StoredStatement>, StoreError> {
                use crate::store::same_sql_debtor_data as sql;
                let rows: Vec<sql::StatementRow> = sqlx::query_as(sql::CLAIM_STATEMENTS)
                    .bind(tenant.as_str())
                    .bind(case_id)
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::stored_statement).collect()
            }

            async fn overwrite_claim_statement(
                &mut self,
                case_id: i64,
                id: i64,
                body: &serde_json::Value,
            ) -> Result<(), StoreError> {
                sqlx::query("UPDATE claim_statements SET body = $3 WHERE case_id = $1 AND id = $2")
                    .bind(case_id)
                    .bind(id)
                    .bind(body.to_string())
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn issued_lines_of(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Vec<crate::store::debtor_data::IssuedLineRecord>, StoreError> {
                use crate::store::same_sql_debtor_data as sql;
                let rows: Vec<sql::IssuedRow> = sqlx::query_as(sql::ISSUED_LINES)
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .fetch_all(&mut *self.0)
                    .await?;
                Ok(rows.into_iter().map(sql::issued_line).collect())
            }

            async fn delete_issued_lines(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<u64, StoreError> {
                let done = sqlx::query("DELETE FROM issued_lines WHERE tenant = $1 AND debtor_id = $2")
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn debtor_audit(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Vec<crate::store::console::AuditEntry>, StoreError> {
                use crate::store::same_sql_console as sql;
                let query = format!(
                    "{} WHERE tenant = $1 AND debtor_id = $2 AND case_id IS NULL ORDER BY id",
                    sql::AUDIT_COLUMNS
                );
                let rows: Vec<sql::AuditRow> = sqlx::query_as(&query)
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::audit_entry).collect()
            }

            async fn overwrite_debtor(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
                name: &str,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(crate::store::same_sql_debtor_data::OVERWRITE_DEBTOR)
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .bind(name)
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn overwrite_consent_details(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
                detail: &str,
            ) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "UPDATE consents SET detail = $3 WHERE tenant = $1 AND debtor_id = $2 AND detail IS NOT NULL",
                )
                .bind(tenant.as_str())
                .bind(debtor.as_str())
                .bind(detail)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected())
            }

            async fn overwrite_reminder_errors(&mut self, case_id: i64, text: &str) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "UPDATE reminders SET \
                     last_error = CASE WHEN last_error IS NULL THEN NULL ELSE $2 END, \
                     receipt_error = CASE WHEN receipt_error IS NULL THEN NULL ELSE $2 END \
                     WHERE case_id = $1 AND (last_error IS NOT NULL OR receipt_error IS NOT NULL)",
                )
                .bind(case_id)
                .bind(text)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected())
            }

            async fn overwrite_dispute_details(&mut self, case_id: i64, text: &str) -> Result<u64, StoreError> {
                let done = sqlx::query("UPDATE disputes SET details = $2 WHERE case_id = $1")
                    .bind(case_id)
                    .bind(text)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn overwrite_debtor_audit(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
                actions: &[&str],
                replacement: &serde_json::Value,
            ) -> Result<u64, StoreError> {
                let mut overwritten = 0;
                for action in actions {
                    let done = sqlx::query(
                        "UPDATE audit_log SET before = $4, after = $4 \
                         WHERE tenant = $1 AND debtor_id = $2 AND action = $3",
                    )
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .bind(*action)
                    .bind(replacement.to_string())
                    .execute(&mut *self.0)
                    .await?;
                    overwritten += done.rows_affected();
                }
                Ok(overwritten)
            }

            async fn overwrite_event(
                &mut self,
                case_id: i64,
                id: i64,
                data: &serde_json::Value,
            ) -> Result<(), StoreError> {
                let query = format!("UPDATE events SET data = {EVENT_DATA_3} WHERE case_id = $1 AND id = $2");
                sqlx::query(&query)
                    .bind(case_id)
                    .bind(id)
                    .bind(data.to_string())
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn delete_recommendations(&mut self, case_id: i64) -> Result<u64, StoreError> {
                for table in ["recommendation_conversions", "recommended_items"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE case_id = $1"))
                        .bind(case_id)
                        .execute(&mut *self.0)
                        .await?;
                }
                let done = sqlx::query("DELETE FROM recommendations WHERE case_id = $1")
                    .bind(case_id)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn withhold_thank_you(
                &mut self,
                case_id: i64,
                text: &str,
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                let done = sqlx::query(crate::store::same_sql_debtor_data::WITHHOLD_THANK_YOU)
                    .bind(case_id)
                    .bind(text)
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn erase_shop_webhook(
                &mut self,
                case_id: i64,
                body: &str,
                reason: &str,
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                let done = sqlx::query(crate::store::same_sql_debtor_data::ERASE_SHOP_WEBHOOK)
                    .bind(case_id)
                    .bind(body)
                    .bind(reason)
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn empty_rejected_payloads(
                &mut self,
                tenant: &TenantId,
                invoice_numbers: &[String],
            ) -> Result<u64, StoreError> {
                let mut emptied = 0;
                for number in invoice_numbers {
                    let done = sqlx::query(
                        "UPDATE intake_rejections SET payload = $3 WHERE tenant = $1 AND invoice_number = $2",
                    )
                    .bind(tenant.as_str())
                    .bind(number)
                    .bind(Vec::<u8>::new())
                    .execute(&mut *self.0)
                    .await?;
                    emptied += done.rows_affected();
                }
                Ok(emptied)
            }
        }
    };
}

pub(super) use impl_debtor_data_steps;
