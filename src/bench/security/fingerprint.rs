//! What the whole database holds, table by table: the number of rows and a hash of every row's
//! values (SQLite's `quote()` of each column, rows sorted), so that "changed nothing" is checked
//! for every table at once, including those no single check would think of.

use anyhow::Context;
use sqlx::Connection;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(BTreeMap<String, (usize, u64)>);

impl Fingerprint {
    /// Reads every table of the SQLite database at `url`.
    pub async fn of(url: &str) -> anyhow::Result<Self> {
        let mut db = sqlx::SqliteConnection::connect(url).await.context("opening the database")?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&mut db)
        .await?;
        let mut out = BTreeMap::new();
        for table in tables {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
                .bind(&table)
                .fetch_all(&mut db)
                .await?;
            let row =
                columns.iter().map(|c| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || '|' || ");
            let mut rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {row} FROM \"{table}\""))
                .fetch_all(&mut db)
                .await
                .with_context(|| format!("reading {table}"))?;
            rows.sort_unstable();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            rows.hash(&mut hasher);
            out.insert(table, (rows.len(), hasher.finish()));
        }
        let _ = db.close().await;
        Ok(Self(out))
    }

    /// The tables whose rows differ from `before`'s.
    pub fn changed_since(&self, before: &Fingerprint) -> Vec<String> {
        let names: std::collections::BTreeSet<&String> = self.0.keys().chain(before.0.keys()).collect();
        names.into_iter().filter(|name| self.0.get(*name) != before.0.get(*name)).cloned().collect()
    }
}
