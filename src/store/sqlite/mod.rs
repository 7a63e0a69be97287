//! The SQLite store: the embedded default. One connection, so writers never contend; write
//! transactions start with `BEGIN IMMEDIATE` so a read never has to be upgraded mid-way.

mod intake;
mod outbox;
mod relay;
mod reports;
mod tx;
mod views;

use super::records::*;
use super::rows::{stats_from, CaseViewRow, ReminderViewRow, StatsRows, CONSENT_COUNTS, RECEIPT_COUNTS};
use super::same_sql_store::{impl_store, INSERT_SNAPSHOT, PRUNE_SNAPSHOTS};
use super::{Store, StoreError, StoreTx};
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Held by the event relay while it publishes a batch (see [`relay::next_events`]).
    relay: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file a `sqlite://path` URL names.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        // One connection to a local file: nothing to gain from reaping it, and no reaper means
        // no sqlx maintenance task, whose `num_idle` can underflow and spin a core forever
        // (sqlx #3645, fixed upstream in #4289, not in a release we use); seen here as a
        // `cases export` that never returned under load.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Ok(Self { pool, relay: Default::default() })
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// The later of two values in this dialect.
const LATER_OF: &str = "MAX";

/// Events past the relay's cursor (one writer at a time: ids grow in commit order).
const UNRELAYED_EVENTS: &str =
    "SELECT count(*) FROM events, event_relay WHERE events.id > event_relay.event_id";

impl_store!(SqliteStore {
    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        Ok(Box::new(tx::SqliteTx(self.write().await?)))
    }

    async fn next_events(&self, limit: u32) -> Result<Option<EventBatch>, StoreError> {
        relay::next_events(&self.pool, &self.relay, limit).await
    }
});
