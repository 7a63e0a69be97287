//! How the console API refuses a call, as JSON `{"error": …, "field": …}`: 401 without valid
//! credentials, 403 for a read-only caller on a write route (or a cookie write without its CSRF
//! token), 404 for anything the caller's tenant does not have (another tenant's object looks
//! exactly like a missing one), 422 naming the field, 409 for an intervention the case's state
//! does not allow, 429 while an account's logins are throttled, 503 when the database is away.

use crate::domain::FieldError;
use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every refusal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    /// The request field that is wrong, when one is (`debtor.email`, `min_amount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("authentication required: an API key (Authorization: Bearer …) or a console session")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Field(FieldError),
    #[error("{0}")]
    Conflict(String),
    /// An intervention the case's state does not allow, worded for the API and for the pages.
    #[error("{0}")]
    Refused(super::refusal::Refusal),
    #[error("too many failed logins; try again later")]
    Throttled { retry_after_secs: u64 },
    #[error("the database is not available: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl ConsoleError {
    pub fn field(field: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Self::Field(FieldError::new(field, reason))
    }
}

impl From<FieldError> for ConsoleError {
    fn from(error: FieldError) -> Self {
        Self::Field(error)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Field(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) | Self::Refused(_) => StatusCode::CONFLICT,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        match &self {
            Self::Store(error) => tracing::warn!(%error, "console call failed on the database"),
            Self::Internal(error) => tracing::error!(%error, "console call failed"),
            _ => {}
        }
        let body = match &self {
            Self::Field(error) => ErrorBody { error: error.reason.clone(), field: Some(error.field.clone()) },
            // Say no more than "unavailable" about the database to the caller.
            Self::Store(_) => ErrorBody { error: "the database is not available".into(), field: None },
            other => ErrorBody { error: other.to_string(), field: None },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            Self::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Throttled { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        response
    }
}
