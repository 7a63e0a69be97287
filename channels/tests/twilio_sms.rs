//! SMS through Twilio against a wiremock double: the exact request, and each kind of failure.

#[path = "support/http.rs"]
mod support;

use std::time::Duration;

use mahnwerk_channels::sms::{TwilioSettings, TwilioSms};
use mahnwerk_channels::{Channel, ChannelKind, OutgoingMessage, SendError, SmsMessage};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{basic_auth, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const MESSAGES: &str = "/2010-04-01/Accounts/AC0123/Messages.json";

fn settings(server: &MockServer) -> TwilioSettings {
    let mut settings = TwilioSettings::new("AC0123", SecretString::from("auth-token-42"), "+15005550006");
    settings.base_url = server.uri();
    settings
}

fn sms(body: &str) -> OutgoingMessage {
    OutgoingMessage::Sms(SmsMessage { to: "+4915112345678".into(), sender_id: None, body: body.into() })
}

fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).expect("a form body")
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path(MESSAGES)).respond_with(template).mount(&server).await;
    server
}

async fn send_to(server: &MockServer, message: &OutgoingMessage) -> Result<String, SendError> {
    let channel = TwilioSms::new(&settings(server)).unwrap();
    channel.send("r-42", message).await.map(|receipt| receipt.provider_id)
}

