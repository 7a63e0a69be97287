//! Messenger through the Send API against a wiremock double: the exact request, the 24-hour
//! window, and each kind of failure.

#[path = "support/http.rs"]
mod support;

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use mahnwerk_channels::messenger::{MessengerSend, MessengerSettings};
use mahnwerk_channels::{Channel, ChannelKind, MessengerMessage, SendError};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MESSAGES: &str = "/v25.0/me/messages";

fn settings(base_url: String) -> MessengerSettings {
    let mut settings = MessengerSettings::new(SecretString::from("EAAB-page-token"));
    settings.base_url = base_url;
    settings
}

fn reminder(minutes_since_debtor_wrote: Option<i64>) -> MessengerMessage {
    MessengerMessage {
        psid: "6254897654321".into(),
        text: "Acme: Rechnung RE-2026-0042 ist offen. https://pay.example/p/abc".into(),
        last_inbound_at: minutes_since_debtor_wrote.map(|m| Utc::now() - TimeDelta::minutes(m)),
    }
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(MESSAGES)).respond_with(template).mount(&server).await;
    server
}

async fn send_to(server: &MockServer, message: MessengerMessage) -> Result<String, SendError> {
    let channel = MessengerSend::new(&settings(server.uri())).unwrap();
    channel.send("r-42", &message.into()).await.map(|receipt| receipt.provider_id)
}

fn graph_error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> ResponseTemplate {
    let mut error = json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ab"});
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    ResponseTemplate::new(status).set_body_json(json!({ "error": error }))
}

#[tokio::test]
async fn inside_the_window_the_text_goes_out_as_an_update_with_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(query_param_is_missing("access_token"))
        .and(header("authorization", "Bearer EAAB-page-token"))
        .and(body_json(json!({
            "recipient": {"id": "6254897654321"},
            "messaging_type": "UPDATE",
            "message": {"text": "Acme: Rechnung RE-2026-0042 ist offen. https://pay.example/p/abc", "metadata": "r-42"}
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"recipient_id": "6254897654321", "message_id": "m_AG5Hz2"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let channel = MessengerSend::new(&settings(server.uri())).unwrap();
    assert_eq!(channel.kind(), ChannelKind::Messenger);

    let receipt = channel.send("r-42", &reminder(Some(90)).into()).await.unwrap();

    assert_eq!(receipt.provider_id, "m_AG5Hz2");
}

#[tokio::test]
async fn outside_the_window_no_tag_is_tried_and_nothing_is_sent() {
    let server = answering(ResponseTemplate::new(200).set_body_json(json!({"message_id": "m_1"}))).await;
    for outside in [Some(24 * 60 + 5), None] {
        let err = send_to(&server, reminder(outside)).await.unwrap_err();
        assert!(!err.is_retryable(), "{err}");
        assert!(err.reason().contains("no Messenger message tag permits a payment reminder"), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_window_meta_saw_closed_is_permanent() {
    // Our clock and Meta's disagree at the edge of the window: Meta's answer is final.
    let server = answering(graph_error(
        400,
        10,
        Some(2018278),
        "(#10) This message is sent outside of allowed window.",
    ))
    .await;
    let err = send_to(&server, reminder(Some(24 * 60 - 1))).await.unwrap_err();
    assert_eq!(err.class(), "permanent");
    assert!(err.reason().contains("code 10/2018278 (outside the 24-hour messaging window)"), "{err}");
}

#[tokio::test]
async fn unavailable_and_unknown_people_are_unreachable() {
    for (code, subcode) in [(551, None), (200, Some(1545041)), (100, Some(2018001))] {
        let server =
            answering(graph_error(400, code, subcode, "This person isn't available right now.")).await;
        let err = send_to(&server, reminder(Some(5))).await.unwrap_err();
        assert_eq!(err.class(), "unreachable", "{code}: {err}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn an_invalid_token_and_an_unknown_path_are_permanent() {
    let server = answering(graph_error(401, 190, None, "Invalid OAuth access token.")).await;
    assert!(send_to(&server, reminder(Some(5))).await.unwrap_err().reason().contains("access token"));
    let not_found = answering(ResponseTemplate::new(404)).await;
    assert_eq!(send_to(&not_found, reminder(Some(5))).await.unwrap_err().class(), "permanent");
}

#[tokio::test]
async fn rate_limits_wait() {
    let server = answering(
        graph_error(429, 613, None, "Calls to this api have exceeded the rate limit.")
            .insert_header("Retry-After", "30"),
    )
    .await;
    let err = send_to(&server, reminder(Some(5))).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    let app_limit = answering(graph_error(400, 4, None, "Application request limit reached")).await;
    assert_eq!(send_to(&app_limit, reminder(Some(5))).await.unwrap_err().class(), "retry_after");
}

#[tokio::test]
async fn server_errors_and_refused_connections_are_transient() {
    for status in [500, 503] {
        let server = answering(graph_error(status, 2, None, "An unexpected error has occurred.")).await;
        assert_eq!(send_to(&server, reminder(Some(5))).await.unwrap_err().class(), "transient", "{status}");
    }
    let channel = MessengerSend::new(&settings(support::refused_base_url())).unwrap();
    let err = channel.send("r-1", &reminder(Some(5)).into()).await.unwrap_err();
    assert_eq!(err.class(), "transient");
}
