//! Persistence: one [`Store`] trait with a PostgreSQL and a SQLite implementation.
//!
//! The database holds time and truth: cases due for their next stage, the reminders outbox,
//! payments. The store persists and never decides: a stage's rule opens a transaction
//! ([`Store::begin`]) and runs the narrow steps of [`StoreTx`] in it, so a crash leaves either all
//! of a step or none of it; the remaining methods are one transaction each. PostgreSQL claims rows with `FOR UPDATE SKIP LOCKED`, so any number of schedulers and
//! dispatchers can run against one database; SQLite (the embedded default) serialises writers.

pub mod bank;
pub mod bookings;
mod claims;
pub mod console;
pub mod conversions;
pub mod debtor_data;
pub mod holds;
pub mod instalment_reminders;
pub mod mahnstopps;
pub mod marketing;
mod pay_case;
pub mod payments;
mod postgres;
mod published;
pub mod recommend;
mod records;
mod reports;
mod rows;
mod same_sql;
mod same_sql_bank;
mod same_sql_bookings;
mod same_sql_console;
mod same_sql_conversions;
mod same_sql_debtor_data;
mod same_sql_holds;
mod same_sql_instalment_reminders;
mod same_sql_mahnstopps;
mod same_sql_marketing;
mod same_sql_payments;
mod same_sql_recommend;
mod same_sql_shop_webhooks;
mod same_sql_store;
mod same_sql_super_admins;
mod same_sql_tenant_stats;
pub mod shop_webhooks;
mod sql_words;
mod sqlite;
pub mod super_admins;
pub mod tenant_stats;
pub mod tx;
mod tx_rows;

pub use pay_case::PayCase;
pub use postgres::PostgresStore;
pub use published::{ExportFilter, ExportedDecision, NewPublication, PublishedModel};
pub use records::*;
pub use reports::*;
pub use sqlite::SqliteStore;
pub use tx::StoreTx;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
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

impl StoreError {
    /// Whether the database refused the data itself (a constraint, a value out of range): the
    /// same data will be refused again, so it is a bad message, not a reason to retry.
    pub fn is_refused_data(&self) -> bool {
        use sqlx::error::ErrorKind;
        let Self::Database(sqlx::Error::Database(error)) = self else { return false };
        let constraint = matches!(
            error.kind(),
            ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
        );
        // SQLSTATE class 22: data exception (numeric overflow, invalid text, …).
        constraint || error.code().is_some_and(|code| code.starts_with("22"))
    }

    /// Whether trying again later may succeed: a lost connection, a deadlock, a serialization
    /// failure, a pool timeout. Refused data, corrupt rows and configuration errors are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(_) => !self.is_refused_data(),
            Self::Migrate(_) | Self::Corrupt(_) | Self::UnsupportedUrl(_) => false,
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies the backend's migrations. Idempotent.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// A write transaction, for the stages' rules to run their narrow steps in (see [`tx`]).
    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError>;

    /// Stores messages intake rejected.
    async fn record_rejections(&self, rejections: &[Rejection]) -> Result<(), StoreError>;

    /// The newest `limit` rejections of `scope`, newest first.
    async fn rejections(
        &self,
        scope: &RejectionScope,
        limit: u32,
    ) -> Result<Vec<StoredRejection>, StoreError>;

    /// Leases up to `limit` reminders whose send time has come (or whose earlier lease ran out),
    /// in a transaction of its own (see [`StoreTx::lease_due_reminders`]).
    async fn claim_due_reminders(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedReminder>, StoreError> {
        let mut tx = self.begin().await?;
        let claimed = tx.lease_due_reminders(now, limit, lease).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Marks leased reminders as published to their channel's queue, in a transaction of its own.
    async fn mark_queued(&self, reminder_ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.mark_queued(reminder_ids, now).await?;
        tx.commit().await
    }

    /// Loads what channel workers need for these reminders; unknown ids are left out.
    async fn delivery_jobs(&self, reminder_ids: &[i64]) -> Result<Vec<DeliveryJob>, StoreError>;

    /// The earliest time any case or reminder becomes due; lets simulated time jump ahead.
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    async fn case_by_invoice(
        &self,
        tenant: &str,
        invoice_number: &str,
    ) -> Result<Option<CaseView>, StoreError>;

    async fn reminders_of(&self, tenant: &str, invoice_number: &str)
        -> Result<Vec<ReminderView>, StoreError>;

    /// The case behind `tenant`'s pay-link for reminder `reminder_id`; `None` when there is no
    /// such reminder of that tenant.
    async fn pay_case(
        &self,
        tenant: &crate::domain::TenantId,
        reminder_id: i64,
    ) -> Result<Option<PayCase>, StoreError>;

    async fn stats(&self) -> Result<Stats, StoreError>;

    /// One round trip to the database: whether it answers now (the roles' `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// What waits to leave at `now`: the outbox's due and queued reminders and the events the
    /// relay has not published (the `/metrics` backlog gauges; indexed counts).
    async fn backlog(&self, now: DateTime<Utc>) -> Result<Backlog, StoreError>;

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

    /// The versions of the snapshots still kept (at most [`SNAPSHOTS_KEPT`]), newest first: what
    /// a restarted learner or a scheduler can still load.
    async fn kept_policy_versions(&self) -> Result<Vec<i64>, StoreError>;

    /// Publishes a model: writes it as the newest policy snapshot (which schedulers hot-reload
    /// and the learner continues from) and records who, when and why, in one transaction.
    /// Returns the snapshot version.
    async fn publish_policy(&self, publication: &NewPublication<'_>) -> Result<i64, StoreError>;

    /// Every published version, newest first.
    async fn published_models(&self) -> Result<Vec<PublishedModel>, StoreError>;

    /// The model (snapshot JSON) published as `version`, if that version was published.
    async fn published_body(&self, version: i64) -> Result<Option<String>, StoreError>;

    /// Every sent reminder's decision matching `filter`, oldest first, as a stream read from the
    /// database while it is consumed: memory does not grow with the number of rows.
    fn export_decisions(&self, filter: ExportFilter) -> BoxStream<'_, Result<ExportedDecision, StoreError>>;
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
