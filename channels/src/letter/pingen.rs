//! Letters printed and posted by Pingen (pingen.com), the DACH print-and-mail provider, through its
//! API v2. Pingen reads the recipient from the address window of the PDF's first page
//! (`address_position: left`), which is where [`render_pdf`](super::render_pdf) prints it
//! (DIN 5008 form B), so the PDF is all Pingen needs.
//!
//! One send is four requests, as Pingen's official SDKs make them (pingencom/pingen2-sdk-js,
//! -rust, -go, -python):
//! 1. `POST {identity_url}/auth/access-tokens`, form-encoded `grant_type=client_credentials`,
//!    `client_id`, `client_secret`, `scope`: an OAuth2 bearer token with `expires_in` seconds. It is
//!    cached until a minute before it expires, and one fetch serves all concurrent sends. (The
//!    newest SDKs post the same path on the API host; both hosts answer it — set `identity_url` to
//!    the API host if Pingen ever retires the identity host.)
//! 2. `GET {api_url}/file-upload`: `data.attributes.url` (a presigned upload URL) and
//!    `url_signature`.
//! 3. `PUT` the PDF to that URL, without our bearer token (the URL carries its own signature).
//! 4. `POST {api_url}/organisations/{organisation_id}/deliveries/letters`, JSON:API
//!    (`application/vnd.api+json`): `data.type = "letters"` with `file_original_name`, `file_url`,
//!    `file_url_signature`, `address_position`, `auto_send: true`, `delivery_product`, `print_mode`
//!    and `print_spectrum` (all three required with `auto_send`). The answer's `data.id` is the
//!    letter id, which Pingen's webhooks name again. (The older Python SDK posted to
//!    `/organisations/{id}/letters`; the current SDKs use `/deliveries/letters`.)
//!
//! A `401` from the API means the cached token died early (revoked, clock skew): the token is
//! fetched again once and the request repeated.
//!
//! Idempotency: Pingen's JavaScript SDK sends an `Idempotency-Key` header on every POST and PATCH
//! and reuses it across its retries "so the server can deduplicate", which says the API honours
//! it; the header is not in the public API reference we could read, so how long Pingen remembers
//! a key is unknown. The reminder's key is sent there on the create request. The PDF is uploaded
//! again on each attempt (an upload URL is short-lived), so a retried create carries a different
//! `file_url`; if Pingen compared bodies under one key it would refuse the retry, and that
//! refusal is classified like any other 4xx (permanent).
//!
//! Addresses: the create call cannot refuse the recipient (Pingen reads the address from the PDF
//! afterwards, while the letter is `validating`), so no reply here says the address is dead. A
//! letter Pingen cannot process comes back as an `issues` webhook, one the post returns as an
//! `undeliverable` webhook; both are handled where the webhooks arrive.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::error::check_idempotency_key;
use crate::http;
use crate::{Channel, ChannelKind, OutgoingMessage, SendError, SendReceipt};

/// The header carrying the reminder's idempotency key on the create request.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Pingen's production hosts.
pub const DEFAULT_IDENTITY_URL: &str = "https://identity.pingen.com";
pub const DEFAULT_API_URL: &str = "https://api.pingen.com";
/// JSON:API's media type, which Pingen's API speaks.
const JSON_API: &str = "application/vnd.api+json";
/// A token is renewed this long before Pingen says it expires, so it never dies in flight.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// The values Pingen accepts (its SDKs' enums).
const DELIVERY_PRODUCTS: [&str; 5] = ["cheap", "fast", "bulk", "premium", "registered"];
const PRINT_MODES: [&str; 2] = ["simplex", "duplex"];
const PRINT_SPECTRUMS: [&str; 2] = ["grayscale", "color"];

