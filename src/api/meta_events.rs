//! What Meta's notifications say, as a [`ProviderReport`]. WhatsApp (`object` =
//! `whatsapp_business_account`) sends `changes` with `statuses` (sent, delivered, read, failed),
//! inbound `messages` and `user_preferences` (marketing messages stopped or resumed); Messenger
//! (`object` = `page`) sends `messaging` events: messages, `delivery` (message ids) and `read`
//! (a watermark). Fields we do not use are ignored, so new ones Meta adds change nothing.

use super::ApiError;
use crate::domain::{ChannelKind, ConsentKind, ConsentSource};
use crate::store::{
    ConsentEvent, ConsentSubject, Inbound, ProviderReport, Receipt, ReceiptStatus, ReceiptTarget,
};
use chrono::{DateTime, Utc};
use mahnwerk_channels::sms::{opt_out_keyword, OptOut};
use mahnwerk_channels::whatsapp::names_a_dead_recipient;
use serde::Deserialize;
use serde_json::Value;

/// WhatsApp's error for a recipient who stopped marketing messages from the business.
const WHATSAPP_STOPPED: i64 = 131050;

#[derive(Deserialize)]
struct Notification {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
    #[serde(default)]
    messaging: Vec<Messaging>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    value: WhatsappValue,
}

#[derive(Deserialize, Default)]
struct WhatsappValue {
    #[serde(default)]
    statuses: Vec<WaStatus>,
    #[serde(default)]
    messages: Vec<WaMessage>,
    #[serde(default)]
    user_preferences: Vec<WaPreference>,
}

#[derive(Deserialize)]
struct WaStatus {
    id: String,
    status: String,
    timestamp: Value,
    recipient_id: Option<String>,
    #[serde(default)]
    errors: Vec<WaError>,
}

#[derive(Deserialize)]
struct WaError {
    code: i64,
}

#[derive(Deserialize)]
struct WaMessage {
    from: String,
    timestamp: Value,
    text: Option<WaText>,
}

#[derive(Deserialize)]
struct WaText {
    body: String,
}

#[derive(Deserialize)]
struct WaPreference {
    wa_id: String,
    value: String,
    timestamp: Value,
}

#[derive(Deserialize)]
struct Messaging {
    sender: Psid,
    timestamp: Option<i64>,
    message: Option<MessengerMessage>,
    delivery: Option<MessengerDelivery>,
    read: Option<MessengerRead>,
}

#[derive(Deserialize)]
struct Psid {
    id: String,
}

#[derive(Deserialize)]
struct MessengerMessage {
    #[serde(default)]
    is_echo: bool,
    text: Option<String>,
}

#[derive(Deserialize)]
struct MessengerDelivery {
    #[serde(default)]
    mids: Vec<String>,
    watermark: i64,
}

#[derive(Deserialize)]
struct MessengerRead {
    watermark: i64,
}

/// Parses a signed notification body.
pub(super) fn report_of(body: &[u8]) -> Result<ProviderReport, ApiError> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| ApiError::Malformed(format!("body: {e}")))?;
    let mut report = ProviderReport::default();
    match notification.object.as_str() {
        "whatsapp_business_account" => {
            for change in notification.entry.into_iter().flat_map(|e| e.changes) {
                whatsapp(change.value, &mut report)?;
            }
        }
        "page" => {
            for event in notification.entry.into_iter().flat_map(|e| e.messaging) {
                messenger(event, &mut report)?;
            }
        }
        // Other products of the same app (Instagram, ...): nothing for us.
        _ => {}
    }
    Ok(report)
}

/// WhatsApp ids are E.164 digits without the `+` the debtor's number is stored with.
fn e164(wa_id: &str) -> String {
    format!("+{}", wa_id.trim_start_matches('+'))
}

/// Meta's timestamps: Unix seconds, as a string (WhatsApp) or a number.
fn seconds(field: &str, raw: &Value) -> Result<DateTime<Utc>, ApiError> {
    let secs = match raw {
        Value::String(s) => s.parse().ok(),
        other => other.as_i64(),
    };
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(|| ApiError::Malformed(format!("{field}: {raw} is not a Unix time")))
}

fn millis(field: &str, raw: i64) -> Result<DateTime<Utc>, ApiError> {
    DateTime::from_timestamp_millis(raw)
        .ok_or_else(|| ApiError::Malformed(format!("{field}: {raw} is not a time")))
}

