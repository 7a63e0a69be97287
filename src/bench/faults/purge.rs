//! The purge fault ([`Fault::LoseDeliveries`](super::schedule::Fault::LoseDeliveries)), struck so
//! that it always has reminders to lose: the delivery role is stopped (SIGTERM: it finishes its
//! step), and only then does the run publish the invoices it held back ([`HELD_BACK`] of them,
//! at the first purge), so their reminders cannot have been sent. The benchmark waits until the
//! scheduler has planned and dispatched the reminder of every stored invoice into the email
//! delivery queue, which nobody consumes now ([`WAIT_FOR_DISPATCH`] at most), stops the intake
//! and the scheduler too, purges the queue, and notes the reminders left `queued`: with no role
//! running and the queue empty, exactly those whose delivery message is gone. Every role then
//! starts again on a clock moved past the re-dispatch lease, so the scheduler must find them and
//! dispatch them again; at the end [`fate`] says what became of each.

use super::lost;
use super::roles::RoleProcess;
use super::smtp_counter::Received;
use crate::config::schedule::ScheduleConfig;
use crate::queue::Topology;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Connection;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The share of the invoices a run with a purge publishes only once the first purge has stopped
/// the delivery role: their reminders are what the purge loses for certain.
pub const HELD_BACK: f64 = 0.4;
/// How long the delivery role stays stopped, at most, for the scheduler to dispatch what it
/// can before the purge (a bound: the purge then takes what is there, and says so).
pub const WAIT_FOR_DISPATCH: Duration = Duration::from_secs(120);
/// How often the wait looks at the database.
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// How many of `invoices` a run with a purge holds back: [`HELD_BACK`] of them, but never all
/// (the run needs progress to reach the purge's point).
pub fn held_back(invoices: usize) -> usize {
    ((invoices as f64 * HELD_BACK).round() as usize).min(invoices.saturating_sub(1))
}

/// Where the purge acts.
pub struct Target<'a> {
    pub database_url: &'a str,
    pub amqp_url: &'a str,
    pub topology: &'a Topology,
}

/// What one purge did.
#[derive(Debug, Clone, Serialize)]
pub struct Purge {
    /// Invoices published once the delivery role had stopped (the held-back share).
    pub invoices_published_after_stop: usize,
    /// Whether the scheduler had dispatched the reminder of every published invoice when the
    /// queue was purged (`false`: [`WAIT_FOR_DISPATCH`] ran out first).
    pub dispatch_settled: bool,
    /// How long the delivery role was held stopped before the purge.
    pub waited_s: f64,
    pub messages_purged: u32,
    pub reminders_left_queued: usize,
    /// The idempotency keys of the reminders left queued.
    #[serde(skip)]
    pub left_queued: Vec<String>,
    /// The clock every role was started on again.
    pub clock_after: DateTime<Utc>,
}

/// Strikes the purge on the roles running at `clock`, publishing `held_back` once the delivery
/// role has stopped (`published`: how many invoices have been published then, in all).
pub async fn strike(
    target: &Target<'_>,
    roles: &mut [RoleProcess],
    held_back: &[Vec<u8>],
    published: usize,
    clock: DateTime<Utc>,
) -> anyhow::Result<Purge> {
    let delivery = roles.iter_mut().find(|r| r.role == "delivery").expect("every role runs");
    tokio::task::block_in_place(|| delivery.stop_gracefully())?;
    if !held_back.is_empty() {
        super::publish_invoices(target.amqp_url, target.topology, held_back)
            .await
            .context("publishing the held-back invoices")?;
    }
    let waiting = Instant::now();
    let dispatch_settled = loop {
        if dispatch_settled(target.database_url, published as i64, clock).await {
            break true;
        }
        if waiting.elapsed() > WAIT_FOR_DISPATCH {
            break false;
        }
        for role in roles.iter_mut().filter(|r| r.role != "delivery") {
            role.keep_running()?;
        }
        tokio::time::sleep(LOOK_EVERY).await;
    };
    let waited_s = waiting.elapsed().as_secs_f64();
    // Nothing publishes or consumes while the queue is purged and the queued reminders counted.
    tokio::task::block_in_place(|| {
        roles.iter_mut().filter(|r| r.role != "delivery").try_for_each(|r| r.stop_gracefully().map(drop))
    })?;
    let messages_purged = lost::purge(target.amqp_url, &target.topology.delivery_queue("email")).await?;
    let left_queued = queued_keys(target.database_url).await?;
    let clock_after = clock + ScheduleConfig::default().redispatch_after() + chrono::Duration::minutes(1);
    tokio::task::block_in_place(|| roles.iter_mut().try_for_each(|r| r.start_on(clock_after)))?;
    Ok(Purge {
        invoices_published_after_stop: held_back.len(),
        dispatch_settled,
        waited_s,
        messages_purged,
        reminders_left_queued: left_queued.len(),
        left_queued,
        clock_after,
    })
}

