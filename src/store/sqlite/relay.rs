//! The event relay on SQLite: the log of events published behind a cursor (see the PostgreSQL
//! twin for the why).

use crate::store::records::{EventBatch, EventRecord, RelayCursor};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The next events for the relay: the store's relay lock is taken (another relay of this
/// process finds it held and tries later), then the events after the cursor are read in id
/// order. SQLite commits one writer at a time, so ids grow in commit order and nothing can
/// appear behind the cursor. No transaction stays open while the events are published: the one
/// connection would be blocked for every other writer.
pub(super) async fn next_events(
    pool: &SqlitePool,
    relay: &Arc<Mutex<()>>,
    limit: u32,
) -> Result<Option<EventBatch>, StoreError> {
    let Ok(guard) = Arc::clone(relay).try_lock_owned() else { return Ok(None) };
    let after: Option<i64> =
        sqlx::query_scalar("SELECT event_id FROM event_relay").fetch_optional(pool).await?;
    let Some(after) = after else {
        return Err(StoreError::Corrupt(
            "event_relay has no row: the event relay's cursor was deleted, and no event is published until \
             it is back; INSERT INTO event_relay (only_row, event_id) VALUES (1, 0) publishes every stored \
             event again"
                .into(),
        ));
    };
    let rows: Vec<(i64, DateTime<Utc>, String, String)> =
        sqlx::query_as("SELECT id, at, kind, data FROM events WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit as i64)
            .fetch_all(pool)
            .await?;
    let Some(last) = rows.last().map(|row| row.0) else { return Ok(None) };
    let events = rows.into_iter().map(|(id, at, kind, data)| EventRecord { id, at, kind, data }).collect();
    let cursor = SqliteRelay { pool: pool.clone(), after, last, _guard: guard };
    Ok(Some(EventBatch::new(events, Box::new(cursor))))
}

/// Where the batch started and ended, and the relay lock held until it is published or dropped.
struct SqliteRelay {
    pool: SqlitePool,
    after: i64,
    last: i64,
    _guard: OwnedMutexGuard<()>,
}

#[async_trait::async_trait]
impl RelayCursor for SqliteRelay {
    async fn advance(self: Box<Self>) -> Result<(), StoreError> {
        // Moved only from where this batch began: another process relaying from the same file
        // cannot be moved backwards (at worst both publish a batch, and consumers drop repeats).
        // `updated_at` is the database's wall clock, for operators, as on PostgreSQL.
        sqlx::query(
            "UPDATE event_relay SET event_id = $1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE event_id = $2",
        )
        .bind(self.last)
        .bind(self.after)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