fn keyword_event(channel: ChannelKind, contact: &str, text: &str, at: DateTime<Utc>) -> Option<ConsentEvent> {
    let kind = match opt_out_keyword(text)? {
        OptOut::Stop => ConsentKind::OptOut,
        OptOut::Start => ConsentKind::OptIn,
    };
    Some(ConsentEvent {
        subject: ConsentSubject::Contact(contact.to_owned()),
        channel,
        kind,
        at,
        source: ConsentSource::ChatKeyword,
        detail: Some(text.trim().to_uppercase()),
        provider_event_id: None,
    })
}

fn whatsapp(value: WhatsappValue, report: &mut ProviderReport) -> Result<(), ApiError> {
    let channel = ChannelKind::Whatsapp;
    for status in value.statuses {
        let at = seconds("statuses.timestamp", &status.timestamp)?;
        let receipt = match status.status.as_str() {
            "sent" => ReceiptStatus::Sent,
            "delivered" => ReceiptStatus::Delivered,
            "read" => ReceiptStatus::Read,
            "failed" => ReceiptStatus::Failed,
            _ => continue,
        };
        let code = status.errors.first().map(|e| e.code);
        if let (Some(WHATSAPP_STOPPED), Some(recipient)) = (code, &status.recipient_id) {
            report.consents.push(ConsentEvent {
                subject: ConsentSubject::Contact(e164(recipient)),
                channel,
                kind: ConsentKind::OptOut,
                at,
                source: ConsentSource::WhatsappBlock,
                detail: Some(format!("error {WHATSAPP_STOPPED}")),
                provider_event_id: None,
            });
        }
        report.receipts.push(Receipt {
            channel,
            target: ReceiptTarget::ProviderId(status.id),
            status: receipt,
            at,
            error: code.map(|c| c.to_string()),
            unreachable: receipt == ReceiptStatus::Failed && code.is_some_and(names_a_dead_recipient),
        });
    }
    for message in value.messages {
        let (contact, at) = (e164(&message.from), seconds("messages.timestamp", &message.timestamp)?);
        if let Some(event) = message.text.and_then(|t| keyword_event(channel, &contact, &t.body, at)) {
            report.consents.push(event);
        }
        report.inbound.push(Inbound { channel, contact, at, message_id: None });
    }
    for preference in value.user_preferences {
        let kind = match preference.value.as_str() {
            "stop" => ConsentKind::OptOut,
            "resume" => ConsentKind::OptIn,
            _ => continue,
        };
        report.consents.push(ConsentEvent {
            subject: ConsentSubject::Contact(e164(&preference.wa_id)),
            channel,
            kind,
            at: seconds("user_preferences.timestamp", &preference.timestamp)?,
            source: ConsentSource::WhatsappBlock,
            detail: Some(format!("user_preferences {}", preference.value)),
            provider_event_id: None,
        });
    }
    Ok(())
}

