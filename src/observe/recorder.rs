//! The process's Prometheus recorder. The metric macros of the stages add to atomics it holds
//! (a few nanoseconds on the hot path); `/metrics` renders them. One recorder per process,
//! installed on first use; until then (commands other than `run`, most tests) the macros do
//! nothing.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Buckets of the `_seconds` histograms: a sandbox write (well under a millisecond) up to a
/// provider timing out (20 s).
const SECONDS_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder (once per process; later calls return the same handle).
pub fn install_recorder() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        super::names::describe();
        keep_up();
        handle
    })
}

/// The metrics in Prometheus' text format.
pub fn render_metrics() -> String {
    install_recorder().render()
}

/// Drains the histograms' recent samples into their buckets every few seconds, so that memory
/// stays bounded between scrapes (or without any): one sleeping thread, independent of any
/// runtime, so it outlives the tests' runtimes too.
fn keep_up() {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(|| loop {
        std::thread::sleep(Duration::from_secs(5));
        if let Some(handle) = HANDLE.get() {
            handle.run_upkeep();
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "no metrics upkeep thread; histograms are drained only when scraped");
    }
}
