//! Email over SMTP with lettre: settings, the transport, and how failures map to retry classes.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::{build_email, expect_email, DkimSettings, DkimSettingsError, DkimSigner};
use crate::{Channel, ChannelKind, OutgoingMessage, SendError, SendReceipt};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plaintext. Only for a relay on the same host or in tests.
    None,
    /// Plaintext greeting upgraded with STARTTLS, which is required: the send fails rather than
    /// continue without TLS. Usually port 587.
    #[default]
    StartTls,
    /// TLS from the first byte (SMTPS). Usually port 465.
    Tls,
}

/// Where and how to submit email. Deserialises from config with `port` 587, `security`
/// `"starttls"`, `timeout` 30 seconds and no DKIM signing unless given.
#[derive(Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// Limit on each SMTP command, in seconds in config (`timeout = 30`).
    #[serde(default = "default_timeout", deserialize_with = "seconds")]
    pub timeout: Duration,
    /// Sign every message with this key (`[smtp.dkim]` in config).
    #[serde(default)]
    pub dkim: Option<DkimSettings>,
}

fn default_port() -> u16 {
    587
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

/// Whole or fractional seconds, so config files say `timeout = 30` or `timeout = 2.5`.
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let secs = f64::deserialize(deserializer)?;
    Duration::try_from_secs_f64(secs).map_err(|_| {
        serde::de::Error::custom(format!("timeout must be a non-negative number of seconds, got {secs}"))
    })
}

impl SmtpSettings {
    /// Settings for `host` with the same defaults as config: port 587, STARTTLS, 30 s, no login.
    pub fn new(host: impl Into<String>) -> Self {
        SmtpSettings {
            host: host.into(),
            port: default_port(),
            security: SmtpSecurity::default(),
            username: None,
            password: None,
            timeout: default_timeout(),
            dkim: None,
        }
    }
}

// Written by hand so the password can never reach a log line, whatever `SecretString` prints.
impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("dkim", &self.dkim)
            .finish()
    }
}

/// SMTP settings that cannot work, found when the transport is built rather than on first send.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSettingsError {
    #[error("smtp host {host:?} cannot be used for TLS: {reason}")]
    TlsHost { host: String, reason: String },
    #[error("smtp username and password must be given together")]
    IncompleteCredentials,
    #[error(transparent)]
    Dkim(#[from] DkimSettingsError),
}

/// Sends email through an SMTP server (the creditor's relay or an email provider).
#[derive(Clone)]
pub struct SmtpEmail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    dkim: Option<DkimSigner>,
    /// `host:port`, kept for `Debug` because lettre's own `Debug` would print the credentials.
    server: String,
}

impl fmt::Debug for SmtpEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpEmail").field("server", &self.server).finish_non_exhaustive()
    }
}

impl SmtpEmail {
    pub fn new(settings: &SmtpSettings) -> Result<Self, SmtpSettingsError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(settings.timeout));
        let tls = match settings.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(&settings.host)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(&settings.host)?),
        };
        builder = builder.tls(tls);
        match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                builder =
                    builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_owned()));
            }
            (None, None) => {}
            _ => return Err(SmtpSettingsError::IncompleteCredentials),
        }
        let dkim = settings.dkim.as_ref().map(DkimSigner::new).transpose()?;
        Ok(SmtpEmail {
            transport: builder.build(),
            dkim,
            server: format!("{}:{}", settings.host, settings.port),
        })
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, SmtpSettingsError> {
    TlsParameters::new(host.to_owned())
        .map_err(|e| SmtpSettingsError::TlsHost { host: host.to_owned(), reason: e.to_string() })
}

#[async_trait]
impl Channel for SmtpEmail {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    /// Submits the message; the receipt's `provider_id` is its `Message-ID`, angle brackets
    /// included, which is what bounces and replies quote back.
    #[tracing::instrument(skip_all, fields(channel = "email", transport = "smtp"))]
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let built = build_email(idempotency_key, expect_email(message)?, self.dkim.as_ref())?;
        self.transport.send(built.message).await.map_err(classify)?;
        tracing::debug!(provider_id = %built.message_id, "email accepted by smtp server");
        Ok(SendReceipt { provider_id: built.message_id })
    }
}

/// Maps an SMTP failure to a retry class: a 5xx reply is final, everything else (4xx replies,
/// refused connections, timeouts, broken TLS) may pass on a later attempt.
fn classify(err: lettre::transport::smtp::Error) -> SendError {
    let detail = redact_addresses(&err.to_string());
    if err.is_permanent() && names_a_dead_mailbox(err.status().map(u16::from), &detail) {
        SendError::unreachable(format!("smtp server refused the recipient: {detail}"))
    } else if err.is_permanent() {
        SendError::permanent(format!("smtp server refused the message: {detail}"))
    } else if err.is_transient() {
        SendError::transient(format!("smtp server deferred the message: {detail}"))
    } else if err.is_timeout() {
        SendError::transient(format!("smtp server timed out: {detail}"))
    } else {
        SendError::transient(format!("smtp delivery failed: {detail}"))
    }
}

