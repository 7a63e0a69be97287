//! Email over SMTP to a real SMTP server on localhost: what arrives, how refusals are classified.

#[path = "support/dkim.rs"]
mod dkim;
#[path = "support/mime.rs"]
mod mime;
#[path = "support/smtp_sink.rs"]
mod smtp_sink;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mahnwerk_channels::email::{DkimAlgorithm, DkimSettings, SmtpEmail, SmtpSecurity, SmtpSettings};
use mahnwerk_channels::{
    Attachment, Channel, ChannelKind, EmailMessage, ListUnsubscribe, OutgoingMessage, SendError, SmsMessage,
};
use smtp_sink::SmtpSink;

const WAIT: Duration = Duration::from_secs(10);

fn plaintext_to(port: u16) -> SmtpEmail {
    let mut settings = SmtpSettings::new("127.0.0.1");
    settings.port = port;
    settings.security = SmtpSecurity::None;
    settings.timeout = Duration::from_secs(10);
    SmtpEmail::new(&settings).expect("valid settings")
}

fn reminder() -> EmailMessage {
    EmailMessage {
        from_name: "Müller Wartung GmbH".into(),
        from_address: "buchhaltung@mueller-wartung.example".into(),
        reply_to: Some("hilfe@mueller-wartung.example".into()),
        to_name: Some("Erika Mustermann".into()),
        to_address: "erika@example.org".into(),
        subject: "Zahlungserinnerung für Rechnung RE-2026-0042".into(),
        // The lone dot line checks dot-stuffing on the way through SMTP.
        text_body: "Guten Tag,\n\nbitte überweisen Sie 1.234,50 €.\n.\nEine Zeile mit Punkt.\n".into(),
        html_body: Some("<p>Guten Tag,</p><p>bitte überweisen Sie <b>1.234,50 €</b>.</p>".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_debtor_receives_the_reminder_in_the_creditors_name() {
    let sink = SmtpSink::start().await;
    let email = plaintext_to(sink.port());

    let receipt = email.send("r-42", &OutgoingMessage::Email(reminder())).await.expect("sent");

    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.mail_from, "buchhaltung@mueller-wartung.example");
    assert_eq!(mail.rcpt_to, ["erika@example.org"]);

    let message = mime::parse(&mail.data);
    assert_eq!(message.display_name("From").as_deref(), Some("Müller Wartung GmbH"));
    assert_eq!(message.address("From").as_deref(), Some("buchhaltung@mueller-wartung.example"));
    assert_eq!(message.display_name("To").as_deref(), Some("Erika Mustermann"));
    assert_eq!(message.address("To").as_deref(), Some("erika@example.org"));
    assert!(message.header("Reply-To").unwrap().contains("hilfe@mueller-wartung.example"));
    assert_eq!(
        message.decoded_header("Subject").as_deref(),
        Some("Zahlungserinnerung für Rechnung RE-2026-0042")
    );
    assert_eq!(message.header("Message-ID"), Some("<r-42@mueller-wartung.example>"));
    assert_eq!(receipt.provider_id, "<r-42@mueller-wartung.example>");
    assert!(!mail.data.to_lowercase().contains("mahnwerk"));
    // The sink strips the terminating dot, so this is the body's own lone dot line, unstuffed.
    assert!(mail.data.contains("\r\n.\r\n"), "{:?}", mail.data);

    assert_eq!(message.mime_type(), "multipart/alternative");
    let parts = message.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].mime_type(), "text/plain");
    assert_eq!(parts[0].text(), reminder().text_body, "dot-stuffing and encoding round-trip");
    assert_eq!(parts[1].mime_type(), "text/html");
    assert_eq!(parts[1].text(), reminder().html_body.unwrap());
}

#[tokio::test]
async fn without_html_the_email_is_plain_text_only() {
    let sink = SmtpSink::start().await;
    let mut plain = reminder();
    plain.html_body = None;

    plaintext_to(sink.port()).send("r-plain", &OutgoingMessage::Email(plain.clone())).await.expect("sent");

    let received = sink.wait_for(1, WAIT).await;
    let message = mime::parse(&received[0].data);
    assert_eq!(message.mime_type(), "text/plain");
    // lettre ends DATA with CRLF . CRLF even after a final line break, so one blank line more.
    assert_eq!(message.text(), format!("{}\n", plain.text_body));
}

