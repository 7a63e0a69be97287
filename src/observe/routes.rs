//! `/readyz` and `/metrics`, and the middleware that counts HTTP requests by the route that
//! matched — the template (`/pay/{token}`), so a token never becomes a label value.

use super::{names, Health};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::time::Instant;
use tracing::field::Empty;
use tracing::Instrument;

/// `/readyz` (200 or 503 with each dependency's state as JSON) and, when `with_metrics`,
/// `/metrics` (Prometheus text, the sampled gauges read first).
pub fn routes(health: Health, with_metrics: bool) -> Router {
    let router = Router::new().route("/readyz", get(readyz));
    let router = if with_metrics { router.route("/metrics", get(metrics)) } else { router };
    router.with_state(health)
}

async fn readyz(State(health): State<Health>) -> Response {
    let readiness = health.readiness().await;
    let status = if readiness.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(readiness)).into_response()
}

async fn metrics(State(health): State<Health>) -> Response {
    health.sample().await;
    let text = super::render_metrics();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// Counts each request by matched route, method and status, and times it. A `route_layer`:
/// it sees only requests that matched a route (an unknown path is no label value either).
pub async fn track_requests(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let route = matched.map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let span = tracing::info_span!(
        "http",
        route = %route,
        method = %method,
        tenant = Empty,
        case = Empty,
        invoice = Empty,
        reminder = Empty
    );
    let response = next.run(request).instrument(span).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(names::HTTP_DURATION, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(names::HTTP_REQUESTS, "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// Names the case a request is about in its `http` span (the pay-page, once its link verified),
/// so that every log line of the request carries it.
pub fn name_the_case(
    tenant: &crate::domain::TenantId,
    case: i64,
    invoice: &crate::domain::InvoiceNumber,
    reminder: i64,
) {
    let span = tracing::Span::current();
    span.record("tenant", tenant.as_str());
    span.record("case", case);
    span.record("invoice", invoice.as_str());
    span.record("reminder", reminder);
}
