//! Observability of every role: Prometheus metrics (`/metrics`), liveness (`/healthz`) and
//! readiness (`/readyz`: what the role depends on and whether each answers now), and the log
//! format. The `api` role serves these routes on its own server; the other roles on the small
//! listener of `[observe] listen`.
//!
//! # Layout
//! - `names`: every metric's name, type, labels and meaning, in one place (the README's list).
//! - `recorder`: the process's Prometheus recorder, rendered on request (no exporter thread).
//! - `health`: the dependencies of a role and their probes; the sampled backlog and queue gauges.
//! - `routes`: `/readyz` and `/metrics`, and the HTTP middleware counting requests by route.
//! - `tally`: a batch's counts, handed to the recorder once per label set.
//! - `server`: the listener of the roles without an HTTP server.
//! - `logs`: the tracing subscriber, plain text or JSON lines (`MAHNWERK_LOG_FORMAT=json`).

mod health;
mod logs;
pub mod names;
mod recorder;
mod routes;
mod server;
mod tally;

pub use health::{Check, Health, Readiness};
pub use logs::init_logs;
pub use recorder::{install_recorder, render_metrics};
pub use routes::{name_the_case, routes, track_requests};
pub use server::ObserveServer;
pub use tally::{field_label, Tally};
