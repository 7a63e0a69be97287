//! What a role depends on, and whether each answers now: the database always, RabbitMQ for the
//! roles that consume or publish, the policy snapshot for the learner. The store and the queue
//! are attached as they come up, so a role that is still connecting (or cannot) already answers
//! `/readyz` with 503 naming what it waits for, instead of answering nothing.

use super::names;
use crate::queue::{Queue, Topology};
use crate::runtime::Clock;
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long one probe may take before its dependency counts as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The dependencies of one process's roles; cheap to clone.
#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

struct Inner {
    roles: String,
    needs_broker: bool,
    needs_snapshot: bool,
    store: OnceLock<Arc<dyn Store>>,
    queue: OnceLock<(Arc<dyn Queue>, Topology)>,
    clock: OnceLock<Arc<dyn Clock>>,
}

/// The answer of `/readyz`.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// The roles this process runs.
    pub roles: String,
    /// One entry per dependency: `database`, `rabbitmq`, `snapshot`.
    pub checks: BTreeMap<&'static str, Check>,
}

/// One dependency's state.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The snapshot's version (`snapshot` only; `null` before the first one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Option<i64>>,
}

impl Check {
    fn ok() -> Self {
        Self { ok: true, error: None, version: None }
    }

    fn failed(error: impl Into<String>) -> Self {
        Self { ok: false, error: Some(error.into()), version: None }
    }
}

impl Health {
    /// The dependencies of `roles` (a name for the answer): RabbitMQ when `needs_broker`, the
    /// learner's snapshot when `needs_snapshot`.
    pub fn new(roles: impl Into<String>, needs_broker: bool, needs_snapshot: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                roles: roles.into(),
                needs_broker,
                needs_snapshot,
                store: OnceLock::new(),
                queue: OnceLock::new(),
                clock: OnceLock::new(),
            }),
        }
    }

    /// The store is open (the first attached one counts).
    pub fn attach_store(&self, store: &Arc<dyn Store>, clock: &Arc<dyn Clock>) {
        let _ = self.inner.store.set(Arc::clone(store));
        let _ = self.inner.clock.set(Arc::clone(clock));
    }

    /// The broker is connected and its topology declared.
    pub fn attach_queue(&self, queue: &Arc<dyn Queue>, topology: &Topology) {
        if self.inner.needs_broker {
            let _ = self.inner.queue.set((Arc::clone(queue), topology.clone()));
        }
    }

    /// Probes every dependency now (concurrently, each within two seconds).
    pub async fn readiness(&self) -> Readiness {
        let inner = &self.inner;
        let database = async {
            match inner.store.get() {
                None => Check::failed("not connected yet"),
                Some(store) => match within(store.ping()).await {
                    Ok(()) => Check::ok(),
                    Err(error) => Check::failed(error),
                },
            }
        };
        let broker = async {
            match inner.queue.get() {
                None => Check::failed("not connected yet"),
                Some((queue, topology)) => match within(queue.ready_count(&topology.intake_queue())).await {
                    Ok(_) => Check::ok(),
                    Err(error) => Check::failed(error),
                },
            }
        };
        let snapshot = async {
            match inner.store.get() {
                None => Check::failed("the database is not connected yet"),
                Some(store) => match within(store.latest_policy_version()).await {
                    Ok(version) => Check { version: Some(version), ..Check::ok() },
                    Err(error) => Check::failed(error),
                },
            }
        };
        let (database, broker, snapshot) = tokio::join!(database, broker, snapshot);
        let mut checks = BTreeMap::from([("database", database)]);
        if inner.needs_broker {
            checks.insert("rabbitmq", broker);
        }
        if inner.needs_snapshot {
            checks.insert("snapshot", snapshot);
        }
        Readiness { ready: checks.values().all(|c| c.ok), roles: inner.roles.clone(), checks }
    }

    /// Samples the gauges that are read, not counted: the outbox and event backlog, and the
    /// ready messages of every queue of the topology. What cannot be read now keeps its last
    /// value (the failure shows in `/readyz`).
    pub async fn sample(&self) {
        let inner = &self.inner;
        if let (Some(store), Some(clock)) = (inner.store.get(), inner.clock.get()) {
            if let Ok(backlog) = within(store.backlog(clock.now())).await {
                metrics::gauge!(names::OUTBOX_REMINDERS, "state" => "due").set(backlog.reminders_due as f64);
                metrics::gauge!(names::OUTBOX_REMINDERS, "state" => "queued")
                    .set(backlog.reminders_queued as f64);
                metrics::gauge!(names::EVENTS_UNRELAYED).set(backlog.events_unrelayed as f64);
            }
        }
        if let Some((queue, topology)) = inner.queue.get() {
            let depths = topology.queues().into_iter().map(|name| async move {
                let depth = within(queue.ready_count(&name)).await;
                (name, depth)
            });
            for (name, depth) in futures_util::future::join_all(depths).await {
                if let Ok(depth) = depth {
                    metrics::gauge!(names::QUEUE_MESSAGES, "queue" => name).set(f64::from(depth));
                }
            }
        }
    }
}

/// `probe`, or an error after [`PROBE_TIMEOUT`].
async fn within<T, E: std::fmt::Display>(probe: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}