#[tokio::test]
async fn a_resend_with_the_same_key_carries_the_same_message_id() {
    let sink = SmtpSink::start().await;
    let email = plaintext_to(sink.port());
    let message = OutgoingMessage::Email(reminder());

    let first = email.send("r-7", &message).await.expect("first send");
    let second = email.send("r-7", &message).await.expect("resend");

    assert_eq!(first, second);
    let received = sink.wait_for(2, WAIT).await;
    let ids: Vec<_> =
        received.iter().map(|mail| mime::parse(&mail.data).header("Message-ID").map(str::to_owned)).collect();
    assert_eq!(ids, [Some(first.provider_id.clone()), Some(first.provider_id)]);
}

#[tokio::test]
async fn a_5xx_policy_refusal_is_permanent() {
    let sink = SmtpSink::start_rejecting_with(550, "5.7.1 relaying denied").await;
    let err = plaintext_to(sink.port()).send("r-1", &OutgoingMessage::Email(reminder())).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("550"), "{err}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_hard_bounce_is_unreachable() {
    for (code, text) in
        [(550, "5.1.1 user unknown"), (550, "no such user here"), (553, "mailbox name not allowed")]
    {
        let sink = SmtpSink::start_rejecting_with(code, text).await;
        let err =
            plaintext_to(sink.port()).send("r-1", &OutgoingMessage::Email(reminder())).await.unwrap_err();
        assert!(matches!(err, SendError::Unreachable { .. }), "{code} {text}: {err:?}");
        assert!(!err.is_retryable());
        assert!(sink.messages().is_empty());
    }
}

#[tokio::test]
async fn a_4xx_refusal_is_transient() {
    let sink = SmtpSink::start_rejecting(451).await;
    let err = plaintext_to(sink.port()).send("r-1", &OutgoingMessage::Email(reminder())).await.unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
    assert!(err.reason().contains("451"), "{err}");
}

#[tokio::test]
async fn a_server_that_is_not_there_is_transient() {
    // Bind and release a port so that, in all likelihood, nothing listens on it.
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = plaintext_to(port).send("r-1", &OutgoingMessage::Email(reminder())).await.unwrap_err();
    assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn an_invalid_recipient_is_permanent_and_named_without_contacting_the_server() {
    let sink = SmtpSink::start().await;
    let mut bad = reminder();
    bad.to_address = "erika.example.org".into();

    let err = plaintext_to(sink.port()).send("r-1", &OutgoingMessage::Email(bad)).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("to_address"), "{err}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_message_for_another_medium_is_refused_as_permanent() {
    let sink = SmtpSink::start().await;
    let email = plaintext_to(sink.port());
    assert_eq!(email.kind(), ChannelKind::Email);

    let sms = OutgoingMessage::Sms(SmsMessage {
        to: "+4915112345678".into(),
        sender_id: None,
        body: "Bitte zahlen".into(),
    });
    let err = email.send("r-1", &sms).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("wrong medium"), "{err}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn the_letter_rides_along_with_one_click_unsubscribe_and_a_dkim_signature_that_verifies() {
    let sink = SmtpSink::start().await;
    let seed = [7u8; 32];
    let mut settings = SmtpSettings::new("127.0.0.1");
    settings.port = sink.port();
    settings.security = SmtpSecurity::None;
    settings.dkim = Some(DkimSettings {
        domain: "mueller-wartung.example".into(),
        selector: "mail2026".into(),
        algorithm: DkimAlgorithm::Ed25519,
        private_key: STANDARD.encode(seed).into(),
    });
    let mut email = reminder();
    email.list_unsubscribe = Some(ListUnsubscribe {
        url: "https://pay.mueller-wartung.example/unsubscribe/tok123".into(),
        mailto: Some("mailto:abmelden@mueller-wartung.example".into()),
    });
    let pdf = b"%PDF-1.7\n\xe4\xf6\xfc binary \x00\x01 letter".to_vec();
    email.attachments = vec![Attachment {
        filename: "Zahlungserinnerung RE-2026-0042.pdf".into(),
        content_type: "application/pdf".into(),
        content: pdf.clone(),
    }];

    let receipt =
        SmtpEmail::new(&settings).unwrap().send("r-43", &OutgoingMessage::Email(email)).await.unwrap();

    let received = sink.wait_for(1, WAIT).await;
    let data = &received[0].data;
    let message = mime::parse(data);
    assert_eq!(message.display_name("From").as_deref(), Some("Müller Wartung GmbH"));
    assert_eq!(message.header("Message-ID"), Some("<r-43@mueller-wartung.example>"));
    assert_eq!(receipt.provider_id, "<r-43@mueller-wartung.example>");
    assert_eq!(
        message.header("List-Unsubscribe"),
        Some("<https://pay.mueller-wartung.example/unsubscribe/tok123>, <mailto:abmelden@mueller-wartung.example>")
    );
    assert_eq!(message.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    assert!(!data.to_lowercase().contains("mahnwerk"));

    assert_eq!(message.mime_type(), "multipart/mixed");
    let parts = message.parts();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].mime_type(), "multipart/alternative");
    let alternative = parts[0].parts();
    assert_eq!(alternative[0].text(), reminder().text_body);
    assert_eq!(alternative[1].text(), reminder().html_body.unwrap());
    assert_eq!(parts[1].mime_type(), "application/pdf");
    assert!(parts[1]
        .decoded_header("Content-Disposition")
        .unwrap()
        .contains("Zahlungserinnerung RE-2026-0042.pdf"));
    assert_eq!(parts[1].bytes(), pdf);

    let key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let tags = dkim::verify(data, &key).expect("DKIM-Signature verifies");
    let tag = |name: &str| tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(tag("d"), Some("mueller-wartung.example"));
    assert_eq!(tag("s"), Some("mail2026"));
    let signed = tag("h").unwrap().to_ascii_lowercase();
    for header in ["from", "subject", "message-id", "list-unsubscribe", "list-unsubscribe-post"] {
        assert!(signed.split(':').any(|h| h == header), "{header} not signed: {signed}");
    }
    // A changed body no longer verifies.
    let tampered = data.replacen("1.234,50", "1.234,00", 1);
    assert!(dkim::verify(&tampered, &key).is_err());
}

