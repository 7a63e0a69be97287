//! The real servers integration tests run against. URLs come from `MAHNWERK_TEST_DATABASE_URL`
//! and `MAHNWERK_TEST_AMQP_URL`; when one is missing a test skips, except under CI
//! (`CI=true`), where a missing server is a failure.

#![allow(dead_code)]

use sqlx::Connection;

/// The URL in `var`, or `None` (skip) — panics instead when running under CI.
pub fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set, and CI=true: this test needs the real server")
        }
        _ => {
            eprintln!("skipping: {var} is not set");
            None
        }
    }
}

pub fn amqp_url() -> Option<String> {
    server_url("MAHNWERK_TEST_AMQP_URL")
}

/// A PostgreSQL database of its own for one test, dropped when the guard is dropped.
pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a fresh database next to `MAHNWERK_TEST_DATABASE_URL`; `None` to skip.
    pub async fn create() -> Option<Self> {
        let admin_url = server_url("MAHNWERK_TEST_DATABASE_URL")?;
        let name = format!("mahnwerk_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connecting to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("creating a test database");
        let url = mahnwerk::bench::database_url_with_name(&admin_url, &name);
        Some(Self { url, admin_url, name })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Dropping needs async IO; do it on a thread of its own so any runtime state is fine.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut admin)
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

/// A unique queue namespace for one test.
pub fn namespace() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

/// Deletes a test's queues and exchanges when dropped — also when the test panicked, so a
/// failed run leaves nothing behind on the shared broker.
pub struct BrokerCleanup {
    url: String,
    topology: mahnwerk::queue::Topology,
}

impl BrokerCleanup {
    pub fn new(url: &str, topology: &mahnwerk::queue::Topology) -> Self {
        Self { url: url.to_owned(), topology: topology.clone() }
    }
}

impl Drop for BrokerCleanup {
    fn drop(&mut self) {
        use mahnwerk::queue::Queue;
        let (url, topology) = (self.url.clone(), self.topology.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(queue) = mahnwerk::queue::AmqpQueue::connect(&url, topology).await {
                        let _ = queue.delete_topology().await;
                        queue.close().await;
                    }
                });
            }
        })
        .join();
    }
}

/// A store and a queue to run a scenario on, with what keeps them alive and cleans them up.
pub struct Backend {
    pub store: std::sync::Arc<dyn mahnwerk::store::Store>,
    pub queue: std::sync::Arc<dyn mahnwerk::queue::Queue>,
    pub topology: mahnwerk::queue::Topology,
    _dir: Option<tempfile::TempDir>,
    _database: Option<TestDatabase>,
    _broker: Option<BrokerCleanup>,
}

impl Backend {
    /// The embedded default: SQLite in a fresh folder and the in-process queue.
    pub async fn embedded() -> Self {
        use mahnwerk::queue::Queue;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = mahnwerk::store::open(&format!("sqlite://{}/m.sqlite", dir.path().display()))
            .await
            .expect("opening SQLite");
        let topology = mahnwerk::queue::Topology::new("mahnwerk");
        let queue = mahnwerk::queue::MemoryQueue::new(topology.clone());
        queue.declare_topology().await.expect("declaring the in-process topology");
        Self {
            store,
            queue: std::sync::Arc::new(queue),
            topology,
            _dir: Some(dir),
            _database: None,
            _broker: None,
        }
    }

    /// A fresh PostgreSQL database and a fresh RabbitMQ namespace; `None` to skip (not on CI).
    pub async fn postgres_rabbitmq() -> Option<Self> {
        use mahnwerk::queue::Queue;
        let (Some(database), Some(amqp)) = (TestDatabase::create().await, amqp_url()) else { return None };
        let store = mahnwerk::store::open(&database.url).await.expect("opening PostgreSQL");
        let topology = mahnwerk::queue::Topology::new(namespace());
        let broker = BrokerCleanup::new(&amqp, &topology);
        let queue = mahnwerk::queue::AmqpQueue::connect(&amqp, topology.clone())
            .await
            .expect("connecting to RabbitMQ");
        queue.declare_topology().await.expect("declaring the topology");
        Some(Self {
            store,
            queue: std::sync::Arc::new(queue),
            topology,
            _dir: None,
            _database: Some(database),
            _broker: Some(broker),
        })
    }
}
