//! Letters through Pingen against a wiremock double standing in for the identity host, the API
//! and the presigned upload URL: the exact requests, token caching and renewal, and each kind of
//! failure.

#[path = "support/http.rs"]
mod support;

use std::time::Duration;

use mahnwerk_channels::letter::{PingenLetters, PingenSettings};
use mahnwerk_channels::{Channel, ChannelKind, LetterMessage, OutgoingMessage, SendError, SmsMessage};
use secrecy::SecretString;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ORG: &str = "8a4b9b1e-0c5d-4e2f-9a7b-3c1d2e4f5a6b";
const LETTERS: &str = "/organisations/8a4b9b1e-0c5d-4e2f-9a7b-3c1d2e4f5a6b/deliveries/letters";
const LETTER_ID: &str = "f1e2d3c4-b5a6-4789-8abc-def012345678";

fn settings(server: &MockServer) -> PingenSettings {
    let mut settings = PingenSettings::new("client-7", SecretString::from("client-secret-7"), ORG);
    settings.identity_url = server.uri();
    settings.api_url = server.uri();
    settings.delivery_product = "fast".into();
    settings
}

fn letter() -> OutgoingMessage {
    OutgoingMessage::Letter(LetterMessage {
        sender_lines: vec!["Stadtwerke Musterstadt".into(), "Hauptstr. 1".into(), "10115 Berlin".into()],
        recipient_lines: vec!["Erika Mustermann".into(), "Musterstr. 1".into(), "10115 Berlin".into()],
        subject: "Zahlungserinnerung RE-1".into(),
        body: "Bitte zahlen Sie.".into(),
        ..Default::default()
    })
}

fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).expect("a form body")
}

/// A token, an upload URL on the same server, an accepted upload; the create answer is given.
async fn pingen(create: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    grant_tokens(&server, "tok-1").await;
    let upload = format!("{}/upload/abc123?X-Amz-Signature=presigned", server.uri());
    Mock::given(method("GET"))
        .and(path("/file-upload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "id": "u-1", "type": "file_uploads",
            "attributes": {"url": upload, "url_signature": "sig-of-upload", "expires_at": "2026-01-05T10:00:00+0100"}}})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/upload/abc123"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path(LETTERS)).respond_with(create).mount(&server).await;
    server
}

/// Pingen's identity endpoint, granting `token` for twelve hours to every request.
async fn grant_tokens(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path("/auth/access-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token_type": "Bearer", "access_token": token, "expires_in": 43200})),
        )
        .mount(server)
        .await;
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"data": {"id": LETTER_ID, "type": "letters",
        "attributes": {"status": "validating", "file_original_name": "r-42.pdf"}}}))
}

async fn requests_to(server: &MockServer, verb: &str, route: &str) -> Vec<Request> {
    let all = server.received_requests().await.expect("recording is on");
    all.into_iter().filter(|r| r.method.as_str() == verb && r.url.path() == route).collect()
}

async fn send_to(server: &MockServer) -> Result<String, SendError> {
    let channel = PingenLetters::new(&settings(server)).unwrap();
    channel.send("r-42", &letter()).await.map(|receipt| receipt.provider_id)
}

