//! The marketing steps ([`super::marketing::MarketingSteps`]), written once for both backends:
//! `impl_marketing_steps!(Backend)` expands in each backend's `tx.rs`, which supplies by name
//! only `LOCK_THANKS` (what locks the thank-you messages a sender leases: `FOR UPDATE OF t SKIP
//! LOCKED`, or nothing on SQLite, whose write transaction holds the only write lock).

use super::marketing::{MarketingAudience, MarketingConsentRecord, ThankYouJob, ThankYouResult};
use super::rows::{corrupt, ConsentColumns, DebtorRow, CONSENT_COLUMNS, DEBTOR_COLUMNS, MESSENGER_INBOUND};
use super::StoreError;
use crate::domain::{
    ConsentKind, Currency, DebtorId, InvoiceNumber, MarketingBasis, MarketingConsents, TenantId,
};
use crate::runtime::Subject;

/// A debtor with the reminder consent in force per channel.
pub(super) fn audience_sql() -> String {
    format!(
        "SELECT {DEBTOR_COLUMNS}, {CONSENT_COLUMNS}, {MESSENGER_INBOUND} FROM debtors d \
         WHERE d.tenant = $1 AND d.id = $2"
    )
}

/// The debtor's marketing ledger, oldest first: the last row per channel is the one in force.
pub(super) const MARKETING_LEDGER: &str = "SELECT channel, kind FROM marketing_consents \
     WHERE tenant = $1 AND debtor_id = $2 ORDER BY at, id";

/// The debtor's marketing ledger with every column, in the same order as [`MARKETING_LEDGER`].
pub(super) const MARKETING_LEDGER_RECORDS: &str = "SELECT channel, kind, at, source, detail, recorded_at \
     FROM marketing_consents WHERE tenant = $1 AND debtor_id = $2 ORDER BY at, id";

pub(super) type LedgerRow =
    (String, String, chrono::DateTime<chrono::Utc>, String, Option<String>, chrono::DateTime<chrono::Utc>);

pub(super) fn ledger_record(
    (channel, kind, at, source, detail, recorded_at): LedgerRow,
) -> Result<MarketingConsentRecord, StoreError> {
    Ok(MarketingConsentRecord {
        channel: channel.parse().map_err(|e| corrupt("marketing_consents.channel", e))?,
        kind: ConsentKind::parse(&kind).map_err(|e| corrupt("marketing_consents.kind", e))?,
        at,
        source,
        detail,
        recorded_at,
    })
}

pub(super) const RECORD_MARKETING_CONSENT: &str = "INSERT INTO marketing_consents \
     (tenant, debtor_id, channel, kind, at, source, detail, recorded_at) \
     SELECT d.tenant, d.id, $3, $4, $5, $6, $7, $8 FROM debtors d WHERE d.tenant = $1 AND d.id = $2 \
     ON CONFLICT DO NOTHING";

/// Due pending messages with whom they are about; the backend appends `LOCK_THANKS`.
pub(super) const DUE_THANK_YOUS: &str = "SELECT t.id, t.channel, t.basis, t.attempts, t.case_id, i.tenant, \
     i.number, i.debtor_id, i.currency FROM thank_you_messages t JOIN cases c ON c.id = t.case_id \
     JOIN invoices i ON i.id = c.invoice_id WHERE t.status = 'pending' AND t.next_attempt_at <= $1 \
     ORDER BY t.next_attempt_at, t.id LIMIT $2";

/// `$1` id, `$2` now, `$3` status, `$4` provider id, `$5` error, `$6` next attempt (kept when
/// NULL), `$7` whether the attempt counts.
pub(super) const FINISH_THANK_YOU: &str = "UPDATE thank_you_messages SET status = $3, \
     provider_id = COALESCE($4, provider_id), last_error = $5, \
     next_attempt_at = COALESCE($6, next_attempt_at), attempts = attempts + $7, \
     finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE $2 END \
     WHERE id = $1 AND status = 'pending'";

