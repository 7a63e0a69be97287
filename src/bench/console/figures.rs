//! What `mahnwerk bench console` reports: per route the requests, the rate, p50, p99 and the
//! slowest answer against the targets, the same per filter combination of the case
//! list, and the conditions the figures were measured under.

use super::load::{LoadResult, Measured, Route};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// One route's (or one list filter's) figures.
#[derive(Debug, Clone, Serialize)]
pub struct RouteFigures {
    pub route: String,
    pub requests: usize,
    /// Answers other than `200 OK`, and requests that got no answer.
    pub failed: usize,
    pub per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The target for p99; `null` for `/healthz` and the list's filters.
    pub target_p99_ms: Option<f64>,
    /// Whether p99 is under the target; `null` without a target.
    pub met: Option<bool>,
    pub first_failure: Option<String>,
}

impl RouteFigures {
    fn of(route: &str, measured: &Measured, elapsed: Duration, target_p99_ms: Option<f64>) -> Self {
        let mut sorted = measured.latencies.clone();
        sorted.sort_unstable();
        let at = |q: f64| {
            let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
            sorted.get(rank).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let p99_ms = at(0.99);
        Self {
            route: route.to_owned(),
            requests: sorted.len(),
            failed: measured.failed,
            per_s: sorted.len() as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
            p50_ms: at(0.50),
            p99_ms,
            max_ms: sorted.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
            target_p99_ms,
            met: target_p99_ms.map(|target| p99_ms < target),
            first_failure: measured.first_failure.clone(),
        }
    }
}

/// Under what the figures were measured.
#[derive(Debug, Clone, Serialize)]
pub struct Conditions {
    pub cases: usize,
    pub tenants: usize,
    pub concurrency: usize,
    pub requests: usize,
    /// The rows the seeding wrote besides the cases.
    pub reminders: i64,
    pub payments: i64,
    pub events: i64,
    /// The scratch database's size after seeding, and its name (dropped at the end).
    pub database_mib: f64,
    pub database: String,
    pub seed_seconds: f64,
    pub load_seconds: f64,
    /// The host's 1-, 5- and 15-minute load averages right before the load (Linux; `null`
    /// elsewhere).
    pub load_average_before: Option<[f64; 3]>,
    pub cpus: usize,
    /// `release` or `debug`: the build this binary is.
    pub build_profile: &'static str,
}

/// Everything the benchmark reports.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleFigures {
    pub routes: Vec<RouteFigures>,
    pub list_filters: Vec<RouteFigures>,
    /// Failed requests over all routes (the run is only meaningful with none).
    pub failed: usize,
    /// Whether every route with a target met it.
    pub targets_met: bool,
    pub conditions: Conditions,
}

impl ConsoleFigures {
    pub fn new(load: &LoadResult, conditions: Conditions) -> Self {
        let routes: Vec<RouteFigures> = Route::ALL
            .into_iter()
            .map(|route| {
                let measured = load.by_route.get(&route).cloned().unwrap_or_default();
                RouteFigures::of(route.label(), &measured, load.elapsed, route.target_p99_ms())
            })
            .collect();
        let list_filters = super::callers::LIST_FILTERS
            .into_iter()
            .map(|filter| {
                let measured = load.by_filter.get(filter).cloned().unwrap_or_default();
                RouteFigures::of(filter, &measured, load.elapsed, None)
            })
            .collect();
        let failed = routes.iter().map(|r| r.failed).sum();
        let targets_met = routes.iter().all(|r| r.met != Some(false));
        Self { routes, list_filters, failed, targets_met, conditions }
    }
}

impl fmt::Display for ConsoleFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.conditions;
        let load = c.load_average_before.map_or_else(
            || "n/a".to_owned(),
            |[one, five, fifteen]| format!("{one:.2} {five:.2} {fifteen:.2}"),
        );
        writeln!(
            f,
            "console benchmark: {} cases of {} tenants on PostgreSQL ({:.0} MiB; {} reminders, {} payments, \
             {} events; seeded in {:.0} s)",
            c.cases, c.tenants, c.database_mib, c.reminders, c.payments, c.events, c.seed_seconds
        )?;
        writeln!(
            f,
            "  {} requests over {} keep-alive connections in {:.1} s, load generator in the same process; \
             {} build, {} CPUs, load average before the run {load}",
            c.requests, c.concurrency, c.load_seconds, c.build_profile, c.cpus
        )?;
        writeln!(
            f,
            "  {:<26} {:>8} {:>7} {:>8} {:>9} {:>9} {:>9}   target p99",
            "route", "requests", "failed", "req/s", "p50 ms", "p99 ms", "max ms"
        )?;
        for r in &self.routes {
            let target = match (r.target_p99_ms, r.met) {
                (Some(t), Some(true)) => format!("< {t:.0} ms  met"),
                (Some(t), _) => format!("< {t:.0} ms  MISSED"),
                _ => "(beside)".to_owned(),
            };
            writeln!(f, "  {:<26} {} {target}", r.route, columns(r))?;
        }
        writeln!(f, "  the case list by filter combination:")?;
        for r in &self.list_filters {
            writeln!(f, "    {:<36} {}", r.route, columns(r))?;
        }
        for r in self.routes.iter().filter(|r| r.failed > 0) {
            writeln!(
                f,
                "  {} failed {} times, first: {}",
                r.route,
                r.failed,
                r.first_failure.as_deref().unwrap_or("?")
            )?;
        }
        write!(f, "  {}", if self.targets_met { "every target met" } else { "TARGETS MISSED" })
    }
}

fn columns(r: &RouteFigures) -> String {
    format!(
        "{:>8} {:>7} {:>8.1} {:>9.2} {:>9.2} {:>9.2}",
        r.requests, r.failed, r.per_s, r.p50_ms, r.p99_ms, r.max_ms
    )
}
