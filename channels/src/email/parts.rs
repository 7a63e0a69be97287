//! The parts of an email beyond its addresses: the body tree with attachments, and the RFC 8058
//! one-click unsubscribe headers.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as AttachmentPart, MultiPart, SinglePart};

use crate::{Attachment, EmailMessage, ListUnsubscribe, SendError};

/// The body of an email that has attachments or HTML:
/// `mixed[alternative[text, html] | text, attachment…]`, or just the alternative without
/// attachments. `None` for a text-only email without attachments, which goes out as plain text.
pub(super) fn multipart_body(email: &EmailMessage) -> Result<Option<MultiPart>, SendError> {
    let text = SinglePart::plain(email.text_body.clone());
    let alternative = email.html_body.as_ref().map(|html| {
        MultiPart::alternative().singlepart(text.clone()).singlepart(SinglePart::html(html.clone()))
    });
    if email.attachments.is_empty() {
        return Ok(alternative);
    }
    let mixed = MultiPart::mixed();
    let mut mixed = match alternative {
        Some(alternative) => mixed.multipart(alternative),
        None => mixed.singlepart(text),
    };
    for (index, attachment) in email.attachments.iter().enumerate() {
        mixed = mixed.singlepart(attachment_part(index, attachment)?);
    }
    Ok(Some(mixed))
}

fn attachment_part(index: usize, attachment: &Attachment) -> Result<SinglePart, SendError> {
    let field = |name: &str| format!("attachments[{index}].{name}");
    let filename = attachment.filename.replace(['\r', '\n', '/', '\\', '"'], " ");
    if filename.trim().is_empty() {
        return Err(SendError::permanent(format!("invalid {}: must not be empty", field("filename"))));
    }
    let content_type = ContentType::parse(&attachment.content_type)
        .map_err(|e| SendError::permanent(format!("invalid {}: {e}", field("content_type"))))?;
    Ok(AttachmentPart::new(filename.trim().to_owned()).body(attachment.content.clone(), content_type))
}

/// `List-Unsubscribe: <https://…>, <mailto:…>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
pub(super) fn unsubscribe_headers(unsubscribe: &ListUnsubscribe) -> Result<[HeaderValue; 2], SendError> {
    let url = uri("list_unsubscribe.url", &unsubscribe.url, "https://")?;
    let mut value = format!("<{url}>");
    if let Some(mailto) = &unsubscribe.mailto {
        value.push_str(&format!(", <{}>", uri("list_unsubscribe.mailto", mailto, "mailto:")?));
    }
    Ok([
        HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), value),
        HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ),
    ])
}

/// A URI that fits between angle brackets in a header: the scheme RFC 8058 asks for, printable
/// ASCII only, nothing that ends the bracket or the list.
fn uri<'a>(field: &str, value: &'a str, scheme: &str) -> Result<&'a str, SendError> {
    let value = value.trim();
    let scheme_ok = value.len() > scheme.len() && value[..scheme.len()].eq_ignore_ascii_case(scheme);
    let chars_ok = value.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b','));
    if scheme_ok && chars_ok {
        Ok(value)
    } else {
        Err(SendError::permanent(format!(
            "invalid {field}: expected a {scheme} URI of printable ASCII without '<', '>' or ','"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_needs_https_and_a_mailto_uri() {
        let ok = ListUnsubscribe {
            url: "https://pay.example/u/tok".into(),
            mailto: Some("mailto:unsubscribe@acme.example?subject=stop".into()),
        };
        assert!(unsubscribe_headers(&ok).is_ok());

        for (url, mailto, field) in [
            ("http://pay.example/u", None, "list_unsubscribe.url"),
            ("https://pay.example/u>, <https://evil.example", None, "list_unsubscribe.url"),
            ("https://pay.example/u\r\nBcc: x@evil.example", None, "list_unsubscribe.url"),
            ("https://pay.example/u", Some("unsubscribe@acme.example"), "list_unsubscribe.mailto"),
        ] {
            let bad = ListUnsubscribe { url: url.into(), mailto: mailto.map(Into::into) };
            let err = unsubscribe_headers(&bad).unwrap_err();
            assert!(!err.is_retryable());
            assert!(err.reason().contains(field), "{err}");
        }
    }

    #[test]
    fn a_bad_attachment_is_named_by_its_index() {
        let email = EmailMessage {
            text_body: "t".into(),
            attachments: vec![
                Attachment {
                    filename: "a.pdf".into(),
                    content_type: "application/pdf".into(),
                    content: vec![1],
                },
                Attachment { filename: "b.pdf".into(), content_type: "not a type".into(), content: vec![2] },
            ],
            ..Default::default()
        };
        let err = multipart_body(&email).unwrap_err();
        assert!(err.reason().contains("attachments[1].content_type"), "{err}");
    }
}
