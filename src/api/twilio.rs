//! Twilio's webhooks: message status callbacks (`MessageStatus` of a `MessageSid`) and inbound
//! SMS, whose STOP or START keyword is an opt-out or opt-in for every debtor with that number.
//! Both are form-encoded POSTs signed with `X-Twilio-Signature` over the URL Twilio called.

use super::{ApiError, ApiState};
use crate::domain::{ChannelKind, ConsentKind, ConsentSource};
use crate::store::{
    ConsentEvent, ConsentSubject, Inbound, ProviderReport, Receipt, ReceiptStatus, ReceiptTarget,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use mahnwerk_channels::signature::{verify_twilio, TWILIO_SIGNATURE_HEADER};
use mahnwerk_channels::sms::keywords::{opt_out_keyword, OptOut};
use mahnwerk_channels::sms::names_a_dead_number;
use secrecy::ExposeSecret;

type Form = Vec<(String, String)>;

/// `POST /webhooks/twilio/status`.
pub(super) async fn status(
    State(state): State<ApiState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let form = verified(&state, &headers, &uri, &body)?;
    let report = status_report(&form, state.clock.now())?;
    if !report.is_empty() {
        crate::deliver::record_provider_report(state.store.as_ref(), &report, state.clock.now()).await?;
    }
    Ok(StatusCode::OK)
}

/// `POST /webhooks/twilio/inbound`: answers with empty TwiML (Twilio itself answers the
/// standard keywords).
pub(super) async fn inbound(
    State(state): State<ApiState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let form = verified(&state, &headers, &uri, &body)?;
    let report = inbound_report(&form, state.clock.now())?;
    crate::deliver::record_provider_report(state.store.as_ref(), &report, state.clock.now()).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/xml")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    ))
}

/// The form fields, once the signature over the URL Twilio called and the fields holds.
fn verified(state: &ApiState, headers: &HeaderMap, uri: &Uri, body: &[u8]) -> Result<Form, ApiError> {
    let token = state.twilio_auth_token.as_ref().ok_or(ApiError::NotConfigured("twilio"))?;
    let form = form_of(body)?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let url = match &state.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
            format!("http://{host}{path}")
        }
    };
    let signature = headers.get(TWILIO_SIGNATURE_HEADER).and_then(|h| h.to_str().ok());
    verify_twilio(token.expose_secret().as_bytes(), &url, &form, signature)?;
    Ok(form)
}

/// The fields of a form-encoded body, in order (the signature covers them sorted by name).
fn form_of(body: &[u8]) -> Result<Form, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::Malformed(format!("body: not a form: {e}")))
}

fn field<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

fn required<'a>(form: &'a Form, name: &str) -> Result<&'a str, ApiError> {
    field(form, name).ok_or_else(|| ApiError::Malformed(format!("{name}: missing")))
}

/// A status callback as a receipt; statuses before `sent` (queued, accepted, sending…) and
/// after-the-fact ones we do not track (canceled, received) report nothing.
fn status_report(form: &Form, now: DateTime<Utc>) -> Result<ProviderReport, ApiError> {
    let sid = required(form, "MessageSid")?;
    let status = match required(form, "MessageStatus")? {
        "sent" => ReceiptStatus::Sent,
        "delivered" => ReceiptStatus::Delivered,
        "read" => ReceiptStatus::Read,
        "undelivered" | "failed" => ReceiptStatus::Failed,
        _ => return Ok(ProviderReport::default()),
    };
    let error = field(form, "ErrorCode");
    Ok(ProviderReport {
        receipts: vec![Receipt {
            channel: ChannelKind::Sms,
            target: ReceiptTarget::ProviderId(sid.to_owned()),
            status,
            at: now,
            error: error.map(str::to_owned),
            unreachable: status == ReceiptStatus::Failed
                && error.and_then(|code| code.parse().ok()).is_some_and(names_a_dead_number),
        }],
        ..ProviderReport::default()
    })
}

