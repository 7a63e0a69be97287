//! Provider reports on SQLite: receipts on reminders, inbound times, consent events; and the
//! intake's WhatsApp opt-in claims.

use super::LATER_OF;
use crate::domain::{ChannelKind, ConsentKind, ConsentSource, Invoice};
use crate::store::reports::*;
use crate::store::same_sql::{advance_consent_state_to_row, provider_reports};
use crate::store::tx::FinishedReminder;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};

type Tx = Transaction<'static, Sqlite>;

provider_reports!();

/// Records the creditor's `whatsapp_opt_in` of a new invoice as a ledger event, but only when it
/// differs from the creditor's own previous claim for this debtor. A claim repeated on every
/// invoice is one consent given once, not a new one: it must not undo a STOP the debtor sent
/// after it. Turning the flag off and on again is a new claim, and a new event.
pub(super) async fn intake_opt_in(
    tx: &mut Tx,
    invoice: &Invoice,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let kind = if invoice.debtor.whatsapp_opt_in { ConsentKind::OptIn } else { ConsentKind::OptOut };
    let added: Option<i64> = sqlx::query_scalar(
        "INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $5 \
         WHERE COALESCE((SELECT kind FROM consents WHERE tenant = $1 AND debtor_id = $2 AND channel = $3 \
           AND source = $6 ORDER BY at DESC, id DESC LIMIT 1), 'opt_out') <> $4 \
         ON CONFLICT (tenant, debtor_id, channel, kind, at, source) DO NOTHING RETURNING id",
    )
    .bind(invoice.tenant.as_str())
    .bind(invoice.debtor.id.as_str())
    .bind(ChannelKind::Whatsapp.as_str())
    .bind(kind.as_str())
    .bind(at)
    .bind(ConsentSource::Intake.as_str())
    .bind(format!("invoice {}", invoice.number))
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = added {
        sqlx::query(&advance_consent_state_to_row()).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}
