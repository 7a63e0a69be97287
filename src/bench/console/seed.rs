//! Fills the benchmark's fresh database with `cases` cases of `tenants` tenants in bulk
//! (`seed.sql`: `INSERT … SELECT … FROM generate_series`, a statement per table), so that a
//! million cases take minutes, not the hours the real intake and planner would: the cases'
//! invoices and debtors, their reminders, payments, promises, disputes, operators' actions and
//! events, in a mix of states, stages, channels, amounts and due dates (see the file).

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::Connection;
use std::time::Instant;

const SEED: &str = include_str!("seed.sql");

/// What was written.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    pub reminders: i64,
    pub payments: i64,
    pub events: i64,
    pub database_mib: f64,
    pub seconds: f64,
}

/// The steps of `seed.sql` with the run's figures put in: (what it does, the SQL).
fn steps(cases: usize, tenants: usize, now: DateTime<Utc>) -> Vec<(String, String)> {
    let now = format!("'{}'", now.to_rfc3339_opts(SecondsFormat::Secs, true));
    SEED.split("\n-- step: ")
        .skip(1)
        .map(|step| {
            let (name, sql) = step.split_once('\n').unwrap_or((step, ""));
            let sql = sql
                .replace("__CASES__", &cases.to_string())
                .replace("__TENANTS__", &tenants.to_string())
                .replace("__NOW__", &now);
            (name.trim().to_owned(), sql)
        })
        .collect()
}

/// Seeds the (freshly migrated, empty) database at `database_url`, the cases' ages counted back
/// from `now`; says how far it got on stderr.
pub async fn seed(
    database_url: &str,
    cases: usize,
    tenants: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let mut db = sqlx::PgConnection::connect(database_url).await.context("connecting to PostgreSQL")?;
    // The file writes dates plus intervals, which are times without a zone: they mean UTC.
    sqlx::raw_sql("SET TIME ZONE 'UTC'").execute(&mut db).await?;
    for (name, sql) in steps(cases, tenants, now) {
        let step = Instant::now();
        sqlx::raw_sql(&sql).execute(&mut db).await.with_context(|| format!("seeding: {name}"))?;
        eprintln!("seeding: {name} ({:.1} s)", step.elapsed().as_secs_f64());
    }
    let count = |table: &str| format!("SELECT count(*) FROM {table}");
    let reminders: i64 = sqlx::query_scalar(&count("reminders")).fetch_one(&mut db).await?;
    let payments: i64 = sqlx::query_scalar(&count("payments")).fetch_one(&mut db).await?;
    let events: i64 = sqlx::query_scalar(&count("events")).fetch_one(&mut db).await?;
    let bytes: i64 =
        sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut db).await?;
    Ok(Seeded {
        reminders,
        payments,
        events,
        database_mib: bytes as f64 / (1024.0 * 1024.0),
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_a_name_and_the_figures_put_in() {
        let now: DateTime<Utc> = "2026-12-15T10:00:00Z".parse().unwrap();
        let steps = steps(3000, 3, now);
        assert!(steps.len() >= 10, "{steps:?}");
        assert_eq!(steps.first().map(|(name, _)| name.as_str()), Some("drawing the cases"));
        assert_eq!(
            steps.last().map(|(name, _)| name.as_str()),
            Some("vacuum and analyse (as autovacuum would have by now)")
        );
        for (name, sql) in &steps {
            assert!(!sql.contains("__"), "{name}: a placeholder left in {sql}");
        }
        assert!(steps[0].1.contains("generate_series(1, 3000)") && steps[0].1.contains("k % 3"));
        assert!(steps.iter().any(|(_, sql)| sql.contains("'2026-12-15T10:00:00Z'::timestamptz")));
    }
}