/// How to reach Pingen. Deserialises from config (`[pingen]`) with Pingen's production hosts,
/// scope `letter`, `cheap` delivery, `simplex`, `grayscale` and a 30-second timeout unless given.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingenSettings {
    /// The OAuth client of the Pingen organisation (Pingen: Settings → API).
    pub client_id: String,
    pub client_secret: SecretString,
    /// The organisation's UUID, the path segment of every letter.
    pub organisation_id: String,
    /// The signing key given to Pingen's webhooks; the service's API checks their `Signature`
    /// with it. Sending does not use it.
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// Where tokens come from; staging is `https://identity-staging.pingen.com`.
    #[serde(default = "default_identity_url")]
    pub identity_url: String,
    /// The API; staging is `https://api-staging.pingen.com`.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// OAuth scopes asked for, space-separated; sending letters needs `letter`.
    #[serde(default = "default_scope")]
    pub scope: String,
    /// `cheap`, `fast`, `bulk`, `premium` or `registered` (what the destination country offers).
    #[serde(default = "default_delivery_product")]
    pub delivery_product: String,
    /// `simplex` or `duplex`.
    #[serde(default = "default_print_mode")]
    pub print_mode: String,
    /// `grayscale` or `color`.
    #[serde(default = "default_print_spectrum")]
    pub print_spectrum: String,
    /// Limit on each request, in seconds in config.
    #[serde(default = "http::default_timeout", deserialize_with = "http::seconds")]
    pub timeout: Duration,
}

fn default_identity_url() -> String {
    DEFAULT_IDENTITY_URL.to_owned()
}
fn default_api_url() -> String {
    DEFAULT_API_URL.to_owned()
}
fn default_scope() -> String {
    "letter".to_owned()
}
fn default_delivery_product() -> String {
    "cheap".to_owned()
}
fn default_print_mode() -> String {
    "simplex".to_owned()
}
fn default_print_spectrum() -> String {
    "grayscale".to_owned()
}

impl PingenSettings {
    /// Settings with the config defaults for everything but the credentials and organisation.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: SecretString,
        organisation_id: impl Into<String>,
    ) -> Self {
        PingenSettings {
            client_id: client_id.into(),
            client_secret,
            organisation_id: organisation_id.into(),
            webhook_secret: None,
            identity_url: default_identity_url(),
            api_url: default_api_url(),
            scope: default_scope(),
            delivery_product: default_delivery_product(),
            print_mode: default_print_mode(),
            print_spectrum: default_print_spectrum(),
            timeout: http::DEFAULT_TIMEOUT,
        }
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), PingenSettingsError> {
        for (field, value) in [
            ("client_id", &self.client_id),
            ("organisation_id", &self.organisation_id),
            ("scope", &self.scope),
        ] {
            if value.trim().is_empty() {
                return Err(PingenSettingsError::Empty(field));
            }
        }
        if self.client_secret.expose_secret().is_empty() {
            return Err(PingenSettingsError::Empty("client_secret"));
        }
        if self.webhook_secret.as_ref().is_some_and(|s| s.expose_secret().is_empty()) {
            return Err(PingenSettingsError::Empty("webhook_secret"));
        }
        for (field, value, allowed) in [
            ("delivery_product", &self.delivery_product, &DELIVERY_PRODUCTS[..]),
            ("print_mode", &self.print_mode, &PRINT_MODES[..]),
            ("print_spectrum", &self.print_spectrum, &PRINT_SPECTRUMS[..]),
        ] {
            if !allowed.contains(&value.as_str()) {
                return Err(PingenSettingsError::NotOneOf {
                    field,
                    value: value.clone(),
                    allowed: allowed.join(", "),
                });
            }
        }
        http::base_url(&self.identity_url).map_err(|e| PingenSettingsError::Url("identity_url", e))?;
        http::base_url(&self.api_url).map_err(|e| PingenSettingsError::Url("api_url", e))?;
        Ok(())
    }
}

// Written by hand so the secrets can never reach a log line.
impl fmt::Debug for PingenSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PingenSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("organisation_id", &self.organisation_id)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "[redacted]"))
            .field("identity_url", &self.identity_url)
            .field("api_url", &self.api_url)
            .field("scope", &self.scope)
            .field("delivery_product", &self.delivery_product)
            .field("print_mode", &self.print_mode)
            .field("print_spectrum", &self.print_spectrum)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Pingen settings that cannot work, found when the transport is built rather than on first send.
