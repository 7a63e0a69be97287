//! The HTTP API (`mahnwerk run --role api`): the webhooks through which providers report back —
//! Twilio's SMS status callbacks and inbound SMS, Meta's WhatsApp and Messenger notifications,
//! Pingen's letter events, Stripe's payment events.
//!
//! Every handler is thin: it checks the provider's signature on the raw request, parses what the
//! provider said into a [`ProviderReport`](crate::store::ProviderReport), and records it with one
//! store call. A call whose signature is missing or wrong, or for a provider without configured
//! secrets, gets 401 and changes nothing; a signed call about a message or contact we do not know
//! gets 200 (providers retry anything else) and changes nothing.
//!
//! # Layout
//! - `twilio`: `POST /webhooks/twilio/status` and `POST /webhooks/twilio/inbound` (STOP/START).
//! - `meta` and `meta_events`: `GET`/`POST /webhooks/meta`, the subscription handshake and the
//!   WhatsApp Cloud API and Messenger notifications.
//! - `pingen`: `POST /webhooks/pingen`, Pingen's letter events (sent, delivered, undeliverable,
//!   issues).
//! - `pay`: the pay-page, `GET /pay/{token}` and the forms it posts (promise, dispute, contact).
//! - `rate_limit`: requests per minute per client address and per link.
//! - `stripe`: `POST /webhooks/stripe`, Stripe Checkout's payment events (signature, replay and
//!   what they do live in `crate::pay::psp`; Stripe wants 400, not 401, for a bad signature).
//! - `unsubscribe`: `GET`/`POST /unsubscribe/{token}`, the signed unsubscribe link of every email
//!   (RFC 8058 one-click) into the consent ledger.
//! - `optout`: `GET`/`POST /optout/{token}`, the signed opt-out link of every thank-you message
//!   (RFC 8058 one-click) into the marketing consent ledger.
//! - `recommend`: `GET /r/{token}`, the signed click link of a recommended item.
//! - `error`: how a refused call is answered.
//! - `console`: the operator console, `/api/v1/…` (with its OpenAPI document) and
//!   `/console/login`; see that module.
//!
//! Adding a route is one line in [`router`] and a handler that ends in one store call.

pub mod console;
mod error;
mod meta;
mod meta_events;
mod optout;
pub mod pay;
mod pingen;
mod rate_limit;
mod recommend;
mod stripe;
pub mod twilio;
mod unsubscribe;

pub use crate::config::http::{HttpConfig, MetaConfig};
pub use error::ApiError;

use crate::pay::psp::stripe_events::StripeWebhook;
use crate::pay::psp::Psp;
use crate::runtime::Clock;
use crate::shutdown::Shutdown;
use crate::store::Store;
use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Twilio's auth token, which signs its webhooks; `None`: Twilio calls get 401.
    pub twilio_auth_token: Option<SecretString>,
    pub meta: Option<MetaConfig>,
    /// The signing key of Pingen's webhooks (`[pingen] webhook_secret`); `None`: Pingen calls get 401.
    pub pingen_webhook_secret: Option<SecretString>,
    /// The base URL providers call us by (see [`HttpConfig::public_url`]).
    pub public_url: Option<String>,
    /// Verifies the signed links debtors follow (pay-page, unsubscribe).
    pub links: Arc<crate::deliver::Links>,
    /// The pay-page: its templates, rules and rate limits.
    pub pay: pay::SharedPayRoutes,
    /// Card, wallet and direct-debit checkouts for the pay-page (`crate::pay::checkout`);
    /// `None` without `[stripe]`: the page offers no card payment.
    pub psp: Option<Arc<dyn Psp>>,
    /// Stripe's webhook endpoint; `None` without `[stripe]`: Stripe calls get 404.
    pub stripe: Option<Arc<StripeWebhook>>,
    /// The operator console (`/api/v1/…`, `/console/…`); `None`: those routes are not served.
    pub console: Option<Arc<console::ConsoleState>>,
}

/// Every route of the API.
pub fn router(state: ApiState) -> Router {
    let console = match state.console {
        Some(_) => console::routes().0,
        None => Router::new(),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/webhooks/twilio/status", post(twilio::status))
        .route("/webhooks/twilio/inbound", post(twilio::inbound))
        .route("/webhooks/meta", get(meta::verify).post(meta::notify))
        .route("/webhooks/pingen", post(pingen::notify))
        .route("/webhooks/stripe", post(stripe::notify))
        .route("/unsubscribe/{token}", get(unsubscribe::page).post(unsubscribe::confirm))
        .route("/pay/{token}", get(pay::page))
        .route("/pay/{token}/thanks", get(pay::thanks))
        .route("/pay/{token}/promise", post(pay::promise))
        .route("/pay/{token}/card", post(pay::card))
        .route("/pay/{token}/instalments", post(pay::instalments))
        .route("/pay/{token}/dispute", post(pay::dispute))
        .route("/pay/{token}/contact", post(pay::contact))
        .route("/r/{token}", get(recommend::click))
        .route("/optout/{token}", get(optout::page).post(optout::confirm))
        .merge(console)
        .route_layer(axum::middleware::from_fn(crate::observe::track_requests))
        .with_state(state)
}

/// The API server, bound to its address and ready to serve.
pub struct BoundApi {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl BoundApi {
    /// Binds `listen` (port 0 picks a free port; see [`BoundApi::local_addr`]).
    pub async fn bind(listen: SocketAddr, state: ApiState) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("http.listen: cannot bind {listen}"))?;
        Ok(Self { listener, router: router(state) })
    }

    /// Serves `extra` beside the API's routes (`/readyz`, `/metrics`).
    pub fn with_routes(mut self, extra: Router) -> Self {
        self.router = self.router.merge(extra);
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until shutdown, then finishes the requests in flight.
    pub async fn run(self, mut shutdown: Shutdown) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "api listening");
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await
            .context("serving the API")
    }
}