#[tokio::test]
async fn posts_the_form_with_basic_auth_and_the_idempotency_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(basic_auth("AC0123", "auth-token-42"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("I-Twilio-Idempotency-Token", "r-42"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM0001", "status": "queued"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut settings = settings(&server);
    settings.status_callback = Some("https://mahnwerk.example/hooks/twilio?t=1".into());
    let channel = TwilioSms::new(&settings).unwrap();
    assert_eq!(channel.kind(), ChannelKind::Sms);

    let receipt = channel.send("r-42", &sms("Acme: Bitte zahlen Sie RE-1 bis 15.10. €")).await.unwrap();

    assert_eq!(receipt.provider_id, "SM0001");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        form(&requests[0]),
        [
            ("To", "+4915112345678"),
            ("From", "+15005550006"),
            ("Body", "Acme: Bitte zahlen Sie RE-1 bis 15.10. €"),
            ("StatusCallback", "https://mahnwerk.example/hooks/twilio?t=1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}

#[tokio::test]
async fn a_messaging_service_sends_and_the_messages_sender_id_wins_over_from() {
    let server = answering(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM2"}))).await;
    let mut settings = settings(&server);
    settings.from = None;
    settings.messaging_service_sid = Some("MG77".into());
    let channel = TwilioSms::new(&settings).unwrap();

    channel.send("r-1", &sms("Hallo")).await.unwrap();
    let named =
        SmsMessage { to: "+4915112345678".into(), sender_id: Some("ACME".into()), body: "Hallo".into() };
    channel.send("r-2", &named.into()).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let fields = |i: usize| form(&requests[i]).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(fields(0), ["To", "MessagingServiceSid", "Body"]);
    assert_eq!(fields(1), ["To", "From", "MessagingServiceSid", "Body"]);
    assert_eq!(form(&requests[1])[1].1, "ACME");
}

#[tokio::test]
async fn a_body_over_the_segment_limit_is_refused_before_any_request() {
    let server = answering(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM3"}))).await;
    let mut settings = settings(&server);
    settings.max_segments = 1;
    let channel = TwilioSms::new(&settings).unwrap();

    let err = channel.send("r-1", &sms(&"a".repeat(161))).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.reason().starts_with("invalid body:"), "{err}");
    assert!(err.reason().contains("2 segments"), "{err}");
    // One typographic quote makes it UCS-2: 70 characters fit, 71 do not.
    assert!(channel.send("r-2", &sms(&format!("„{}", "a".repeat(70)))).await.is_err());
    channel.send("r-3", &sms(&format!("„{}", "a".repeat(69)))).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let bad_number =
        OutgoingMessage::Sms(SmsMessage { to: "015112345678".into(), sender_id: None, body: "x".into() });
    assert!(channel.send("r-4", &bad_number).await.unwrap_err().reason().starts_with("invalid to:"));
}

#[tokio::test]
async fn a_rejected_number_is_unreachable_and_keeps_twilios_code() {
    let server = answering(ResponseTemplate::new(400).set_body_json(json!({
        "code": 21211,
        "message": "The 'To' number +4915112345678 is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400
    })))
    .await;

    let err = send_to(&server, &sms("x")).await.unwrap_err();

    assert_eq!(err.class(), "unreachable");
    assert!(!err.is_retryable());
    assert!(err.reason().contains("HTTP 400"), "{err}");
    assert!(err.reason().contains("error 21211"), "{err}");
    assert!(!err.reason().contains("4915112345678"), "no phone number in logs: {err}");
}

#[tokio::test]
async fn an_unsubscribed_recipient_is_permanent() {
    let server = answering(ResponseTemplate::new(400).set_body_json(json!({
        "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400
    })))
    .await;
    let err = send_to(&server, &sms("x")).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.reason().contains("21610 (the recipient replied STOP"), "{err}");
}

#[tokio::test]
async fn not_found_and_bad_credentials_are_permanent() {
    for (status, code) in [(404, 20404), (401, 20003)] {
        let server = answering(
            ResponseTemplate::new(status)
                .set_body_json(json!({"code": code, "message": "nope", "status": status})),
        )
        .await;
        let err = send_to(&server, &sms("x")).await.unwrap_err();
        assert_eq!(err.class(), "permanent", "{status}: {err}");
        assert!(err.reason().contains(&code.to_string()), "{err}");
    }
}

#[tokio::test]
async fn too_many_requests_waits_as_long_as_retry_after_says() {
    let server = answering(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "7")
            .set_body_json(json!({"code": 20429, "message": "Too Many Requests", "status": 429})),
    )
    .await;
    let err = send_to(&server, &sms("x")).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.reason().contains("20429"), "{err}");
}

#[tokio::test]
async fn server_errors_are_transient() {
    for status in [500, 503] {
        let server = answering(ResponseTemplate::new(status).set_body_string("upstream trouble")).await;
        let err = send_to(&server, &sms("x")).await.unwrap_err();
        assert_eq!(err.class(), "transient", "{status}: {err}");
        assert!(err.reason().contains(&format!("HTTP {status}")), "{err}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let mut settings = TwilioSettings::new("AC0123", SecretString::from("t"), "+15005550006");
    settings.base_url = support::refused_base_url();

    let err = TwilioSms::new(&settings).unwrap().send("r-1", &sms("x")).await.unwrap_err();

    assert_eq!(err.class(), "transient");
    assert!(err.reason().contains("could not be reached"), "{err}");
}

#[tokio::test]
async fn a_slow_answer_times_out_as_transient() {
    let server = answering(
        ResponseTemplate::new(201).set_body_json(json!({"sid": "SM9"})).set_delay(Duration::from_secs(5)),
    )
    .await;
    let mut settings = settings(&server);
    settings.timeout = Duration::from_millis(200);

    let err = TwilioSms::new(&settings).unwrap().send("r-1", &sms("x")).await.unwrap_err();

    assert_eq!(err.class(), "transient");
    assert!(err.reason().contains("timed out"), "{err}");
}

#[tokio::test]
async fn other_media_and_bad_keys_are_refused_without_a_request() {
    let server = answering(ResponseTemplate::new(201).set_body_json(json!({"sid": "SM1"}))).await;
    let channel = TwilioSms::new(&settings(&server)).unwrap();
    let letter = OutgoingMessage::Letter(mahnwerk_channels::LetterMessage {
        sender_lines: vec![],
        recipient_lines: vec![],
        subject: "s".into(),
        body: "b".into(),
        ..Default::default()
    });
    assert!(!channel.send("r-1", &letter).await.unwrap_err().is_retryable());
    assert!(channel.send("../x", &sms("x")).await.unwrap_err().reason().contains("idempotency_key"));
    assert!(server.received_requests().await.unwrap().is_empty());
}