/// Each names its field under `pingen.`.
#[derive(Debug, thiserror::Error)]
pub enum PingenSettingsError {
    #[error("pingen.{0} must not be empty")]
    Empty(&'static str),
    #[error("pingen.{field}: {value:?} is not one of {allowed}")]
    NotOneOf { field: &'static str, value: String, allowed: String },
    #[error("pingen.{0}: {1}")]
    Url(&'static str, String),
    #[error("could not build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A bearer token and when to stop using it.
struct Token {
    value: SecretString,
    renew_at: Instant,
}

/// Sends letters through Pingen: prints the PDF, uploads it, and creates the letter with
/// `auto_send`, so Pingen prints and posts it once it has checked it.
pub struct PingenLetters {
    client: Client,
    token_url: Url,
    upload_url: Url,
    letters_url: Url,
    client_id: String,
    client_secret: SecretString,
    scope: String,
    delivery_product: String,
    print_mode: String,
    print_spectrum: String,
    // A tokio lock, held while a token is fetched, so concurrent sends wait for one fetch.
    token: Mutex<Option<Token>>,
}

impl fmt::Debug for PingenLetters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PingenLetters")
            .field("letters_url", &self.letters_url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: u64,
}

/// `{"data": {"id": …, "attributes": {…}}}`, the shape of every JSON:API answer.
#[derive(Deserialize)]
struct Document<A> {
    data: Resource<A>,
}

#[derive(Deserialize)]
struct Resource<A> {
    #[serde(default)]
    id: Option<String>,
    attributes: A,
}

#[derive(Deserialize)]
struct Upload {
    url: String,
    url_signature: String,
}

/// JSON:API errors: `{"errors": [{"code", "title", "detail", "source": {"pointer"}}]}`.
#[derive(Deserialize)]
struct Errors {
    errors: Vec<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<String>,
    title: Option<String>,
    detail: Option<String>,
    source: Option<ErrorSource>,
}

#[derive(Deserialize)]
struct ErrorSource {
    pointer: Option<String>,
}

impl PingenLetters {
    pub fn new(settings: &PingenSettings) -> Result<Self, PingenSettingsError> {
        settings.validate()?;
        let identity = http::base_url(&settings.identity_url)
            .map_err(|e| PingenSettingsError::Url("identity_url", e))?;
        let api = http::base_url(&settings.api_url).map_err(|e| PingenSettingsError::Url("api_url", e))?;
        Ok(PingenLetters {
            client: http::client(settings.timeout)?,
            token_url: http::endpoint(&identity, &["auth", "access-tokens"]),
            upload_url: http::endpoint(&api, &["file-upload"]),
            letters_url: http::endpoint(
                &api,
                &["organisations", &settings.organisation_id, "deliveries", "letters"],
            ),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            scope: settings.scope.clone(),
            delivery_product: settings.delivery_product.clone(),
            print_mode: settings.print_mode.clone(),
            print_spectrum: settings.print_spectrum.clone(),
            token: Mutex::new(None),
        })
    }

    /// The cached token, or a new one when there is none, it is due for renewal, or `stale` (the
    /// token the API just refused) is still the cached one.
    async fn token(&self, stale: Option<&SecretString>) -> Result<SecretString, SendError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref() {
            let refused = stale.is_some_and(|s| s.expose_secret() == token.value.expose_secret());
            if !refused && Instant::now() < token.renew_at {
                return Ok(token.value.clone());
            }
        }
        *cached = None;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("scope", self.scope.as_str()),
        ];
        let response = self
            .client
            .post(self.token_url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| http::unreachable("pingen identity", e))?;
        let status = response.status();
        let retry_after = http::retry_after(response.headers());
        let body = response.bytes().await.unwrap_or_default();
        if !status.is_success() {
            let mut error = classify("pingen token request", status, retry_after, &body);
            if matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED) {
                error = SendError::permanent(format!(
                    "{}; check pingen.client_id, client_secret and scope",
                    error.reason()
                ));
            }
            return Err(error);
        }
        let reply: TokenReply = serde_json::from_slice(&body)
            .map_err(|e| SendError::transient(format!("pingen token reply unreadable: {e}")))?;
        let lifetime = Duration::from_secs(reply.expires_in).saturating_sub(TOKEN_MARGIN);
        let value = SecretString::from(reply.access_token);
        *cached = Some(Token { value: value.clone(), renew_at: Instant::now() + lifetime });
        tracing::debug!(expires_in = reply.expires_in, "pingen token fetched");
        Ok(value)
    }

    /// Sends the request `build` makes with a bearer token; on a 401 once more with a new token.
    /// The reply's body when it succeeded, else the failure classified.
    async fn api(&self, what: &str, build: impl Fn(&str) -> RequestBuilder) -> Result<Vec<u8>, SendError> {
        let mut token = self.token(None).await?;
        let mut renewed = false;
        loop {
            let response = build(token.expose_secret())
                .header(ACCEPT, JSON_API)
                .send()
                .await
                .map_err(|e| http::unreachable("pingen", e))?;
            let status = response.status();
            let retry_after = http::retry_after(response.headers());
            let body = response.bytes().await.unwrap_or_default().to_vec();
            if status.is_success() {
                return Ok(body);
            }
            if status == StatusCode::UNAUTHORIZED && !renewed {
                tracing::info!("pingen refused the cached token; fetching a new one");
                token = self.token(Some(&token)).await?;
                renewed = true;
                continue;
            }
            return Err(classify(what, status, retry_after, &body));
        }
    }

    /// Steps 2 and 3: an upload URL, and the PDF put there.
    async fn upload(&self, pdf: Vec<u8>) -> Result<Upload, SendError> {
        let body = self
            .api("pingen file-upload", |token| self.client.get(self.upload_url.clone()).bearer_auth(token))
            .await?;
        let upload = serde_json::from_slice::<Document<Upload>>(&body)
            .map_err(|e| SendError::transient(format!("pingen file-upload reply unreadable: {e}")))?
            .data
            .attributes;
        let url = Url::parse(&upload.url).map_err(|e| {
            SendError::transient(format!("pingen gave an upload URL that does not parse: {e}"))
        })?;
        let response =
            self.client.put(url).body(pdf).send().await.map_err(|e| http::unreachable("pingen upload", e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(upload);
        }
        let retry_after = http::retry_after(response.headers());
        let body = response.bytes().await.unwrap_or_default();
        let error = classify("pingen upload", status, retry_after, &body);
        // An upload URL is short-lived and used once: a refused upload (e.g. an expired signature)
        // is worth a retry with a fresh URL. Only a file too large stays too large.
        Err(match error {
            SendError::Permanent { reason } if status != StatusCode::PAYLOAD_TOO_LARGE => {
                SendError::transient(reason)
            }
            other => other,
        })
    }

    /// Step 4: the letter, sent as soon as Pingen has checked it.
    async fn create(&self, idempotency_key: &str, upload: &Upload) -> Result<String, SendError> {
        let document = json!({"data": {"type": "letters", "attributes": {
            "file_original_name": format!("{idempotency_key}.pdf"),
            "file_url": upload.url,
            "file_url_signature": upload.url_signature,
            "address_position": "left",
            "auto_send": true,
            "delivery_product": self.delivery_product,
            "print_mode": self.print_mode,
            "print_spectrum": self.print_spectrum,
        }}});
        let body = serde_json::to_vec(&document).expect("a JSON value serialises");
        let reply = self
            .api("pingen letter create", |token| {
                self.client
                    .post(self.letters_url.clone())
                    .bearer_auth(token)
                    .header(CONTENT_TYPE, JSON_API)
                    .header(IDEMPOTENCY_HEADER, idempotency_key)
                    .body(body.clone())
            })
            .await?;
        match serde_json::from_slice::<Document<serde_json::Value>>(&reply).ok().and_then(|d| d.data.id) {
            Some(id) => Ok(id),
            // Pingen took the letter; a retry would post it twice. Say so rather than fail.
            None => {
                tracing::warn!("pingen accepted a letter without a readable id");
                Ok(format!("pingen-unknown-{idempotency_key}"))
            }
        }
    }
}

#[async_trait]
impl Channel for PingenLetters {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Letter
    }

    /// The receipt's `provider_id` is Pingen's letter id (a UUID).
    #[tracing::instrument(skip_all, fields(channel = "letter", transport = "pingen"))]
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let OutgoingMessage::Letter(letter) = message else {
            return Err(SendError::wrong_medium(ChannelKind::Letter, message.kind()));
        };
        check_idempotency_key(idempotency_key)?;
        let pdf = super::render_pdf(letter)?;
        let upload = self.upload(pdf).await?;
        let provider_id = self.create(idempotency_key, &upload).await?;
        tracing::debug!(provider_id = %provider_id, "letter accepted by pingen");
        Ok(SendReceipt { provider_id })
    }
}