#[derive(sqlx::FromRow)]
pub(super) struct AudienceRow {
    #[sqlx(flatten)]
    pub debtor: DebtorRow,
    #[sqlx(flatten)]
    pub consents: ConsentColumns,
    pub messenger_inbound_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub(super) fn audience(
    row: AudienceRow,
    ledger: Vec<(String, String)>,
) -> Result<MarketingAudience, StoreError> {
    let mut marketing = MarketingConsents::default();
    for (channel, kind) in ledger {
        let channel = channel.parse().map_err(|e| corrupt("marketing_consents.channel", e))?;
        marketing.set(channel, ConsentKind::parse(&kind).map_err(|e| corrupt("marketing_consents.kind", e))?);
    }
    Ok(MarketingAudience {
        debtor: row.debtor.into_debtor()?,
        consents: row.consents.into_consents()?,
        marketing,
        messenger_inbound_at: row.messenger_inbound_at,
    })
}

pub(super) type DueRow = (i64, String, String, i32, i64, String, String, String, String);

pub(super) fn thank_you_job(
    (id, channel, basis, attempts, case_id, tenant, number, debtor, currency): DueRow,
) -> Result<ThankYouJob, StoreError> {
    Ok(ThankYouJob {
        id,
        subject: Subject {
            tenant: TenantId::parse(&tenant).map_err(|e| corrupt("tenant", e))?,
            case_id,
            invoice_number: InvoiceNumber::parse(&number).map_err(|e| corrupt("invoice number", e))?,
            debtor_id: DebtorId::parse(&debtor).map_err(|e| corrupt("debtor id", e))?,
        },
        channel: channel.parse().map_err(|e| corrupt("thank_you_messages.channel", e))?,
        basis: MarketingBasis::parse(&basis).ok_or_else(|| corrupt("thank_you_messages.basis", &basis))?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        currency: Currency::parse(&currency).map_err(|e| corrupt("currency", e))?,
    })
}

/// The columns [`FINISH_THANK_YOU`] writes for `result`: status, provider id, error, next
/// attempt, attempts added.
pub(super) fn finish_columns(
    result: &ThankYouResult,
) -> (&'static str, Option<&str>, Option<&str>, Option<chrono::DateTime<chrono::Utc>>, i32) {
    match result {
        ThankYouResult::Sent { provider_id } => ("sent", Some(provider_id.as_str()), None, None, 1),
        ThankYouResult::Retry { error, at } => ("pending", None, Some(error.as_str()), Some(*at), 1),
        ThankYouResult::Failed { error } => ("failed", None, Some(error.as_str()), None, 1),
        ThankYouResult::Withheld { reason } => ("withheld", None, Some(reason.as_str()), None, 0),
    }
}

macro_rules! impl_marketing_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::marketing::MarketingSteps for $tx {
            async fn record_marketing_consent(
                &mut self,
                event: &crate::store::marketing::MarketingConsentEvent,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query(crate::store::same_sql_marketing::RECORD_MARKETING_CONSENT)
                    .bind(event.tenant.as_str())
                    .bind(event.debtor.as_str())
                    .bind(event.channel.as_str())
                    .bind(event.kind.as_str())
                    .bind(event.at)
                    .bind(event.source.as_str())
                    .bind(&event.detail)
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn store_debtor_if_new(
                &mut self,
                tenant: &crate::domain::TenantId,
                debtor: &crate::domain::Debtor,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, crate::store::StoreError> {
                sqlx::query("INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(tenant.as_str())
                    .bind(now)
                    .execute(&mut *self.0)
                    .await?;
                let sql = crate::store::same_sql::insert_debtor_sql("DO NOTHING");
                let done = crate::store::same_sql::bind_debtor_row!(sqlx::query(&sql), tenant.as_str(), debtor, now)
                    .execute(&mut *self.0)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn marketing_ledger(
                &mut self,
                tenant: &crate::domain::TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Vec<crate::store::marketing::MarketingConsentRecord>, crate::store::StoreError> {
                use crate::store::same_sql_marketing as sql;
                let rows: Vec<sql::LedgerRow> = sqlx::query_as(sql::MARKETING_LEDGER_RECORDS)
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .fetch_all(&mut *self.0)
                    .await?;
                rows.into_iter().map(sql::ledger_record).collect()
            }

            async fn marketing_audience(
                &mut self,
                tenant: &crate::domain::TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Option<crate::store::marketing::MarketingAudience>, crate::store::StoreError> {
                use crate::store::same_sql_marketing as sql;
                let row: Option<sql::AudienceRow> = sqlx::query_as(&sql::audience_sql())
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .fetch_optional(&mut *self.0)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let ledger: Vec<(String, String)> = sqlx::query_as(sql::MARKETING_LEDGER)
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .fetch_all(&mut *self.0)
                    .await?;
                sql::audience(row, ledger).map(Some)
            }

            async fn queue_thank_you(
                &mut self,
                message: &crate::store::marketing::NewThankYou,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query(
                    "INSERT INTO thank_you_messages (case_id, tenant, channel, basis, status, attempts, \
                     next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) \
                     ON CONFLICT (case_id) DO NOTHING",
                )
                .bind(message.case_id)
                .bind(message.tenant.as_str())
                .bind(message.channel.as_str())
                .bind(message.basis.as_str())
                .bind(message.created_at)
                .execute(&mut *self.0)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn lease_thank_yous(
                &mut self,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
                until: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<crate::store::marketing::ThankYouJob>, crate::store::StoreError> {
                use crate::store::same_sql_marketing as sql;
                let due = format!("{}{LOCK_THANKS}", sql::DUE_THANK_YOUS);
                let rows: Vec<sql::DueRow> =
                    sqlx::query_as(&due).bind(now).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
                let jobs = rows.into_iter().map(sql::thank_you_job).collect::<Result<Vec<_>, _>>()?;
                for job in &jobs {
                    sqlx::query("UPDATE thank_you_messages SET next_attempt_at = $2 WHERE id = $1")
                        .bind(job.id)
                        .bind(until)
                        .execute(&mut *self.0)
                        .await?;
                }
                Ok(jobs)
            }

            async fn finish_thank_you(
                &mut self,
                id: i64,
                result: &crate::store::marketing::ThankYouResult,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::store::StoreError> {
                let (status, provider_id, error, next, counted) =
                    crate::store::same_sql_marketing::finish_columns(result);
                sqlx::query(crate::store::same_sql_marketing::FINISH_THANK_YOU)
                    .bind(id)
                    .bind(now)
                    .bind(status)
                    .bind(provider_id)
                    .bind(error)
                    .bind(next)
                    .bind(counted)
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn thank_you_recipient(
                &mut self,
                tenant: &crate::domain::TenantId,
                id: i64,
            ) -> Result<Option<(crate::domain::DebtorId, crate::domain::ChannelKind)>, crate::store::StoreError> {
                let row: Option<(String, String)> = sqlx::query_as(
                    "SELECT i.debtor_id, t.channel FROM thank_you_messages t JOIN cases c ON c.id = t.case_id \
                     JOIN invoices i ON i.id = c.invoice_id WHERE t.id = $1 AND t.tenant = $2",
                )
                .bind(id)
                .bind(tenant.as_str())
                .fetch_optional(&mut *self.0)
                .await?;
                let Some((debtor, channel)) = row else { return Ok(None) };
                let debtor = crate::domain::DebtorId::parse(&debtor)
                    .map_err(|e| crate::store::StoreError::Corrupt(format!("debtor id: {e}")))?;
                let channel = channel
                    .parse()
                    .map_err(|e| crate::store::StoreError::Corrupt(format!("thank_you_messages.channel: {e}")))?;
                Ok(Some((debtor, channel)))
            }
        }
    };
}

pub(super) use impl_marketing_steps;
