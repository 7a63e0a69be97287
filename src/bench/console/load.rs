//! The load: `concurrency` keep-alive connections, each sending its next request as soon as the
//! last is answered (a closed loop), until `requests` were sent in all. The requests take turns
//! through a fixed mix ([`MIX`]) in which `/healthz` stands beside the console's routes, so its
//! latency shows what the server's queue alone costs in the same run. Every answer but `200 OK`
//! counts as failed, with the first such answer kept to say why.

use super::callers::Catalogue;
use super::http::Connection;
use anyhow::Context;
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A route of the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    /// `GET /api/v1/cases` with filters.
    CaseList,
    /// `GET /console/cases`, the page, with a search or a state.
    CaseListPage,
    /// `GET /api/v1/cases/{id}`, the case and its timeline.
    Case,
    /// `GET /console/cases/{id}`, the case page.
    CasePage,
    /// `GET /api/v1/stats`.
    Stats,
    /// `GET /console`, the overview page.
    Overview,
    Healthz,
}

impl Route {
    pub const ALL: [Route; 7] = [
        Route::CaseList,
        Route::CaseListPage,
        Route::Case,
        Route::CasePage,
        Route::Stats,
        Route::Overview,
        Route::Healthz,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Route::CaseList => "GET /api/v1/cases?…",
            Route::CaseListPage => "GET /console/cases?…",
            Route::Case => "GET /api/v1/cases/{id}",
            Route::CasePage => "GET /console/cases/{id}",
            Route::Stats => "GET /api/v1/stats",
            Route::Overview => "GET /console",
            Route::Healthz => "GET /healthz",
        }
    }

    /// The target for the route's p99: the case list and the case page 50 ms, the
    /// overview and the statistics it is computed from 200 ms; none for `/healthz`.
    pub fn target_p99_ms(self) -> Option<f64> {
        match self {
            Route::CaseList | Route::CaseListPage | Route::Case | Route::CasePage => Some(50.0),
            Route::Stats | Route::Overview => Some(200.0),
            Route::Healthz => None,
        }
    }
}

/// One turn of the mix: 20 requests, of which the case lists 8, the case 6, the overview and
/// the statistics one each, `/healthz` 4: an operator's console lists and opens cases far more
/// often than it opens the overview.
pub const MIX: [Route; 20] = {
    use Route::*;
    [
        CaseList,
        Case,
        Healthz,
        CaseList,
        CasePage,
        CaseListPage,
        CaseList,
        Case,
        Healthz,
        Stats,
        CaseList,
        Case,
        CaseList,
        Healthz,
        CasePage,
        CaseList,
        Case,
        CaseListPage,
        Healthz,
        Overview,
    ]
};

/// The route of the load's `n`-th request, and how many requests of that route came before it
/// (so that the case list's filter combinations take turns).
pub fn turn(n: usize) -> (Route, usize) {
    let route = MIX[n % MIX.len()];
    let per_turn = MIX.iter().filter(|r| **r == route).count();
    let earlier_in_turn = MIX[..n % MIX.len()].iter().filter(|r| **r == route).count();
    (route, n / MIX.len() * per_turn + earlier_in_turn)
}

/// What the load measured of one route (or one filter combination of the case list).
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub latencies: Vec<Duration>,
    pub failed: usize,
    /// The first failed answer: the path and what came back.
    pub first_failure: Option<String>,
}

/// What the whole load measured.
#[derive(Debug, Default)]
pub struct LoadResult {
    pub by_route: BTreeMap<Route, Measured>,
    pub by_filter: BTreeMap<&'static str, Measured>,
    pub elapsed: Duration,
}

/// Runs `requests` requests of the mix over `concurrency` connections to `addr`.
pub async fn run(
    addr: SocketAddr,
    catalogue: Arc<Catalogue>,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<LoadResult> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (catalogue, next) = (Arc::clone(&catalogue), Arc::clone(&next));
        workers.spawn(async move {
            let mut connection = Connection::open(addr).await?;
            let mut rng = rand::rngs::StdRng::from_entropy();
            let mut result = LoadResult::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let (route, ordinal) = turn(n);
                let request = catalogue.request(route, ordinal, &mut rng);
                let sent = Instant::now();
                let answer = connection.get(&request.path, &request.headers).await;
                let latency = sent.elapsed();
                let failure = match answer {
                    Ok(200) => None,
                    Ok(status) => Some(format!("{}: {status}", request.path)),
                    Err(error) => {
                        // The connection may be broken: the next request gets a new one.
                        connection = Connection::open(addr).await?;
                        Some(format!("{error:#}"))
                    }
                };
                let note = |measured: &mut Measured| {
                    measured.latencies.push(latency);
                    if let Some(failure) = &failure {
                        measured.failed += 1;
                        measured.first_failure.get_or_insert_with(|| failure.clone());
                    }
                };
                note(result.by_route.entry(route).or_default());
                if let Some(filter) = request.filter {
                    note(result.by_filter.entry(filter).or_default());
                }
            }
            anyhow::Ok(result)
        });
    }
    let mut all = LoadResult::default();
    while let Some(done) = workers.join_next().await {
        let one = done.context("a load worker panicked")??;
        for (route, measured) in one.by_route {
            merge(all.by_route.entry(route).or_default(), measured);
        }
        for (filter, measured) in one.by_filter {
            merge(all.by_filter.entry(filter).or_default(), measured);
        }
    }
    all.elapsed = started.elapsed();
    Ok(all)
}

fn merge(into: &mut Measured, from: Measured) {
    into.latencies.extend(from.latencies);
    into.failed += from.failed;
    if into.first_failure.is_none() {
        into.first_failure = from.first_failure;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_counts_its_own_requests_so_the_list_filters_take_turns() {
        let lists: Vec<usize> =
            (0..60).map(turn).filter(|(route, _)| *route == Route::CaseList).map(|(_, n)| n).collect();
        assert_eq!(lists, (0..18).collect::<Vec<_>>(), "six case lists per turn of twenty");
        assert_eq!(turn(19), (Route::Overview, 0));
        assert_eq!(turn(39), (Route::Overview, 1));
        let all: Vec<Route> = (0..20).map(|n| turn(n).0).collect();
        assert!(Route::ALL.iter().all(|route| all.contains(route)), "every route in one turn");
    }
}
