//! Provider reports on PostgreSQL: receipts on reminders, inbound times, consent events; and the
//! intake's WhatsApp opt-in claims, batched like the rest of intake.

use super::LATER_OF;
use crate::domain::{ChannelKind, ConsentKind, ConsentSource, Invoice};
use crate::store::reports::*;
use crate::store::same_sql::{advance_consent_state, provider_reports};
use crate::store::tx::FinishedReminder;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use std::collections::BTreeMap;

type Tx = Transaction<'static, Postgres>;

provider_reports!();

/// Records the creditor's `whatsapp_opt_in` of new invoices as ledger events, but only where it
/// differs from the creditor's own previous claim for the debtor (the last invoice of a debtor
/// in the run counts). A claim repeated on every invoice is one consent given once, not a new
/// one: it must not undo a STOP the debtor sent after it. Turning the flag off and on again is a
/// new claim, and a new event.
pub(super) async fn intake_opt_ins<'a>(
    tx: &mut Tx,
    invoices: impl Iterator<Item = (&'a Invoice, DateTime<Utc>)>,
) -> Result<(), StoreError> {
    let mut latest = BTreeMap::new();
    for (invoice, at) in invoices {
        latest.insert((invoice.tenant.as_str(), invoice.debtor.id.as_str()), (invoice, at));
    }
    if latest.is_empty() {
        return Ok(());
    }
    let kind = |i: &Invoice| if i.debtor.whatsapp_opt_in { ConsentKind::OptIn } else { ConsentKind::OptOut };
    // The new ledger rows move the consent in force forward in the same statement.
    let sql = format!(
        "WITH added AS ( \
           INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at) \
           SELECT t.tenant, t.debtor_id, $5, t.kind, t.at, $6, t.detail, t.at \
           FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], $7::text[]) AS t(tenant, debtor_id, kind, at, detail) \
           WHERE COALESCE((SELECT c.kind FROM consents c WHERE c.tenant = t.tenant AND c.debtor_id = t.debtor_id \
             AND c.channel = $5 AND c.source = $6 ORDER BY c.at DESC, c.id DESC LIMIT 1), 'opt_out') <> t.kind \
           ON CONFLICT (tenant, debtor_id, channel, kind, at, source) DO NOTHING \
           RETURNING id, tenant, debtor_id, channel, kind, at, source) {}",
        advance_consent_state("added")
    );
    sqlx::query(&sql)
        .bind(latest.keys().map(|(t, _)| t.to_string()).collect::<Vec<_>>())
        .bind(latest.keys().map(|(_, d)| d.to_string()).collect::<Vec<_>>())
        .bind(latest.values().map(|(i, _)| kind(i).as_str()).collect::<Vec<_>>())
        .bind(latest.values().map(|(_, at)| *at).collect::<Vec<_>>())
        .bind(ChannelKind::Whatsapp.as_str())
        .bind(ConsentSource::Intake.as_str())
        .bind(latest.values().map(|(i, _)| format!("invoice {}", i.number)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
