//! The health and metrics listener of the roles without an HTTP server (`[observe] listen`):
//! `/healthz`, `/readyz`, `/metrics`. Bound before the role connects to anything, so that a
//! role waiting for its database or broker already says so.

use super::{routes, track_requests, Health};
use crate::shutdown::Shutdown;
use anyhow::Context;
use axum::routing::get;
use std::net::SocketAddr;

/// The listener, bound and ready to serve.
pub struct ObserveServer {
    listener: tokio::net::TcpListener,
    router: axum::Router,
}

impl ObserveServer {
    /// Binds `listen` (port 0 picks a free port).
    pub async fn bind(listen: SocketAddr, health: Health) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("observe.listen: cannot bind {listen}"))?;
        let router = axum::Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .merge(routes(health, true))
            .route_layer(axum::middleware::from_fn(track_requests));
        Ok(Self { listener, router })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until shutdown.
    pub async fn run(self, mut shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "health and metrics listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await
            .context("serving health and metrics")
    }
}