/// An inbound SMS: the sender's last inbound time, and a consent event for a keyword reply.
/// Twilio dates nothing, so both are stamped on receipt and made once by the `MessageSid` (which
/// Twilio always sends): a replayed signed request is the same message and changes nothing.
fn inbound_report(form: &Form, now: DateTime<Utc>) -> Result<ProviderReport, ApiError> {
    let sid = required(form, "MessageSid")?;
    let from = required(form, "From")?;
    let mut report = ProviderReport {
        inbound: vec![Inbound {
            channel: ChannelKind::Sms,
            contact: from.to_owned(),
            at: now,
            message_id: Some(sid.to_owned()),
        }],
        ..ProviderReport::default()
    };
    let body = field(form, "Body").unwrap_or("");
    if let Some(keyword) = opt_out_keyword(body) {
        let kind = match keyword {
            OptOut::Stop => ConsentKind::OptOut,
            OptOut::Start => ConsentKind::OptIn,
        };
        report.consents.push(ConsentEvent {
            subject: ConsentSubject::Contact(from.to_owned()),
            channel: ChannelKind::Sms,
            kind,
            at: now,
            source: ConsentSource::SmsKeyword,
            detail: Some(body.trim().to_uppercase()),
            provider_event_id: Some(sid.to_owned()),
        });
    }
    Ok(report)
}

#[cfg(test)]
#[path = "twilio_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn statuses_map_to_receipts_and_early_ones_to_nothing() {
        let now = "2026-12-01T10:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
        let report = status_report(
            &form(&[("MessageSid", "SM1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")]),
            now,
        )
        .unwrap();
        assert_eq!(report.receipts[0].status, ReceiptStatus::Failed);
        assert_eq!(report.receipts[0].error.as_deref(), Some("30003"));
        assert!(!report.receipts[0].unreachable, "30003 passes (a handset switched off)");
        let dead = |status, code| {
            status_report(
                &form(&[("MessageSid", "SM1"), ("MessageStatus", status), ("ErrorCode", code)]),
                now,
            )
            .unwrap()
            .receipts[0]
                .unreachable
        };
        assert!(dead("undelivered", "30005") && dead("failed", "30006"));
        assert!(!dead("undelivered", "30001"), "a queue overflow says nothing about the number");
        assert!(!dead("delivered", "30005"), "only a failure marks a number dead");
        assert!(status_report(&form(&[("MessageSid", "SM1"), ("MessageStatus", "queued")]), now)
            .unwrap()
            .is_empty());
        let missing = status_report(&form(&[("MessageStatus", "sent")]), now).unwrap_err();
        assert_eq!(missing.to_string(), "MessageSid: missing");
    }

    #[test]
    fn keywords_become_consent_events() {
        let now = "2026-12-01T10:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
        let sms = |sid, body| form(&[("MessageSid", sid), ("From", "+4915100000001"), ("Body", body)]);
        let stop = inbound_report(&sms("SM41", " stopp! "), now).unwrap();
        assert_eq!(stop.consents[0].kind, ConsentKind::OptOut);
        assert_eq!(stop.consents[0].subject, ConsentSubject::Contact("+4915100000001".into()));
        let start = inbound_report(&sms("SM42", "START"), now).unwrap();
        assert_eq!(start.consents[0].kind, ConsentKind::OptIn);
        assert_eq!(
            (start.consents[0].provider_event_id.as_deref(), start.inbound[0].message_id.as_deref()),
            (Some("SM42"), Some("SM42")),
            "a replay is the same message"
        );
        let chat = inbound_report(&sms("SM43", "stop it"), now).unwrap();
        assert!(chat.consents.is_empty() && chat.inbound.len() == 1);
        let unnamed =
            inbound_report(&form(&[("From", "+4915100000001"), ("Body", "STOP")]), now).unwrap_err();
        assert_eq!(unnamed.to_string(), "MessageSid: missing");
    }
}
