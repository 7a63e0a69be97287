//! The SQLite store: the embedded default. One connection, so writers never contend; write
//! transactions start with `BEGIN IMMEDIATE` so a read never has to be upgraded mid-way.

mod intake;
mod learning;
mod outbox;
mod reports;
mod tx;
mod views;

use super::records::*;
use super::{Store, StoreError, StoreTx};
use async_trait::async_trait;
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
    /// Held by the event relay while it publishes a batch (see [`learning::next_events`]).
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
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        Ok(Self { pool, relay: Default::default() })
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        Ok(Box::new(tx::SqliteTx(self.write().await?)))
    }

    async fn record_rejections(&self, rejections: &[Rejection]) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        for r in rejections {
            sqlx::query(
                "INSERT INTO intake_rejections (received_at, routing_key, field, reason, tenant, invoice_number, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(r.received_at)
            .bind(&r.routing_key)
            .bind(&r.field)
            .bind(&r.reason)
            .bind(&r.tenant)
            .bind(&r.invoice_number)
            .bind(&r.payload)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delivery_jobs(&self, reminder_ids: &[i64]) -> Result<Vec<DeliveryJob>, StoreError> {
        views::delivery_jobs(&self.pool, reminder_ids).await
    }

    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        views::next_due_at(&self.pool).await
    }

    async fn case_by_invoice(
        &self,
        tenant: &str,
        invoice_number: &str,
    ) -> Result<Option<CaseView>, StoreError> {
        views::case_by_invoice(&self.pool, tenant, invoice_number).await
    }

    async fn reminders_of(
        &self,
        tenant: &str,
        invoice_number: &str,
    ) -> Result<Vec<ReminderView>, StoreError> {
        views::reminders_of(&self.pool, tenant, invoice_number).await
    }

    async fn stats(&self) -> Result<Stats, StoreError> {
        views::stats(&self.pool).await
    }

    async fn next_events(&self, limit: u32) -> Result<Option<EventBatch>, StoreError> {
        learning::next_events(&self.pool, &self.relay, limit).await
    }

    async fn save_policy_snapshot(
        &self,
        created_at: DateTime<Utc>,
        updates: i64,
        body: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let version = learning::save_policy_snapshot(&mut tx, created_at, updates, body).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn latest_policy_version(&self) -> Result<Option<i64>, StoreError> {
        learning::latest_policy_version(&self.pool).await
    }

    async fn latest_policy_snapshot(&self) -> Result<Option<PolicySnapshotRecord>, StoreError> {
        learning::latest_policy_snapshot(&self.pool).await
    }
}