/// Whether a permanent reply says the recipient's mailbox does not exist or cannot receive mail
/// (a hard bounce), rather than refusing us (relaying, policy, spam, size). RFC 3463 enhanced
/// codes decide where the server gives one: `5.1.x` is a bad destination address, `5.2.1` a
/// disabled mailbox; every `5.7.x` (policy) or other class is about the message or sender.
/// Without an enhanced code, the basic replies 550, 551 and 553 are mailbox answers (RFC 5321).
fn names_a_dead_mailbox(code: Option<u16>, reply: &str) -> bool {
    let enhanced = reply
        .split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')')
        .find(|word| {
            let mut parts = word.split('.');
            matches!(
                (parts.next(), parts.next(), parts.next(), parts.next()),
                (Some("5"), Some(b), Some(c), None)
                    if !b.is_empty() && !c.is_empty() && b.bytes().chain(c.bytes()).all(|x| x.is_ascii_digit())
            )
        });
    match enhanced {
        Some(status) => status.starts_with("5.1.") || status == "5.2.1",
        None => matches!(code, Some(550 | 551 | 553)),
    }
}

/// Servers often quote the recipient in their reply; reasons end up in logs, addresses must not.
fn redact_addresses(text: &str) -> String {
    text.split_whitespace()
        .map(|word| if word.contains('@') { "[address]" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_bounces_are_told_apart_from_refusals_of_us() {
        for (code, reply) in [
            (550, "permanent error (550): 5.1.1 <[address]> user unknown"),
            (550, "permanent error (550): 5.2.1 mailbox disabled"),
            (550, "permanent error (550): no such user here"),
            (553, "permanent error (553): mailbox name not allowed"),
            (551, "permanent error (551): user not local"),
        ] {
            assert!(names_a_dead_mailbox(Some(code), reply), "{reply}");
        }
        for (code, reply) in [
            (550, "permanent error (550): 5.7.1 relaying denied"),
            (554, "permanent error (554): transaction failed"),
            (552, "permanent error (552): 5.3.4 message too big"),
            (550, "permanent error (550): 5.7.26 unauthenticated sender"),
        ] {
            assert!(!names_a_dead_mailbox(Some(code), reply), "{reply}");
        }
    }

    #[test]
    fn config_defaults_are_submission_port_starttls_and_thirty_seconds() {
        let settings: SmtpSettings = serde_json::from_str(r#"{"host":"smtp.example"}"#).unwrap();
        assert_eq!(settings.port, 587);
        assert_eq!(settings.security, SmtpSecurity::StartTls);
        assert_eq!(settings.timeout, Duration::from_secs(30));
        assert!(settings.username.is_none() && settings.password.is_none());
    }

    #[test]
    fn config_reads_security_names_and_timeout_seconds() {
        let settings: SmtpSettings =
            serde_json::from_str(r#"{"host":"h","port":465,"security":"tls","timeout":2.5,"username":"u"}"#)
                .unwrap();
        assert_eq!(settings.security, SmtpSecurity::Tls);
        assert_eq!(settings.timeout, Duration::from_millis(2500));
        assert_eq!(settings.username.as_deref(), Some("u"));
        for (name, security) in [("none", SmtpSecurity::None), ("starttls", SmtpSecurity::StartTls)] {
            let json = format!(r#"{{"host":"h","security":"{name}"}}"#);
            let parsed: SmtpSettings = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed.security, security);
        }
        assert!(serde_json::from_str::<SmtpSettings>(r#"{"host":"h","timeout":-1}"#).is_err());
    }

    #[test]
    fn debug_never_prints_the_password() {
        let mut settings = SmtpSettings::new("smtp.example");
        settings.username = Some("billing".into());
        settings.password = Some(SecretString::from("hunter2-very-secret"));
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
        let transport = format!("{:?}", SmtpEmail::new(&settings).unwrap());
        assert!(!transport.contains("hunter2"), "{transport}");
    }

    #[test]
    fn half_a_login_is_refused() {
        let mut settings = SmtpSettings::new("smtp.example");
        settings.username = Some("billing".into());
        assert!(matches!(SmtpEmail::new(&settings), Err(SmtpSettingsError::IncompleteCredentials)));
    }

    #[test]
    fn addresses_in_server_replies_are_redacted() {
        assert_eq!(
            redact_addresses("550 5.1.1 <erika@example.org>: Recipient unknown"),
            "550 5.1.1 [address] Recipient unknown"
        );
    }
}
