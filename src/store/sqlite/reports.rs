//! Provider reports on SQLite: receipts on reminders, inbound times, consent events; and the
//! intake's WhatsApp opt-in claims.

use crate::domain::{ChannelKind, ConsentKind, ConsentSource, Invoice};
use crate::store::reports::*;
use crate::store::tx::FinishedReminder;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};

type Tx = Transaction<'static, Sqlite>;

/// The consent in force per channel of the debtor `d`, as `channel=kind,…`.
pub(super) const CONSENTS: &str = "(SELECT group_concat(x.channel || '=' || x.kind, ',') FROM consents x \
     WHERE x.tenant = d.tenant AND x.debtor_id = d.id AND x.id = (SELECT y.id FROM consents y \
     WHERE y.tenant = x.tenant AND y.debtor_id = x.debtor_id AND y.channel = x.channel \
     ORDER BY y.at DESC, y.id DESC LIMIT 1)) AS consents";

pub(super) async fn record(
    tx: &mut Tx,
    report: &ProviderReport,
    now: DateTime<Utc>,
) -> Result<(ReportOutcome, Vec<(FinishedReminder, DateTime<Utc>)>), StoreError> {
    let mut outcome = ReportOutcome::default();
    let mut dead = Vec::new();
    for receipt in &report.receipts {
        outcome.receipts += record_receipt(tx, receipt, &mut dead).await?;
    }
    for inbound in &report.inbound {
        let Some(column) = contact_column(inbound.channel) else { continue };
        let sql = format!(
            "INSERT INTO inbound_contacts (tenant, debtor_id, channel, last_at) \
             SELECT d.tenant, d.id, $1, $2 FROM debtors d WHERE d.{column} = $3 \
             ON CONFLICT (tenant, debtor_id, channel) DO UPDATE SET last_at = MAX(last_at, excluded.last_at)"
        );
        outcome.inbound += sqlx::query(&sql)
            .bind(inbound.channel.as_str())
            .bind(inbound.at)
            .bind(&inbound.contact)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    for event in &report.consents {
        outcome.consents += record_consent(tx, event, now).await?;
    }
    Ok((outcome, dead))
}

/// Moves the receipt of the matching reminders forward; a failure that names a dead address
/// (the first receipt to say so: a repeated webhook does not move the receipt again) also does
/// what a synchronous dead-address refusal does, as of the receipt's time (the service's clock
/// for Twilio, the provider's for Meta: a stage handed back is due from then on).
async fn record_receipt(
    tx: &mut Tx,
    receipt: &Receipt,
    dead: &mut Vec<(FinishedReminder, DateTime<Utc>)>,
) -> Result<u64, StoreError> {
    let set = format!(
        "UPDATE reminders SET receipt_status = $2, receipt_at = $3, receipt_error = $4 \
         WHERE channel = $5 AND ({STORED_RECEIPT_RANK}) < $1"
    );
    let sql = match &receipt.target {
        ReceiptTarget::ProviderId(_) => format!("{set} AND provider_id = $6 RETURNING id, case_id, stage"),
        ReceiptTarget::UpTo { .. } => {
            let Some(column) = contact_column(receipt.channel) else { return Ok(0) };
            format!(
                "{set} AND status = 'sent' AND sent_at <= $7 AND case_id IN ( \
                   SELECT c.id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                   JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE d.{column} = $6) \
                 RETURNING id, case_id, stage"
            )
        }
    };
    let query = sqlx::query_as::<_, (i64, i64, i64)>(&sql)
        .bind(receipt.status.rank())
        .bind(receipt.status.as_str())
        .bind(receipt.at)
        .bind(&receipt.error)
        .bind(receipt.channel.as_str());
    let query = match &receipt.target {
        ReceiptTarget::ProviderId(id) => query.bind(id),
        ReceiptTarget::UpTo { contact, watermark } => query.bind(contact).bind(*watermark),
    };
    let moved = query.fetch_all(&mut **tx).await?;
    if receipt.unreachable && receipt.status == ReceiptStatus::Failed {
        for &(reminder_id, case_id, stage) in &moved {
            let reminder =
                FinishedReminder { id: reminder_id, case_id, stage: stage as u32, channel: receipt.channel };
            dead.push((reminder, receipt.at));
        }
    }
    Ok(moved.len() as u64)
}

/// A consent event already in the ledger (a retried webhook: the same subject, channel, kind,
/// time and source) is not written again; the unique index `consents_once` says which.
const ONCE: &str = "ON CONFLICT (tenant, debtor_id, channel, kind, at, source) DO NOTHING";

/// Appends `event` for every debtor it names; returns how many rows were new.
async fn record_consent(tx: &mut Tx, event: &ConsentEvent, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let insert = "INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at) \
                  SELECT d.tenant, d.id, $1, $2, $3, $4, $5, $6 FROM debtors d";
    let sql = match &event.subject {
        ConsentSubject::Debtor { .. } => format!("{insert} WHERE d.tenant = $7 AND d.id = $8 {ONCE}"),
        ConsentSubject::Contact(_) => {
            let Some(column) = contact_column(event.channel) else { return Ok(0) };
            format!("{insert} WHERE d.{column} = $7 {ONCE}")
        }
    };
    let query = sqlx::query(&sql)
        .bind(event.channel.as_str())
        .bind(event.kind.as_str())
        .bind(event.at)
        .bind(event.source.as_str())
        .bind(&event.detail)
        .bind(now);
    let query = match &event.subject {
        ConsentSubject::Debtor { tenant, debtor } => query.bind(tenant.as_str()).bind(debtor.as_str()),
        ConsentSubject::Contact(contact) => query.bind(contact),
    };
    Ok(query.execute(&mut **tx).await?.rows_affected())
}

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
    sqlx::query(
        "INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $5 \
         WHERE COALESCE((SELECT kind FROM consents WHERE tenant = $1 AND debtor_id = $2 AND channel = $3 \
           AND source = $6 ORDER BY at DESC, id DESC LIMIT 1), 'opt_out') <> $4 \
         ON CONFLICT (tenant, debtor_id, channel, kind, at, source) DO NOTHING",
    )
    .bind(invoice.tenant.as_str())
    .bind(invoice.debtor.id.as_str())
    .bind(ChannelKind::Whatsapp.as_str())
    .bind(kind.as_str())
    .bind(at)
    .bind(ConsentSource::Intake.as_str())
    .bind(format!("invoice {}", invoice.number))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
