//! Email in the creditor's name: sent over SMTP, or written as `.eml` files in sandbox mode.
//!
//! Both transports build the message with one builder function, so what lands in the sandbox
//! outbox is byte for byte what would have gone to the SMTP server (apart from the `Date` header
//! and the DKIM signature's time).

mod dkim;
mod outbox;
mod parts;
mod smtp;

pub use dkim::{DkimAlgorithm, DkimSettings, DkimSettingsError, DkimSigner};
pub use outbox::SandboxEmail;
pub use smtp::{SmtpEmail, SmtpSecurity, SmtpSettings, SmtpSettingsError};

use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::message::Mailbox;
use lettre::{Address, Message};

use crate::error::check_idempotency_key;
use crate::{ChannelKind, EmailMessage, OutgoingMessage, SendError};

/// A formatted email and the `Message-ID` it carries.
pub(crate) struct BuiltEmail {
    pub message: Message,
    /// `<{idempotency_key}@{domain of from_address}>`, angle brackets included.
    pub message_id: String,
}

/// Picks the email out of `message`, or refuses a message meant for another medium.
pub(crate) fn expect_email(message: &OutgoingMessage) -> Result<&EmailMessage, SendError> {
    match message {
        OutgoingMessage::Email(email) => Ok(email),
        other => Err(SendError::wrong_medium(ChannelKind::Email, other.kind())),
    }
}

/// Builds the RFC 5322 message for `email`, signed when `dkim` is given.
///
/// The `Message-ID` is derived from the idempotency key rather than random, so a resend after a
/// lost reply carries the same id and receiving systems can drop the duplicate. Its domain is the
/// creditor's, and nothing in the headers names this software: debtors see only the creditor.
pub(crate) fn build_email(
    idempotency_key: &str,
    email: &EmailMessage,
    dkim: Option<&DkimSigner>,
) -> Result<BuiltEmail, SendError> {
    check_idempotency_key(idempotency_key)?;
    let from_address = parse_address("from_address", &email.from_address)?;
    let to_address = parse_address("to_address", &email.to_address)?;
    let message_id = format!("<{idempotency_key}@{}>", from_address.domain());
    let unsubscribe = email.list_unsubscribe.as_ref().map(parts::unsubscribe_headers).transpose()?;

    let mut builder = Message::builder()
        .from(mailbox(Some(&email.from_name), from_address))
        .to(mailbox(email.to_name.as_deref(), to_address))
        .subject(one_line(&email.subject))
        .message_id(Some(message_id.clone()));
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(Mailbox::new(None, parse_address("reply_to", reply_to)?));
    }

    let built = match parts::multipart_body(email)? {
        Some(body) => builder.multipart(body),
        // A plain body rather than a single MIME part: lettre ends parts with an extra line break,
        // which would add a blank line to every text-only email.
        None => {
            builder.header(MIME_VERSION_1_0).header(ContentType::TEXT_PLAIN).body(email.text_body.clone())
        }
    };
    let mut message = built.map_err(|e| SendError::permanent(format!("could not build the email: {e}")))?;
    for header in unsubscribe.into_iter().flatten() {
        message.headers_mut().insert_raw(header);
    }
    if let Some(dkim) = dkim {
        dkim.sign(&mut message);
    }
    Ok(BuiltEmail { message, message_id })
}

/// Parses one address field. The error names the field but not the address, which is personal
/// data and ends up in logs.
fn parse_address(field: &str, value: &str) -> Result<Address, SendError> {
    value.trim().parse().map_err(|e| SendError::permanent(format!("invalid {field}: {e}")))
}

fn mailbox(name: Option<&str>, address: Address) -> Mailbox {
    let name = name.map(one_line).filter(|name| !name.trim().is_empty());
    Mailbox::new(name, address)
}

/// Header values are single lines; a stray newline from a template must not start a new header.
fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> EmailMessage {
        EmailMessage {
            from_name: "Acme Wartung GmbH".into(),
            from_address: "billing@acme.example".into(),
            reply_to: Some("support@acme.example".into()),
            to_name: Some("Erika Mustermann".into()),
            to_address: "erika@example.org".into(),
            subject: "Zahlungserinnerung RE-2026-0042".into(),
            text_body: "Bitte zahlen Sie.\n".into(),
            html_body: None,
            ..Default::default()
        }
    }

    fn formatted(email: &EmailMessage) -> String {
        let built = build_email("r-1", email, None).unwrap();
        String::from_utf8(built.message.formatted()).unwrap()
    }

    #[test]
    fn message_id_is_derived_from_key_and_sender_domain() {
        let first = build_email("r-1", &email(), None).unwrap();
        let again = build_email("r-1", &email(), None).unwrap();
        assert_eq!(first.message_id, "<r-1@acme.example>");
        assert_eq!(again.message_id, first.message_id);
        assert!(formatted(&email()).contains("Message-ID: <r-1@acme.example>\r\n"));
    }

    #[test]
    fn each_bad_address_is_named_in_a_permanent_error() {
        type Field = fn(&mut EmailMessage) -> &mut String;
        let fields: [(&str, Field); 3] = [
            ("from_address", |m| &mut m.from_address),
            ("to_address", |m| &mut m.to_address),
            ("reply_to", |m| m.reply_to.as_mut().unwrap()),
        ];
        for (name, field) in fields {
            let mut bad = email();
            *field(&mut bad) = "not-an-address".into();
            let err = build_email("r-1", &bad, None).err().unwrap();
            assert!(!err.is_retryable(), "{err}");
            assert!(err.reason().contains(name), "{err}");
            assert!(!err.reason().contains("not-an-address"), "{err}");
        }
    }

    #[test]
    fn newlines_in_header_values_cannot_add_headers() {
        let mut sneaky = email();
        sneaky.subject = "Hallo\r\nBcc: thief@evil.example".into();
        sneaky.from_name = "Acme\nBcc: thief@evil.example".into();
        let text = formatted(&sneaky);
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(!text.contains("\nBcc:"), "{text}");
    }

    #[test]
    fn a_text_only_email_is_plain_text_with_the_body_as_written() {
        let text = formatted(&email());
        assert!(text.contains("MIME-Version: 1.0\r\n"), "{text}");
        assert!(text.contains("Content-Type: text/plain; charset=utf-8\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nBitte zahlen Sie.\r\n"), "{text:?}");
    }

    #[test]
    fn nothing_in_the_message_names_this_software() {
        let mut with_html = email();
        with_html.html_body = Some("<p>Bitte zahlen Sie.</p>".into());
        for message in [email(), with_html] {
            assert!(!formatted(&message).to_lowercase().contains("mahnwerk"));
        }
    }

    #[test]
    fn one_click_unsubscribe_headers_follow_rfc_8058() {
        let mut with = email();
        with.list_unsubscribe = Some(crate::ListUnsubscribe {
            url: "https://pay.example/u/tok".into(),
            mailto: Some("mailto:stop@acme.example".into()),
        });
        let text = formatted(&with);
        assert!(
            text.contains("List-Unsubscribe: <https://pay.example/u/tok>, <mailto:stop@acme.example>\r\n"),
            "{text}"
        );
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), "{text}");
    }

    #[test]
    fn an_invalid_key_is_refused_before_anything_is_built() {
        let err = build_email("../escape", &email(), None).err().unwrap();
        assert!(err.reason().contains("idempotency_key"), "{err}");
    }
}
