//! What an HTTP provider transport would send for a message, without sending it: the method, URL,
//! content type and body of the request, as `mahnwerk preview` shows it to a creditor checking
//! its templates against the real provider before going live. Credentials are never part of it.

use std::collections::BTreeMap;

use serde::Serialize;

/// One provider request as it would leave. `body` is the JSON body, or for form-encoded
/// providers (Twilio) the form fields as a JSON object in the order they are sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderRequest {
    pub method: &'static str,
    pub url: String,
    pub content_type: &'static str,
    /// Headers beyond authentication and content type (an idempotency key); never credentials.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<&'static str, String>,
    pub body: serde_json::Value,
}

impl ProviderRequest {
    pub(crate) fn post_json(url: &str, body: serde_json::Value) -> Self {
        ProviderRequest {
            method: "POST",
            url: url.to_owned(),
            content_type: "application/json",
            headers: BTreeMap::new(),
            body,
        }
    }

    pub(crate) fn post_form(url: &str, fields: &[(&str, &str)]) -> Self {
        let body = fields.iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v))).collect();
        ProviderRequest {
            method: "POST",
            url: url.to_owned(),
            content_type: "application/x-www-form-urlencoded",
            headers: BTreeMap::new(),
            body: serde_json::Value::Object(body),
        }
    }
}