#[tokio::test]
async fn token_upload_and_create_are_the_documented_requests() {
    let server = pingen(created()).await;
    let channel = PingenLetters::new(&settings(&server)).unwrap();
    assert_eq!(channel.kind(), ChannelKind::Letter);

    let receipt = channel.send("r-42", &letter()).await.unwrap();
    assert_eq!(receipt.provider_id, LETTER_ID);

    let token = requests_to(&server, "POST", "/auth/access-tokens").await;
    assert_eq!(token.len(), 1);
    assert_eq!(
        form(&token[0]),
        [
            ("grant_type", "client_credentials"),
            ("client_id", "client-7"),
            ("client_secret", "client-secret-7"),
            ("scope", "letter"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(token[0].headers["content-type"], "application/x-www-form-urlencoded");
    assert!(!token[0].headers.contains_key("authorization"), "credentials travel in the form");

    let upload = requests_to(&server, "GET", "/file-upload").await;
    assert_eq!(upload[0].headers["authorization"], "Bearer tok-1");

    let put = requests_to(&server, "PUT", "/upload/abc123").await;
    assert_eq!(put.len(), 1);
    assert!(put[0].body.starts_with(b"%PDF-"), "the printed letter is uploaded");
    assert_eq!(put[0].url.query(), Some("X-Amz-Signature=presigned"), "the presigned URL as given");
    assert!(!put[0].headers.contains_key("authorization"), "a presigned URL takes no bearer token");

    let create = requests_to(&server, "POST", LETTERS).await;
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].headers["authorization"], "Bearer tok-1");
    assert_eq!(create[0].headers["content-type"], "application/vnd.api+json");
    assert_eq!(create[0].headers["accept"], "application/vnd.api+json");
    assert_eq!(create[0].headers["idempotency-key"], "r-42");
    let body: Value = serde_json::from_slice(&create[0].body).unwrap();
    assert_eq!(
        body,
        json!({"data": {"type": "letters", "attributes": {
            "file_original_name": "r-42.pdf",
            "file_url": format!("{}/upload/abc123?X-Amz-Signature=presigned", server.uri()),
            "file_url_signature": "sig-of-upload",
            "address_position": "left",
            "auto_send": true,
            "delivery_product": "fast",
            "print_mode": "simplex",
            "print_spectrum": "grayscale"
        }}})
    );
    assert!(!body.to_string().contains("Erika"), "the address travels only inside the PDF");
}

#[tokio::test]
async fn one_token_serves_many_letters() {
    let server = pingen(created()).await;
    let channel = PingenLetters::new(&settings(&server)).unwrap();
    channel.send("r-1", &letter()).await.unwrap();
    channel.send("r-2", &letter()).await.unwrap();
    assert_eq!(requests_to(&server, "POST", "/auth/access-tokens").await.len(), 1);
    assert_eq!(requests_to(&server, "POST", LETTERS).await.len(), 2);
}

#[tokio::test]
async fn a_token_refused_mid_way_is_renewed_once() {
    let server = MockServer::start().await;
    // The first token dies early; the second one works.
    Mock::given(method("POST"))
        .and(path("/auth/access-tokens"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "old", "expires_in": 43200})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/access-tokens"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "new", "expires_in": 43200})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/file-upload"))
        .and(header("authorization", "Bearer old"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errors": [{"code": "401", "title": "Unauthenticated."}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/file-upload"))
        .and(header("authorization", "Bearer new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"attributes": {
            "url": format!("{}/upload/x", server.uri()), "url_signature": "s"}}})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/upload/x"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(LETTERS))
        .and(header("authorization", "Bearer new"))
        .respond_with(created())
        .mount(&server)
        .await;

    assert_eq!(send_to(&server).await.unwrap(), LETTER_ID);
    assert_eq!(requests_to(&server, "POST", "/auth/access-tokens").await.len(), 2);
    assert_eq!(requests_to(&server, "GET", "/file-upload").await.len(), 2);
}

#[tokio::test]
async fn a_token_refused_twice_is_permanent() {
    let server = MockServer::start().await;
    grant_tokens(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/file-upload"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"errors": [{"title": "Unauthenticated."}]})),
        )
        .mount(&server)
        .await;
    let err = send_to(&server).await.unwrap_err();
    assert_eq!(err.class(), "permanent", "{err}");
    assert!(err.reason().contains("HTTP 401") && err.reason().contains("Unauthenticated."), "{err}");
    assert_eq!(requests_to(&server, "POST", "/auth/access-tokens").await.len(), 2, "renewed once, not more");
}

