//! Pingen's letter webhooks (`POST /webhooks/pingen`): JSON:API documents signed with the
//! webhook's signing key in the `Signature` header (HMAC-SHA256 of the raw body, hex).
//!
//! Pingen sends one webhook per event category, each configured with a URL and signing key in
//! Pingen's settings; all four may point here with the same key (`[pingen] webhook_secret`):
//! - `webhook_sent`: handed to the postal service → receipt `sent`;
//! - `webhook_delivered`: delivered (tracked products only) → `delivered`;
//! - `webhook_undeliverable`: returned by the post, e.g. "Recipient could not be determined at
//!   the specified address." → `failed`, the reason kept as `undeliverable: …`;
//! - `webhook_issues`: Pingen could not process the letter (content or address check failed),
//!   so it is not sent → `failed`, the reason kept as `issues: …`.
//!
//! The letter is `data.relationships.letter.data.id`, the id the send recorded. Payload shapes
//! as in Pingen's API documentation (reproduced in pingencom/n8n-nodes-pingen2's test fixtures).
//! An `undeliverable` event may carry a `corrected_address`; it is personal data and not kept.

use super::{ApiError, ApiState};
use crate::domain::ChannelKind;
use crate::store::{ProviderReport, Receipt, ReceiptStatus, ReceiptTarget};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use mahnwerk_channels::signature::{verify_pingen, PINGEN_SIGNATURE_HEADER};
use secrecy::ExposeSecret;
use serde::Deserialize;

/// The longest provider reason kept with a failed receipt.
const MAX_REASON_CHARS: usize = 160;

/// `POST /webhooks/pingen`.
pub(super) async fn notify(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let secret = state.pingen_webhook_secret.as_ref().ok_or(ApiError::NotConfigured("pingen"))?;
    let signature = headers.get(PINGEN_SIGNATURE_HEADER).and_then(|h| h.to_str().ok());
    verify_pingen(secret.expose_secret().as_bytes(), &body, signature)?;
    let report = report_of(&body, state.clock.now())?;
    if !report.is_empty() {
        crate::deliver::record_provider_report(state.store.as_ref(), &report, state.clock.now()).await?;
    }
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
struct Event {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    relationships: Relationships,
}

#[derive(Default, Deserialize)]
struct Attributes {
    reason: Option<String>,
    created_at: Option<String>,
}

#[derive(Default, Deserialize)]
struct Relationships {
    letter: Option<Related>,
}

#[derive(Deserialize)]
struct Related {
    data: Option<Identifier>,
}

#[derive(Deserialize)]
struct Identifier {
    id: String,
}

/// The receipt a signed event reports; events about anything but letters report nothing.
fn report_of(body: &[u8], now: DateTime<Utc>) -> Result<ProviderReport, ApiError> {
    let event: Event = serde_json::from_slice(body)
        .map_err(|e| ApiError::Malformed(format!("body: not a Pingen event: {e}")))?;
    let data = event.data;
    // An undeliverable letter came back from the post: the address is dead, and the stage goes
    // out on another channel. `issues` are Pingen's own (a PDF it cannot print or read), not the
    // address's, so they are recorded only.
    let (status, failure, unreachable) = match data.kind.as_str() {
        "webhook_sent" => (ReceiptStatus::Sent, None, false),
        "webhook_delivered" => (ReceiptStatus::Delivered, None, false),
        "webhook_undeliverable" => (ReceiptStatus::Failed, Some("undeliverable"), true),
        "webhook_issues" => (ReceiptStatus::Failed, Some("issues"), false),
        _ => return Ok(ProviderReport::default()),
    };
    let letter = data
        .relationships
        .letter
        .and_then(|related| related.data)
        .map(|identifier| identifier.id)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::Malformed("data.relationships.letter.data.id: missing".into()))?;
    let error = failure.map(|what| match data.attributes.reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => {
            format!("{what}: {}", reason.chars().take(MAX_REASON_CHARS).collect::<String>())
        }
        _ => what.to_owned(),
    });
    let at = data.attributes.created_at.as_deref().and_then(parse_time).unwrap_or(now);
    Ok(ProviderReport {
        receipts: vec![Receipt {
            channel: ChannelKind::Letter,
            target: ReceiptTarget::ProviderId(letter),
            status,
            at,
            error,
            unreachable,
        }],
        ..ProviderReport::default()
    })
}