/// A fresh 2048-bit RSA key as PKCS#1 PEM (what `[smtp.dkim]` takes) and its public key as PEM,
/// made with the openssl command line; `None` (skip) when openssl is missing outside CI.
fn rsa_test_key(dir: &std::path::Path) -> Option<(String, std::path::PathBuf)> {
    let private = dir.join("dkim.pem");
    let public = dir.join("dkim.pub.pem");
    let made = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "-out", private.to_str().unwrap(), "2048"])
        .output();
    match made {
        Ok(output) if output.status.success() => {}
        other => {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI needs openssl: {other:?}");
            eprintln!("skipped: openssl could not make a test key ({other:?})");
            return None;
        }
    }
    let exported = std::process::Command::new("openssl")
        .args(["rsa", "-in", private.to_str().unwrap(), "-pubout", "-out", public.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(exported.status.success(), "{exported:?}");
    Some((std::fs::read_to_string(&private).unwrap(), public))
}

/// Whether `openssl dgst -sha256 -verify` accepts `signature` over `data` (RSASSA-PKCS1-v1_5
/// with SHA-256, DKIM's `rsa-sha256`).
fn openssl_verifies(dir: &std::path::Path, public: &std::path::Path, data: &str, signature: &[u8]) -> bool {
    let (data_file, signature_file) = (dir.join("signed.txt"), dir.join("signature.bin"));
    std::fs::write(&data_file, data).unwrap();
    std::fs::write(&signature_file, signature).unwrap();
    let output = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify", public.to_str().unwrap(), "-signature"])
        .args([signature_file.to_str().unwrap(), data_file.to_str().unwrap()])
        .output()
        .unwrap();
    output.status.success()
}

#[tokio::test]
async fn an_rsa_dkim_signature_verifies_with_the_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pem, public)) = rsa_test_key(dir.path()) else { return };
    let sink = SmtpSink::start().await;
    let mut settings = SmtpSettings::new("127.0.0.1");
    settings.port = sink.port();
    settings.security = SmtpSecurity::None;
    settings.dkim = Some(DkimSettings {
        domain: "mueller-wartung.example".into(),
        selector: "rsa2026".into(),
        algorithm: DkimAlgorithm::Rsa,
        private_key: pem.into(),
    });
    SmtpEmail::new(&settings).unwrap().send("r-rsa", &OutgoingMessage::Email(reminder())).await.unwrap();

    let data = sink.wait_for(1, WAIT).await.remove(0).data;
    let signed =
        dkim::canonical(&data, "rsa-sha256").expect("a relaxed rsa-sha256 signature, body hash right");
    let tag = |name: &str| signed.tags.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(
        (tag("d").as_deref(), tag("s").as_deref()),
        (Some("mueller-wartung.example"), Some("rsa2026"))
    );
    assert_eq!(signed.signature.len(), 256, "a 2048-bit signature");
    assert!(openssl_verifies(dir.path(), &public, &signed.data, &signed.signature), "{}", signed.data);
    // A changed recipient no longer verifies.
    let forged = signed.data.replacen("erika@example.org", "mallory@example.org", 1);
    assert_ne!(forged, signed.data);
    assert!(!openssl_verifies(dir.path(), &public, &forged, &signed.signature));
}