#[tokio::test]
async fn bad_credentials_are_permanent_and_name_the_settings() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/access-tokens"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let err = send_to(&server).await.unwrap_err();
    assert_eq!(err.class(), "permanent");
    assert!(err.reason().contains("pingen.client_id"), "{err}");
    assert!(!err.reason().contains("client-secret-7"), "{err}");
}

#[tokio::test]
async fn too_many_requests_waits_as_long_as_retry_after_says() {
    let server = pingen(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "17")
            .set_body_json(json!({"errors": [{"code": "429", "title": "Too Many Attempts."}]})),
    )
    .await;
    let err = send_to(&server).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(17)));
    assert!(err.reason().contains("Too Many Attempts."), "{err}");
}

#[tokio::test]
async fn server_errors_are_transient() {
    for status in [500, 503] {
        let server = pingen(ResponseTemplate::new(status).set_body_string("<html>maintenance</html>")).await;
        let err = send_to(&server).await.unwrap_err();
        assert_eq!(err.class(), "transient", "{status}: {err}");
        assert!(err.reason().contains(&format!("pingen letter create answered HTTP {status}")), "{err}");
    }
}

#[tokio::test]
async fn a_refused_letter_is_permanent_with_pingens_reason() {
    let server = pingen(ResponseTemplate::new(422).set_body_json(json!({"errors": [{
        "code": "validation_failed", "title": "Unprocessable Entity",
        "detail": "The selected delivery product is invalid.",
        "source": {"pointer": "/data/attributes/delivery_product"}}]})))
    .await;
    let err = send_to(&server).await.unwrap_err();
    assert_eq!(err.class(), "permanent");
    assert!(
        err.reason().contains("[validation_failed] The selected delivery product is invalid. (/data/attributes/delivery_product)"),
        "{err}"
    );
    for status in [403, 404] {
        let server =
            pingen(ResponseTemplate::new(status).set_body_json(json!({"errors": [{"title": "nope"}]}))).await;
        assert_eq!(send_to(&server).await.unwrap_err().class(), "permanent", "{status}");
    }
}

#[tokio::test]
async fn a_refused_upload_is_retried_with_a_fresh_url() {
    let server = MockServer::start().await;
    grant_tokens(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/file-upload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"attributes": {
            "url": format!("{}/upload/x", server.uri()), "url_signature": "s"}}})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/upload/x"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        ))
        .mount(&server)
        .await;
    let err = send_to(&server).await.unwrap_err();
    assert_eq!(err.class(), "transient", "{err}");
    assert!(err.reason().contains("pingen upload answered HTTP 403"), "{err}");
    assert!(requests_to(&server, "POST", LETTERS).await.is_empty(), "no letter without its file");
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let mut settings = PingenSettings::new("c", SecretString::from("s"), ORG);
    settings.identity_url = support::refused_base_url();
    settings.api_url = settings.identity_url.clone();
    let err = PingenLetters::new(&settings).unwrap().send("r-1", &letter()).await.unwrap_err();
    assert_eq!(err.class(), "transient");
    assert!(err.reason().contains("could not be reached"), "{err}");
}

#[tokio::test]
async fn other_media_bad_keys_and_unprintable_letters_are_refused_without_a_request() {
    let server = pingen(created()).await;
    let channel = PingenLetters::new(&settings(&server)).unwrap();
    let sms =
        OutgoingMessage::Sms(SmsMessage { to: "+4915112345678".into(), sender_id: None, body: "x".into() });
    assert!(!channel.send("r-1", &sms).await.unwrap_err().is_retryable());
    assert!(channel.send("../x", &letter()).await.unwrap_err().reason().contains("idempotency_key"));
    let no_address = OutgoingMessage::Letter(LetterMessage {
        subject: "s".into(),
        body: "b".into(),
        ..Default::default()
    });
    let err = channel.send("r-2", &no_address).await.unwrap_err();
    assert!(!err.is_retryable() && err.reason().contains("recipient_lines"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
