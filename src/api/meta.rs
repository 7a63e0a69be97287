//! Meta's webhooks for the WhatsApp Cloud API and Messenger: the subscription handshake
//! (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`) and notifications (`POST`,
//! signed with `X-Hub-Signature-256` over the raw body).

use super::meta_events::report_of;
use super::{ApiError, ApiState};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use mahnwerk_channels::signature::{meta_subscription_challenge, verify_meta, META_SIGNATURE_HEADER};
use secrecy::ExposeSecret;
use std::collections::HashMap;

/// `GET /webhooks/meta`: echoes the challenge when the verify token is ours.
pub(super) async fn verify(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<String, ApiError> {
    let meta = state.meta.as_ref().ok_or(ApiError::NotConfigured("meta"))?;
    let get = |name: &str| query.get(name).map(String::as_str);
    meta_subscription_challenge(
        get("hub.mode"),
        get("hub.verify_token"),
        get("hub.challenge"),
        meta.verify_token.expose_secret().as_bytes(),
    )
    .map(str::to_owned)
    .ok_or(ApiError::Handshake)
}

/// `POST /webhooks/meta`: statuses, inbound messages and opt-outs, recorded in one store call.
pub(super) async fn notify(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let meta = state.meta.as_ref().ok_or(ApiError::NotConfigured("meta"))?;
    let signature = headers.get(META_SIGNATURE_HEADER).and_then(|h| h.to_str().ok());
    verify_meta(meta.app_secret.expose_secret().as_bytes(), &body, signature)?;
    let report = report_of(&body)?;
    if !report.is_empty() {
        crate::deliver::record_provider_report(state.store.as_ref(), &report, state.clock.now()).await?;
    }
    Ok(StatusCode::OK)
}
