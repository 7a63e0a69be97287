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
mod learning;
mod outbox;
mod reports;
mod tx;
mod views;

use super::records::*;
use super::{Store, StoreError, StoreTx};
use async_trait::async_trait;
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

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn begin(&self) -> Result<Box<dyn StoreTx>, StoreError> {
        Ok(Box::new(tx::PgTx::new(self.write().await?)))
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
        learning::next_events(&self.pool, limit).await
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
