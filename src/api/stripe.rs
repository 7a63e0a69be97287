//! Stripe's webhook (`POST /webhooks/stripe`): Checkout Session events, signed in the
//! `Stripe-Signature` header. The handler only reads the header and the raw body and hands both
//! to [`StripeWebhook::receive`](crate::pay::psp::stripe_events::StripeWebhook::receive), where
//! the signature is checked and the event acted on once.
//!
//! Answers as Stripe expects: 200 for every verified event, acted on or not (Stripe retries
//! anything else for up to three days); 400 for a missing, forged or stale signature or a body
//! that is not an event, changing nothing; 404 when `[stripe]` is not configured; 503 when the
//! database is away (Stripe retries).

use super::ApiState;
use crate::pay::psp::stripe_events::WebhookError;
use crate::pay::psp::stripe_signature::STRIPE_SIGNATURE_HEADER;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// `POST /webhooks/stripe`.
pub(super) async fn notify(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(webhook) = state.stripe.as_ref() else {
        return (StatusCode::NOT_FOUND, "stripe webhooks are not configured").into_response();
    };
    let signature = headers.get(STRIPE_SIGNATURE_HEADER).and_then(|h| h.to_str().ok());
    match webhook.receive(state.store.as_ref(), signature, &body, state.clock.now()).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(WebhookError::Store(error)) => {
            tracing::warn!(%error, "stripe webhook not recorded; Stripe will retry");
            (StatusCode::SERVICE_UNAVAILABLE, "recording the event failed; retry").into_response()
        }
        Err(refused) => {
            tracing::info!(status = 400, reason = %refused, "stripe webhook refused");
            (StatusCode::BAD_REQUEST, refused.to_string()).into_response()
        }
    }
}