/// Maps a failed reply to a retry class: 429 waits, 5xx retries, every other status is final.
fn classify(what: &str, status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> SendError {
    let detail = match serde_json::from_slice::<Errors>(body) {
        Ok(Errors { errors }) if !errors.is_empty() => errors
            .iter()
            .map(|e| {
                let mut text = String::new();
                if let Some(code) = &e.code {
                    text.push_str(&format!("[{code}] "));
                }
                text.push_str(e.detail.as_deref().or(e.title.as_deref()).unwrap_or("no detail"));
                if let Some(pointer) = e.source.as_ref().and_then(|s| s.pointer.as_deref()) {
                    text.push_str(&format!(" ({pointer})"));
                }
                http::redact(&text)
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => http::redact(&http::excerpt(&String::from_utf8_lossy(body), 200)),
    };
    let reason = format!("{what} answered HTTP {}: {detail}", status.as_u16());
    http::by_status(status, retry_after, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PingenSettings {
        PingenSettings::new("client-1", SecretString::from("very-secret"), "org-1")
    }

    #[test]
    fn config_defaults_and_debug_without_secrets() {
        let parsed: PingenSettings = toml::from_str(
            "client_id = \"c\"\nclient_secret = \"very-secret\"\norganisation_id = \"o\"\nwebhook_secret = \"hook-secret\"\n",
        )
        .unwrap();
        assert_eq!(parsed.identity_url, "https://identity.pingen.com");
        assert_eq!(parsed.api_url, "https://api.pingen.com");
        assert_eq!((parsed.scope.as_str(), parsed.delivery_product.as_str()), ("letter", "cheap"));
        assert_eq!((parsed.print_mode.as_str(), parsed.print_spectrum.as_str()), ("simplex", "grayscale"));
        assert_eq!(parsed.timeout, Duration::from_secs(30));
        let printed = format!("{parsed:?} {:?}", PingenLetters::new(&parsed).unwrap());
        assert!(!printed.contains("very-secret") && !printed.contains("hook-secret"), "{printed}");
        assert!(toml::from_str::<PingenSettings>(
            "client_id = \"c\"\nclient_secret = \"s\"\norganisation_id = \"o\"\nsecret = \"x\""
        )
        .is_err());
    }

    /// Breaks one field of the settings.
    type Breakage = fn(&mut PingenSettings);

    #[test]
    fn bad_settings_name_their_field() {
        let cases: [(Breakage, &str); 6] = [
            (|s| s.client_id = " ".into(), "pingen.client_id"),
            (|s| s.organisation_id = String::new(), "pingen.organisation_id"),
            (|s| s.delivery_product = "express".into(), "pingen.delivery_product"),
            (|s| s.print_mode = "both".into(), "pingen.print_mode"),
            (|s| s.print_spectrum = "colour".into(), "pingen.print_spectrum"),
            (|s| s.api_url = "api.pingen.com".into(), "pingen.api_url"),
        ];
        for (break_it, named) in cases {
            let mut bad = settings();
            break_it(&mut bad);
            let error = PingenLetters::new(&bad).unwrap_err().to_string();
            assert!(error.starts_with(named), "{error}");
        }
        settings().validate().unwrap();
    }

    #[test]
    fn the_organisation_is_one_encoded_path_segment() {
        let mut odd = settings();
        odd.organisation_id = "o/../x".into();
        let letters = PingenLetters::new(&odd).unwrap();
        assert_eq!(letters.letters_url.path(), "/organisations/o%2F..%2Fx/deliveries/letters");
        assert_eq!(letters.token_url.as_str(), "https://identity.pingen.com/auth/access-tokens");
    }

    #[test]
    fn errors_quote_json_api_errors_and_keep_the_class() {
        let body = br#"{"errors":[{"code":"validation","title":"Invalid","detail":"The delivery product is not available.","source":{"pointer":"/data/attributes/delivery_product"}}]}"#;
        let err = classify("pingen letter create", StatusCode::UNPROCESSABLE_ENTITY, None, body);
        assert_eq!(err.class(), "permanent");
        assert!(
            err.reason().contains(
                "[validation] The delivery product is not available. (/data/attributes/delivery_product)"
            ),
            "{err}"
        );
        assert_eq!(classify("x", StatusCode::BAD_GATEWAY, None, b"<html>").class(), "transient");
        let limited = classify("x", StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(7)), b"");
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(classify("x", StatusCode::FORBIDDEN, None, b"{}").class(), "permanent");
    }
}
