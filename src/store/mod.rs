//! Persistence: one [`Store`] trait with a PostgreSQL and a SQLite implementation.
//!
//! The database holds time and truth: cases due for their next stage, the reminders outbox,
//! payments. Every method is one transaction, so a crash leaves either all of a step or none of
//! it. PostgreSQL claims rows with `FOR UPDATE SKIP LOCKED`, so any number of schedulers and
//! dispatchers can run against one database; SQLite (the embedded default) serialises writers.

mod postgres;
mod records;
mod reports;
mod rows;
mod sqlite;

pub use postgres::PostgresStore;
pub use records::*;
pub use reports::*;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// Why a store call failed. A lost connection, a deadlock or a serialization failure (inside
/// `Database`) is worth retrying; `Corrupt` means a row no longer parses and an operator must
/// look; `Migrate` and `UnsupportedUrl` are configuration errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data does not parse: {0}")]
    Corrupt(String),
    #[error("unsupported database URL '{0}': use postgres://… or sqlite://…")]
    UnsupportedUrl(String),
}

/// Why [`Store::dispatch_due`] stopped: the database, or the publish it was handed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publishing reminders: {0:#}")]
    Publish(anyhow::Error),
}

impl From<sqlx::Error> for DispatchError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// What [`Store::dispatch_due`] does with the reminders it claimed: publish them to their
/// channels' queues, returning once the broker confirmed every one.
#[async_trait]
pub trait PublishReminders: Send + Sync {
    async fn publish(&self, reminders: &[ClaimedReminder]) -> anyhow::Result<()>;
}

/// The scheduler's decision function, called inside the claiming transaction.
pub type Decide<'a> = &'a (dyn Fn(&DueCase) -> CaseDecision + Send + Sync);

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies the backend's migrations. Idempotent.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Applies intake commands in order, in one transaction, and reports each one's outcome.
    /// Replaying the same commands changes nothing.
    async fn apply_intake(&self, commands: &[IntakeCommand]) -> Result<Vec<IntakeOutcome>, StoreError>;

    /// Stores messages intake rejected.
    async fn record_rejections(&self, rejections: &[Rejection]) -> Result<(), StoreError>;

    /// Records a payment: closes the case when paid in full, cancels pending reminders and
    /// credits the reminder that preceded it within `attribution_window` — one transaction.
    async fn record_payment(
        &self,
        payment: &PaymentRecord,
        attribution_window: Duration,
    ) -> Result<IntakeOutcome, StoreError>;

    /// Claims up to `limit` cases due at `now`, asks `decide` for each, and writes the resulting
    /// reminders and case updates in the same transaction. Returns how many cases were decided.
    async fn plan_due_cases(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        decide: Decide<'_>,
    ) -> Result<usize, StoreError>;

    /// Claims up to `limit` reminders whose send time has come, hands them to `publish`, and
    /// marks them queued once it returned; returns how many. A failed publish leaves them
    /// scheduled, to be dispatched again (on PostgreSQL at once, elsewhere once the lease of
    /// [`Store::claim_due_reminders`] ran out); a publish that went out in part sends some
    /// twice, which channel workers skip.
    ///
    /// The default leases, publishes, then marks queued: three steps, each its own transaction.
    /// PostgreSQL instead holds the rows locked (`FOR UPDATE SKIP LOCKED`) while publishing and
    /// marks them queued in the same transaction — one write per reminder instead of two.
    async fn dispatch_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
        publish: &dyn PublishReminders,
    ) -> Result<usize, DispatchError> {
        let claimed = self.claim_due_reminders(now, limit, lease).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        publish.publish(&claimed).await.map_err(DispatchError::Publish)?;
        let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
        self.mark_queued(&ids).await?;
        Ok(ids.len())
    }

    /// Leases up to `limit` reminders whose send time has come (or whose earlier lease ran out)
    /// for publishing.
    async fn claim_due_reminders(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedReminder>, StoreError>;

    /// Marks leased reminders as published to their channel's queue.
    async fn mark_queued(&self, reminder_ids: &[i64]) -> Result<(), StoreError>;

    /// Loads what channel workers need for these reminders; unknown ids are left out.
    async fn delivery_jobs(&self, reminder_ids: &[i64]) -> Result<Vec<DeliveryJob>, StoreError>;

    /// Records what channel workers did, in one transaction.
    async fn record_deliveries(
        &self,
        reports: &[DeliveryReport],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The earliest time any case or reminder becomes due; lets simulated time jump ahead.
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    async fn case_by_invoice(
        &self,
        tenant: &str,
        invoice_number: &str,
    ) -> Result<Option<CaseView>, StoreError>;

    async fn reminders_of(&self, tenant: &str, invoice_number: &str)
        -> Result<Vec<ReminderView>, StoreError>;

    async fn stats(&self) -> Result<Stats, StoreError>;

    /// Gives reward 0 to up to `limit` sent reminders whose attribution `window` closed before
    /// `now` without a payment, writing their `reminder.outcome` events. Returns how many.
    async fn settle_outcomes(
        &self,
        now: DateTime<Utc>,
        window: Duration,
        limit: u32,
    ) -> Result<usize, StoreError>;

    /// Up to `limit` events not yet published, oldest first, reserved for the caller until it
    /// calls [`EventBatch::published`] or drops the batch: one relay at a time, so no event is
    /// handed out twice while its publishing is under way. `None` when nothing is ready or
    /// another relay holds the events. A dropped batch (publishing failed, the relay died) is
    /// handed out again, whole, to the next caller.
    async fn next_events(&self, limit: u32) -> Result<Option<EventBatch>, StoreError>;

    /// Stores a policy snapshot (JSON) and returns its version; keeps the last [`SNAPSHOTS_KEPT`].
    async fn save_policy_snapshot(
        &self,
        created_at: DateTime<Utc>,
        updates: i64,
        body: &str,
    ) -> Result<i64, StoreError>;

    /// The newest snapshot's version: a cheap poll for schedulers that hot-reload.
    async fn latest_policy_version(&self) -> Result<Option<i64>, StoreError>;

    async fn latest_policy_snapshot(&self) -> Result<Option<PolicySnapshotRecord>, StoreError>;

    /// Records what one provider webhook reported, in one transaction: receipts on the reminders
    /// they match (only ever forward), the debtors' inbound times, and consent events appended to
    /// the ledger for every debtor they name. Unknown message ids and contacts change nothing.
    async fn record_provider_report(&self, report: &ProviderReport) -> Result<ReportOutcome, StoreError>;

    /// Appends one consent event to the ledger; returns how many debtors it was recorded for.
    async fn record_consent(&self, event: &ConsentEvent) -> Result<u64, StoreError> {
        let report = ProviderReport { consents: vec![event.clone()], ..ProviderReport::default() };
        Ok(self.record_provider_report(&report).await?.consents)
    }
}

/// Opens the store a database URL names and applies its migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PostgresStore::connect(url).await?)
    } else if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    };
    store.migrate().await?;
    Ok(store)
}