fn messenger(event: Messaging, report: &mut ProviderReport) -> Result<(), ApiError> {
    let channel = ChannelKind::Messenger;
    let psid = event.sender.id;
    if let Some(message) = event.message.filter(|m| !m.is_echo) {
        let at = millis("messaging.timestamp", event.timestamp.unwrap_or_default())?;
        if let Some(consent) = message.text.and_then(|t| keyword_event(channel, &psid, &t, at)) {
            report.consents.push(consent);
        }
        report.inbound.push(Inbound { channel, contact: psid.clone(), at, message_id: None });
    }
    if let Some(delivery) = event.delivery {
        let at = millis("delivery.watermark", delivery.watermark)?;
        for mid in delivery.mids {
            let target = ReceiptTarget::ProviderId(mid);
            report.receipts.push(Receipt {
                channel,
                target,
                status: ReceiptStatus::Delivered,
                at,
                error: None,
                unreachable: false,
            });
        }
    }
    if let Some(read) = event.read {
        let watermark = millis("read.watermark", read.watermark)?;
        let target = ReceiptTarget::UpTo { contact: psid, watermark };
        report.receipts.push(Receipt {
            channel,
            target,
            status: ReceiptStatus::Read,
            at: watermark,
            error: None,
            unreachable: false,
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "meta_events_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> ProviderReport {
        report_of(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn whatsapp_statuses_messages_and_stops() {
        let report = parse(json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
            {"field": "messages", "value": {"messaging_product": "whatsapp",
              "statuses": [
                {"id": "wamid.1", "status": "read", "timestamp": "1767600000", "recipient_id": "4915100000001"},
                {"id": "wamid.2", "status": "failed", "timestamp": "1767600000", "recipient_id": "4915100000002",
                 "errors": [{"code": 131050, "title": "stopped"}]}],
              "messages": [{"from": "4915100000003", "id": "wamid.3", "timestamp": "1767600001",
                            "type": "text", "text": {"body": "Stopp"}}]}},
            {"field": "user_preferences", "value": {"user_preferences": [
              {"wa_id": "4915100000004", "detail": "x", "category": "marketing_messages", "value": "stop",
               "timestamp": 1767600002}]}}]}]}));
        assert_eq!(report.receipts.len(), 2);
        assert_eq!(report.receipts[0].status, ReceiptStatus::Read);
        assert_eq!(report.receipts[0].at, DateTime::from_timestamp(1767600000, 0).unwrap());
        assert_eq!(report.receipts[1].error.as_deref(), Some("131050"));
        assert!(!report.receipts[1].unreachable, "a stop is an opt-out, not a dead number");
        let opted_out: Vec<_> = report.consents.iter().map(|c| (&c.subject, c.kind, c.source)).collect();
        assert_eq!(
            opted_out,
            [
                (
                    &ConsentSubject::Contact("+4915100000002".into()),
                    ConsentKind::OptOut,
                    ConsentSource::WhatsappBlock
                ),
                (
                    &ConsentSubject::Contact("+4915100000003".into()),
                    ConsentKind::OptOut,
                    ConsentSource::ChatKeyword
                ),
                (
                    &ConsentSubject::Contact("+4915100000004".into()),
                    ConsentKind::OptOut,
                    ConsentSource::WhatsappBlock
                ),
            ]
        );
        assert_eq!(
            report.inbound,
            [Inbound {
                channel: ChannelKind::Whatsapp,
                contact: "+4915100000003".into(),
                at: DateTime::from_timestamp(1767600001, 0).unwrap(),
                message_id: None,
            }]
        );
    }

    #[test]
    fn an_undeliverable_failure_names_a_dead_number() {
        let report = parse(
            json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
            "value": {"statuses": [
                {"id": "wamid.8", "status": "failed", "timestamp": "1767600000", "recipient_id": "4915100000008",
                 "errors": [{"code": 131026, "title": "Message undeliverable"}]},
                {"id": "wamid.9", "status": "failed", "timestamp": "1767600000", "recipient_id": "4915100000009",
                 "errors": [{"code": 131000, "title": "Something went wrong"}]}]}}]}]}),
        );
        let dead: Vec<_> = report.receipts.iter().map(|r| (r.error.as_deref(), r.unreachable)).collect();
        assert_eq!(dead, [(Some("131026"), true), (Some("131000"), false)]);
        assert!(report.consents.is_empty(), "undeliverable is no opt-out");
    }

    #[test]
    fn messenger_messages_deliveries_and_reads() {
        let report = parse(json!({"object": "page", "entry": [{"id": "P", "time": 1, "messaging": [
            {"sender": {"id": "psid-1"}, "recipient": {"id": "P"}, "timestamp": 1767600000000i64,
             "message": {"mid": "m_1", "text": "hallo"}},
            {"sender": {"id": "P"}, "recipient": {"id": "psid-1"}, "timestamp": 1767600000000i64,
             "message": {"mid": "m_2", "is_echo": true, "text": "our own"}},
            {"sender": {"id": "psid-1"}, "recipient": {"id": "P"}, "delivery": {"mids": ["m_9"], "watermark": 1767600000000i64}},
            {"sender": {"id": "psid-1"}, "recipient": {"id": "P"}, "read": {"watermark": 1767600005000i64}}]}]}));
        assert_eq!(report.inbound.len(), 1, "echoes of our own messages are not inbound");
        assert_eq!(report.receipts[0].target, ReceiptTarget::ProviderId("m_9".into()));
        assert_eq!(
            report.receipts[1].target,
            ReceiptTarget::UpTo {
                contact: "psid-1".into(),
                watermark: DateTime::from_timestamp(1767600005, 0).unwrap()
            }
        );
        assert!(report.consents.is_empty());
    }

    #[test]
    fn bad_bodies_name_the_field_and_other_objects_report_nothing() {
        let bad = report_of(br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"w","status":"read","timestamp":"soon"}]}}]}]}"#);
        assert!(bad.unwrap_err().to_string().contains("statuses.timestamp"));
        assert!(report_of(b"not json").unwrap_err().to_string().starts_with("body:"));
        assert!(parse(json!({"object": "instagram", "entry": []})).is_empty());
    }
}