/// Whether the scheduler has done all it can at `now` with `published` invoices: all stored, no
/// case due without its reminder planned, no reminder due and not dispatched. `false` while the
/// database does not answer.
async fn dispatch_settled(database_url: &str, published: i64, now: DateTime<Utc>) -> bool {
    let Ok(mut db) = sqlx::PgConnection::connect(database_url).await else { return false };
    let counts: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM invoices), \
                (SELECT COUNT(*) FROM cases WHERE state IN ('open', 'reminding') AND next_action_at <= $1), \
                (SELECT COUNT(*) FROM reminders WHERE status = 'scheduled' AND send_at <= $1)",
    )
    .bind(now)
    .fetch_one(&mut db)
    .await
    .ok();
    let _ = db.close().await;
    counts.is_some_and(|(stored, due_cases, due_reminders)| {
        stored >= published && due_cases == 0 && due_reminders == 0
    })
}

/// The idempotency keys of the reminders `queued` (dispatched, no send result yet).
async fn queued_keys(database_url: &str) -> anyhow::Result<Vec<String>> {
    let mut db = sqlx::PgConnection::connect(database_url).await.context("connecting to PostgreSQL")?;
    let keys =
        sqlx::query_scalar("SELECT idempotency_key FROM reminders WHERE status = 'queued' ORDER BY id")
            .fetch_all(&mut db)
            .await
            .context("reading the queued reminders")?;
    let _ = db.close().await;
    Ok(keys)
}

/// What became of the reminders the purges left queued, at the end of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fate {
    /// Distinct reminders left queued (one left queued by two purges counts once).
    pub reminders: i64,
    /// Recorded `sent` from a dispatch stamped at or after the clock the purge moved to: they
    /// were dispatched again once the lease had run out.
    pub sent_after_redispatch: i64,
    /// Received by the provider exactly once, more than once, never.
    pub received_once: i64,
    pub received_more_than_once: i64,
    pub never_received: i64,
}

/// Reads what became of the reminders `purges` left queued, set against what the provider
/// received.
pub async fn fate(database_url: &str, purges: &[Purge], received: &Received) -> anyhow::Result<Fate> {
    // A reminder left queued by two purges must have been dispatched after the later one.
    let redispatched_from: HashMap<&str, DateTime<Utc>> = purges
        .iter()
        .flat_map(|p| p.left_queued.iter().map(move |key| (key.as_str(), p.clock_after)))
        .collect();
    if redispatched_from.is_empty() {
        return Ok(Fate::default());
    }
    let keys: Vec<String> = redispatched_from.keys().map(|k| (*k).to_owned()).collect();
    let mut db = sqlx::PgConnection::connect(database_url).await.context("connecting to PostgreSQL")?;
    let rows: Vec<(String, String, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT idempotency_key, status, queued_at FROM reminders WHERE idempotency_key = ANY($1)",
    )
    .bind(&keys)
    .fetch_all(&mut db)
    .await
    .context("reading the reminders the purges left queued")?;
    let _ = db.close().await;
    // Received ids are `<idempotency key>@<sender's domain>`.
    let copies: HashMap<&str, u32> =
        received.by_message_id.iter().map(|(id, n)| (id.split('@').next().unwrap_or(id), *n)).collect();
    let mut fate = Fate {
        reminders: redispatched_from.len() as i64,
        sent_after_redispatch: rows
            .iter()
            .filter(|(key, status, queued_at)| {
                status == "sent" && queued_at.is_some_and(|at| at >= redispatched_from[key.as_str()])
            })
            .count() as i64,
        ..Fate::default()
    };
    for key in redispatched_from.keys() {
        match copies.get(key).copied().unwrap_or(0) {
            0 => fate.never_received += 1,
            1 => fate.received_once += 1,
            _ => fate.received_more_than_once += 1,
        }
    }
    Ok(fate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_holds_back_a_share_of_its_invoices_but_never_all() {
        assert_eq!(held_back(10_000), 4_000);
        assert_eq!(held_back(200), 80);
        assert_eq!(held_back(2), 1);
        assert_eq!(held_back(1), 0);
        assert_eq!(held_back(0), 0);
    }
}