/// Pingen writes times as `2020-11-19T09:42:48+0100` (no colon in the offset), or RFC 3339.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
#[path = "pingen_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The documented shape of every letter webhook, with `kind` and `attributes` filled in.
    fn event(kind: &str, attributes: serde_json::Value) -> Vec<u8> {
        json!({"data": {
            "id": "ff222222-1111-2222-3333-444444444444", "type": kind, "attributes": attributes,
            "relationships": {
                "organisation": {"links": {"related": "string"}, "data": {"id": "bbbbbbbb-1111-2222-3333-444444444444", "type": "organisations"}},
                "letter": {"links": {"related": "string"}, "data": {"id": "cccccccc-1111-2222-3333-444444444444", "type": "letters"}},
                "event": {"links": {"related": "string"}, "data": {"id": "dddddddd-1111-2222-3333-444444444444", "type": "letters_events"}}
            },
            "links": {"self": "string"}}, "included": [{}]})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn letter_events_map_to_receipts_on_the_letter() {
        let now = "2026-12-01T10:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
        let sent = report_of(&event("webhook_sent", json!({"created_at": "2020-11-19T09:42:48+0100"})), now)
            .unwrap();
        let receipt = &sent.receipts[0];
        assert_eq!((receipt.channel, receipt.status), (ChannelKind::Letter, ReceiptStatus::Sent));
        assert_eq!(receipt.target, ReceiptTarget::ProviderId("cccccccc-1111-2222-3333-444444444444".into()));
        assert_eq!(receipt.at.to_rfc3339(), "2020-11-19T08:42:48+00:00");
        assert_eq!(receipt.error, None);
        let delivered = report_of(&event("webhook_delivered", json!({})), now).unwrap();
        assert_eq!((delivered.receipts[0].status, delivered.receipts[0].at), (ReceiptStatus::Delivered, now));
    }

    #[test]
    fn undeliverable_and_issues_fail_with_pingens_reason_and_no_corrected_address() {
        let now = "2026-12-01T10:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
        let returned = report_of(
            &event(
                "webhook_undeliverable",
                json!({"reason": "Recipient could not be determined at the specified address.",
                       "corrected_address": {"name": "Alex Meier", "street": "Example street", "number": "50A",
                                             "zip": "8051", "city": "Zürich"}}),
            ),
            now,
        )
        .unwrap();
        let receipt = &returned.receipts[0];
        assert_eq!(receipt.status, ReceiptStatus::Failed);
        assert_eq!(
            receipt.error.as_deref(),
            Some("undeliverable: Recipient could not be determined at the specified address.")
        );
        assert!(receipt.unreachable, "a letter the post returned names a dead address");
        let issues =
            report_of(&event("webhook_issues", json!({"reason": "Content failed inspection"})), now).unwrap();
        assert_eq!(issues.receipts[0].error.as_deref(), Some("issues: Content failed inspection"));
        assert!(!issues.receipts[0].unreachable, "Pingen's own issues say nothing of the address");
        let bare = report_of(&event("webhook_issues", json!({})), now).unwrap();
        assert_eq!(bare.receipts[0].error.as_deref(), Some("issues"));
    }

    #[test]
    fn other_events_report_nothing_and_bad_bodies_name_the_field() {
        let now = "2026-12-01T10:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
        assert!(report_of(&event("webhook_channel_subscriptions", json!({})), now).unwrap().is_empty());
        let no_letter = json!({"data": {"type": "webhook_sent", "attributes": {}}}).to_string();
        let err = report_of(no_letter.as_bytes(), now).unwrap_err();
        assert_eq!(err.to_string(), "data.relationships.letter.data.id: missing");
        assert!(report_of(b"not json", now).unwrap_err().to_string().starts_with("body:"));
    }
}
