//! WhatsApp through the Cloud API against a wiremock double: the exact request for templates and
//! free text, the service window, and each kind of failure.

#[path = "support/http.rs"]
mod support;

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use mahnwerk_channels::whatsapp::{WhatsappCloud, WhatsappSettings};
use mahnwerk_channels::{
    Channel, ChannelKind, OutgoingMessage, SendError, WhatsappMessage, WhatsappTemplate,
};
use secrecy::SecretString;
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MESSAGES: &str = "/v25.0/106540352242922/messages";

fn settings(base_url: String) -> WhatsappSettings {
    let mut settings = WhatsappSettings::new("106540352242922", SecretString::from("EAAG-token"));
    settings.base_url = base_url;
    settings
}

fn reminder() -> WhatsappMessage {
    WhatsappMessage {
        to: "+4915112345678".into(),
        language: "de".into(),
        body: "Erinnerung: Rechnung RE-2026-0042 über 1.234,50 € ist offen.".into(),
        template: Some(WhatsappTemplate {
            name: "zahlungserinnerung_1".into(),
            body_parameters: vec!["RE-2026-0042".into(), "1.234,50 €".into()],
        }),
        last_inbound_at: None,
    }
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+4915112345678", "wa_id": "4915112345678"}],
        "messages": [{"id": "wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYFjNFQjBD", "message_status": "accepted"}]
    }))
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(MESSAGES)).respond_with(template).mount(&server).await;
    server
}

async fn send_to(server: &MockServer, message: WhatsappMessage) -> Result<String, SendError> {
    let channel = WhatsappCloud::new(&settings(server.uri())).unwrap();
    channel.send("r-42", &message.into()).await.map(|receipt| receipt.provider_id)
}

fn graph_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": message},
            "fbtrace_id": "AbCdEf"
        }
    }))
}

#[tokio::test]
async fn a_template_goes_out_with_the_debtors_language_and_body_parameters() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", "Bearer EAAG-token"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+4915112345678",
            "biz_opaque_callback_data": "r-42",
            "type": "template",
            "template": {
                "name": "zahlungserinnerung_1",
                "language": {"code": "de"},
                "components": [{
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "RE-2026-0042"},
                        {"type": "text", "text": "1.234,50 €"}
                    ]
                }]
            }
        })))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let channel = WhatsappCloud::new(&settings(server.uri())).unwrap();
    assert_eq!(channel.kind(), ChannelKind::Whatsapp);

    let receipt = channel.send("r-42", &reminder().into()).await.unwrap();

    assert_eq!(receipt.provider_id, "wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYFjNFQjBD");
}

#[tokio::test]
async fn free_text_goes_out_only_while_the_service_window_is_open() {
    let server = answering(accepted()).await;
    let text = |hours_ago: Option<i64>| WhatsappMessage {
        template: None,
        last_inbound_at: hours_ago.map(|h| Utc::now() - TimeDelta::hours(h)),
        ..reminder()
    };

    send_to(&server, text(Some(2))).await.unwrap();
    for closed in [Some(25), None] {
        let err = send_to(&server, text(closed)).await.unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.reason().starts_with("invalid template:"), "{err}");
    }

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "nothing is sent outside the window");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["type"], "text");
    assert_eq!(body["text"]["body"], reminder().body);
    assert!(body.get("template").is_none(), "{body}");
}

#[tokio::test]
async fn a_template_is_used_even_inside_the_window() {
    let server = answering(accepted()).await;
    let inside = WhatsappMessage { last_inbound_at: Some(Utc::now() - TimeDelta::minutes(5)), ..reminder() };
    send_to(&server, inside).await.unwrap();
    let body: Value = serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["type"], "template");
}

#[tokio::test]
async fn undeliverable_is_unreachable_and_a_closed_window_permanent() {
    for (code, meaning, class) in
        [(131026, "undeliverable", "unreachable"), (131047, "more than 24 hours", "permanent")]
    {
        let server = answering(graph_error(400, code, "Message Undeliverable.")).await;
        let err = send_to(&server, reminder()).await.unwrap_err();
        assert_eq!(err.class(), class, "{code}: {err}");
        assert!(err.reason().contains(&format!("code {code} ({meaning}")), "{err}");
    }
}

#[tokio::test]
async fn an_invalid_token_is_permanent() {
    let server = answering(graph_error(401, 190, "Error validating access token: Session has expired")).await;
    let err = send_to(&server, reminder()).await.unwrap_err();
    assert_eq!(err.class(), "permanent");
    assert!(err.reason().contains("access token invalid or expired"), "{err}");
}

#[tokio::test]
async fn bad_requests_and_unknown_paths_are_permanent() {
    let server = answering(graph_error(400, 132001, "Template name does not exist in the translation")).await;
    assert_eq!(send_to(&server, reminder()).await.unwrap_err().class(), "permanent");
    let not_found = answering(ResponseTemplate::new(404).set_body_string("Not Found")).await;
    let err = send_to(&not_found, reminder()).await.unwrap_err();
    assert_eq!(err.class(), "permanent");
    assert!(err.reason().contains("HTTP 404"), "{err}");
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_or_a_minute() {
    let server =
        answering(graph_error(429, 130429, "(#130429) Rate limit hit").insert_header("Retry-After", "12"))
            .await;
    let err = send_to(&server, reminder()).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(12)));

    for code in [80007, 131056] {
        let server = answering(graph_error(400, code, "rate limit")).await;
        let err = send_to(&server, reminder()).await.unwrap_err();
        assert_eq!(err.retry_after(), Some(Duration::from_secs(60)), "{code}: {err}");
    }
}

#[tokio::test]
async fn server_errors_are_transient() {
    for status in [500, 503] {
        let server = answering(graph_error(status, 131000, "Something went wrong")).await;
        assert_eq!(send_to(&server, reminder()).await.unwrap_err().class(), "transient", "{status}");
        let bare = answering(ResponseTemplate::new(status)).await;
        assert_eq!(send_to(&bare, reminder()).await.unwrap_err().class(), "transient", "{status}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let channel = WhatsappCloud::new(&settings(support::refused_base_url())).unwrap();
    let err = channel.send("r-1", &reminder().into()).await.unwrap_err();
    assert_eq!(err.class(), "transient");
    assert!(err.reason().contains("could not be reached"), "{err}");
}

#[tokio::test]
async fn bad_numbers_parameters_and_media_are_refused_without_a_request() {
    let server = answering(accepted()).await;
    let channel = WhatsappCloud::new(&settings(server.uri())).unwrap();
    let national = WhatsappMessage { to: "015112345678".into(), ..reminder() };
    assert!(channel.send("r-1", &national.into()).await.unwrap_err().reason().starts_with("invalid to:"));
    let mut newline = reminder();
    newline.template.as_mut().unwrap().body_parameters[0] = "RE-1\nRE-2".into();
    let err = channel.send("r-2", &newline.into()).await.unwrap_err();
    assert!(err.reason().starts_with("invalid template.body_parameters[0]"), "{err}");
    let sms = OutgoingMessage::Sms(mahnwerk_channels::SmsMessage {
        to: "+4915112345678".into(),
        sender_id: None,
        body: "x".into(),
    });
    assert!(!channel.send("r-3", &sms).await.unwrap_err().is_retryable());
    assert!(server.received_requests().await.unwrap().is_empty());
}
