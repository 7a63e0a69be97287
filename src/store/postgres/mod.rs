//! The PostgreSQL store: for production and for several workers. Claims use `FOR UPDATE SKIP LOCKED`;
//! intake, planning and delivery reports are written in batches (`UNNEST`) to keep round trips few.
//!
//! **Batch reads look each row up by key.** The reads of a batch's cases and reminders join
//! their invoice and debtor in a `LATERAL (… OFFSET 0)` subquery per row, which the planner
//! cannot flatten into one join. A flat join is planned from the tables' statistics, and those
//! of a young, fast-growing table (a new deployment, the first hours after a large import) are
//! analysed late by autovacuum: such plans hashed whole tables for every batch of 1,000, or
//! joined every due case before the batch's limit applied. Once the statistics are fresh, the
//! keyed reads cost what the flat joins cost.

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
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/postgres");

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }

    /// The pool, for tests and tools that need raw access.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }
}

/// The later of two values in this dialect.
const LATER_OF: &str = "GREATEST";

/// Events past the relay's cursor, which orders them by (transaction, id).
const UNRELAYED_EVENTS: &str = "SELECT count(*) FROM events, event_relay \
     WHERE (events.tx, events.id) > (event_relay.tx, event_relay.event_id)";

impl_store!(PostgresStore {
    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        Ok(Box::new(tx::PgTx::new(self.write().await?)))
    }

    async fn next_events(&self, limit: u32) -> Result<Option<EventBatch>, StoreError> {
        relay::next_events(&self.pool, limit).await
    }
});
