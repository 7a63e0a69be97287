//! How the API refuses a call: 401 for anything not provably from the provider, 400 for a signed
//! body that does not parse, 503 when the database is away (the provider retries).

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mahnwerk_channels::signature::SignatureError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No secret is configured for this provider: nothing it sends can be believed.
    #[error("{0} webhooks are not configured")]
    NotConfigured(&'static str),
    #[error("signature: {0}")]
    Signature(#[from] SignatureError),
    /// Meta's handshake with a wrong token or mode.
    #[error("hub.verify_token or hub.mode does not match")]
    Handshake,
    /// Signed, but not what the provider documents; names the field.
    #[error("{0}")]
    Malformed(String),
    #[error("recording the report: {0}")]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::NotConfigured(_) | Self::Signature(_) | Self::Handshake => StatusCode::UNAUTHORIZED,
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        match &self {
            Self::Store(error) => tracing::warn!(%error, "webhook not recorded; the provider will retry"),
            other => tracing::info!(status = status.as_u16(), reason = %other, "webhook refused"),
        }
        (status, self.to_string()).into_response()
    }
}
