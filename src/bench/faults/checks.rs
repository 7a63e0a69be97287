//! The fault benchmark's own look at the database: how far the run has got (while the servers
//! come and go), and at the end what became of every invoice, case and first-stage reminder,
//! set against what the provider received.

use super::smtp_counter::Received;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Connection;
use std::collections::{BTreeMap, HashSet};

/// How far the run has got: (invoices stored, reminders still to go out). `None` while the
/// database does not answer (it is being restarted).
pub async fn progress(database_url: &str) -> Option<(i64, i64)> {
    let mut connection = sqlx::PgConnection::connect(database_url).await.ok()?;
    let counts = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM invoices), \
                (SELECT COUNT(*) FROM reminders WHERE status IN ('scheduled', 'queued'))",
    )
    .fetch_one(&mut connection)
    .await
    .ok();
    let _ = connection.close().await;
    counts
}

/// What the database and the provider say at the end.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    /// Rows in `invoices`, and distinct invoice numbers among them.
    pub invoices_stored: i64,
    pub distinct_invoice_numbers: i64,
    pub cases: i64,
    /// Cases by state, and those not in the state the run must leave them in (`reminding`, one
    /// stage planned, the next action not due).
    pub cases_by_state: BTreeMap<String, i64>,
    pub cases_in_wrong_state: i64,
    /// First-stage reminders by status.
    pub reminders_by_status: BTreeMap<String, i64>,
    /// First-stage reminders the provider never received (and invoices without one).
    pub lost_reminders: i64,
    /// Reminders still `scheduled` or `queued`, or cases due with nothing planned.
    pub stuck: i64,
    /// First-stage reminders planned for a send time after the run's clock (not due, so neither
    /// lost nor stuck): cases planned after the purge fault moved the clock past the day's send
    /// hour wait for it on the next business day.
    pub waiting_for_send_time: i64,
    /// Reminders recorded `sent` that the provider never received.
    pub recorded_not_received: i64,
    /// Emails received (every `DATA`), distinct ids among them, those beyond the first of their
    /// id, the most copies of one, and those whose id is no reminder's.
    pub emails_received: u64,
    pub distinct_reminders_received: u64,
    pub duplicate_sends: u64,
    pub most_copies_of_one: u32,
    pub emails_of_no_reminder: u64,
}

/// Reads the end state of `invoices` invoices from the database at `now` (the roles' clock)
/// and matches it with what the provider received.
pub async fn outcome(database_url: &str, now: DateTime<Utc>, received: &Received) -> anyhow::Result<Outcome> {
    let mut db = sqlx::PgConnection::connect(database_url).await.context("connecting to PostgreSQL")?;
    let (invoices_stored, distinct_invoice_numbers, cases): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM invoices), (SELECT COUNT(DISTINCT (tenant, number)) FROM invoices), \
                (SELECT COUNT(*) FROM cases)",
    )
    .fetch_one(&mut db)
    .await
    .context("counting invoices and cases")?;
    let cases_by_state: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM cases GROUP BY state ORDER BY state")
            .fetch_all(&mut db)
            .await
            .context("counting cases by state")?;
    let cases_in_wrong_state: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases WHERE state <> 'reminding' OR stages_planned <> 1 \
                OR next_action_at IS NULL OR next_action_at <= $1",
    )
    .bind(now)
    .fetch_one(&mut db)
    .await
    .context("counting cases in the wrong state")?;
    let by_status: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM reminders WHERE stage = 0 GROUP BY status ORDER BY status",
    )
    .fetch_all(&mut db)
    .await
    .context("counting reminders by status")?;
    let due_without_reminder: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases c WHERE c.state IN ('open', 'reminding') AND c.next_action_at <= $1",
    )
    .bind(now)
    .fetch_one(&mut db)
    .await
    .context("counting due cases")?;
    let all_reminders: Vec<(String, String, DateTime<Utc>)> =
        sqlx::query_as("SELECT idempotency_key, status, send_at FROM reminders WHERE stage = 0")
            .fetch_all(&mut db)
            .await
            .context("reading the first-stage reminders")?;
    let _ = db.close().await;

    // A reminder planned for a send time after the run's clock is not due: planned after the
    // purge fault moved the clock past the day's send hour, it waits for that hour on the next
    // business day, as designed. It is neither lost nor stuck; it is counted apart.
    let (waiting, reminders): (Vec<_>, Vec<_>) =
        all_reminders.into_iter().partition(|(_, status, send_at)| status == "scheduled" && *send_at > now);
    let reminders: Vec<(String, String)> =
        reminders.into_iter().map(|(key, status, _)| (key, status)).collect();
    // Received ids are `<idempotency key>@<sender's domain>`.
    let received_keys: HashSet<&str> =
        received.by_message_id.keys().map(|id| id.split('@').next().unwrap_or(id)).collect();
    let keys: HashSet<&str> = reminders.iter().map(|(key, _)| key.as_str()).collect();
    let never_received = reminders.iter().filter(|(key, _)| !received_keys.contains(key.as_str())).count();
    let recorded_not_received = reminders
        .iter()
        .filter(|(key, status)| status == "sent" && !received_keys.contains(key.as_str()))
        .count();
    let without_reminder = (invoices_stored - (reminders.len() + waiting.len()) as i64).max(0);
    let pending =
        reminders.iter().filter(|(_, status)| status == "scheduled" || status == "queued").count() as i64;
    Ok(Outcome {
        invoices_stored,
        distinct_invoice_numbers,
        cases,
        cases_by_state: cases_by_state.into_iter().collect(),
        cases_in_wrong_state,
        reminders_by_status: by_status.into_iter().collect(),
        lost_reminders: never_received as i64 + without_reminder,
        waiting_for_send_time: waiting.len() as i64,
        stuck: pending + due_without_reminder,
        recorded_not_received: recorded_not_received as i64,
        emails_received: received.messages,
        distinct_reminders_received: received.distinct(),
        duplicate_sends: received.duplicates(),
        most_copies_of_one: received.by_message_id.values().copied().max().unwrap_or(0),
        emails_of_no_reminder: received.without_id
            + received_keys.iter().filter(|key| !keys.contains(*key)).count() as u64,
    })
}
