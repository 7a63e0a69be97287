//! Fresh stores for one test on every backend there is: SQLite always (a file in a temporary
//! directory), PostgreSQL when `MAHNWERK_TEST_DATABASE_URL` names a server (a database of its own,
//! dropped afterwards; a missing URL skips, or fails under `CI=true`). Also raw SQL access to the
//! same database, for checking what the `Store` trait does not read back.

#![allow(dead_code)]

use super::servers::{server_url, TestDatabase};
use mahnwerk::store::Store;
use sqlx::{Connection, Row};
use std::any::Any;
use std::future::Future;
use std::sync::Arc;

/// Which backend a [`TestStore`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Keeps a test's database alive: the SQLite file's directory, or the PostgreSQL database.
pub enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres(TestDatabase),
}

/// A migrated store on a database of its own. Fields drop in order: the store (and its pool)
/// before the guard that removes the database.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub raw: Raw,
    _guard: Guard,
}

impl TestStore {
    pub fn backend(&self) -> Backend {
        self.raw.backend
    }

    pub fn name(&self) -> &'static str {
        self.raw.backend.name()
    }
}

/// Raw SQL access to a test's database, on connections of its own (cheap to clone and send).
#[derive(Debug, Clone)]
pub struct Raw {
    pub backend: Backend,
    /// The URL the store was opened on.
    pub url: String,
}

impl Raw {
    pub fn name(&self) -> &'static str {
        self.backend.name()
    }

    /// Runs a query on a connection of its own and returns the first column of every row as
    /// text. Write the query so that column is text on both backends (e.g. `CAST(x AS TEXT)`).
    pub async fn raw_strings(&self, sql: &str) -> Vec<String> {
        let what = format!("[{}] raw query `{sql}`", self.name());
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect(&what);
                let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect(&what);
                rows.iter().map(|r| r.try_get::<String, _>(0).expect(&what)).collect()
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.expect(&what);
                let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect(&what);
                rows.iter().map(|r| r.try_get::<String, _>(0).expect(&what)).collect()
            }
        }
    }

    /// Runs a script of one or more statements (e.g. a migration's SQL), one statement at a
    /// time: `--` comment lines dropped, split at `;`.
    pub async fn raw_execute(&self, sql: &str) {
        let script: String =
            sql.lines().filter(|line| !line.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
        for statement in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let what = format!("[{}] raw statement `{statement}`", self.name());
            match self.backend {
                Backend::Sqlite => {
                    let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect(&what);
                    sqlx::query(statement).execute(&mut conn).await.expect(&what);
                }
                Backend::Postgres => {
                    let mut conn = sqlx::PgConnection::connect(&self.url).await.expect(&what);
                    sqlx::query(statement).execute(&mut conn).await.expect(&what);
                }
            }
        }
    }

    /// Runs a query whose one row and column is an integer (`SELECT COUNT(*) …`).
    pub async fn raw_count(&self, sql: &str) -> i64 {
        let what = format!("[{}] raw query `{sql}`", self.name());
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect(&what);
                sqlx::query_scalar(sql).fetch_one(&mut conn).await.expect(&what)
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.expect(&what);
                sqlx::query_scalar(sql).fetch_one(&mut conn).await.expect(&what)
            }
        }
    }
}

/// A store on a fresh SQLite file.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}/m.sqlite", dir.path().display());
    let store = mahnwerk::store::open(&url).await.expect("opening the SQLite store");
    TestStore { store, raw: Raw { backend: Backend::Sqlite, url }, _guard: Guard::Sqlite(dir) }
}

/// A store on a fresh PostgreSQL database, or `None` when `MAHNWERK_TEST_DATABASE_URL` is unset
/// (panics instead under `CI=true`).
pub async fn postgres() -> Option<TestStore> {
    let database = TestDatabase::create().await?;
    let url = database.url.clone();
    let store = mahnwerk::store::open(&url).await.expect("opening the PostgreSQL store");
    Some(TestStore { store, raw: Raw { backend: Backend::Postgres, url }, _guard: Guard::Postgres(database) })
}

/// Whether PostgreSQL tests run here; prints the skip line (or panics under CI) when not.
pub fn postgres_configured() -> bool {
    server_url("MAHNWERK_TEST_DATABASE_URL").is_some()
}

/// One fresh store per available backend: SQLite, then PostgreSQL if configured.
pub async fn stores() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    stores.extend(postgres().await);
    stores
}

/// Runs `suite` against each store on a task of its own, and fails afterwards with every
/// backend's failure named, so a failure always says which backend it happened on and one
/// backend's failure does not hide the other's result.
pub async fn run_suite<F, Fut>(stores: &[TestStore], suite_name: &str, suite: F)
where
    F: Fn(Arc<dyn Store>, Raw) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failures = Vec::new();
    for store in stores {
        eprintln!("{suite_name}: running on {}", store.name());
        if let Err(err) = tokio::spawn(suite(Arc::clone(&store.store), store.raw.clone())).await {
            let message = if err.is_panic() { panic_message(err.into_panic()) } else { err.to_string() };
            failures.push(format!("[{}] {message}", store.name()));
        }
    }
    assert!(failures.is_empty(), "{suite_name} failed:\n{}", failures.join("\n"));
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "(a panic without a message)".to_owned(),
        },
    }
}
