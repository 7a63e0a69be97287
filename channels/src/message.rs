//! What a rendered message looks like per medium: plain data, filled in by the service's templates.

use serde::{Deserialize, Serialize};

use crate::ChannelKind;

/// An email in the creditor's name. Addresses are checked when the message is built for sending,
/// so a bad one fails that send with an error naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    /// The creditor's name as the debtor should see it (white label).
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub to_name: Option<String>,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    /// When present the email is sent as multipart/alternative with `text_body` as the fallback.
    pub html_body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    /// The recipient in E.164 form, e.g. `+4915112345678`.
    pub to: String,
    /// Alphanumeric sender id where the provider and country allow it.
    pub sender_id: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappMessage {
    /// The recipient in E.164 form.
    pub to: String,
    /// BCP 47 language tag of the rendered text, e.g. `de`.
    pub language: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessengerMessage {
    /// The page-scoped id Facebook gave the debtor for the creditor's page.
    pub psid: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterMessage {
    /// The return address block, one line each.
    pub sender_lines: Vec<String>,
    /// The address window, one line each.
    pub recipient_lines: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// One rendered message for exactly one medium.
///
/// Serialises as `{"kind": "sms", "message": {…}}`, the same shape the sandbox outbox writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "lowercase")]
pub enum OutgoingMessage {
    Email(EmailMessage),
    Sms(SmsMessage),
    Whatsapp(WhatsappMessage),
    Messenger(MessengerMessage),
    Letter(LetterMessage),
}

impl OutgoingMessage {
    /// The medium this message was rendered for.
    pub fn kind(&self) -> ChannelKind {
        match self {
            OutgoingMessage::Email(_) => ChannelKind::Email,
            OutgoingMessage::Sms(_) => ChannelKind::Sms,
            OutgoingMessage::Whatsapp(_) => ChannelKind::Whatsapp,
            OutgoingMessage::Messenger(_) => ChannelKind::Messenger,
            OutgoingMessage::Letter(_) => ChannelKind::Letter,
        }
    }
}

impl From<EmailMessage> for OutgoingMessage {
    fn from(message: EmailMessage) -> Self {
        OutgoingMessage::Email(message)
    }
}

impl From<SmsMessage> for OutgoingMessage {
    fn from(message: SmsMessage) -> Self {
        OutgoingMessage::Sms(message)
    }
}

impl From<WhatsappMessage> for OutgoingMessage {
    fn from(message: WhatsappMessage) -> Self {
        OutgoingMessage::Whatsapp(message)
    }
}

impl From<MessengerMessage> for OutgoingMessage {
    fn from(message: MessengerMessage) -> Self {
        OutgoingMessage::Messenger(message)
    }
}

impl From<LetterMessage> for OutgoingMessage {
    fn from(message: LetterMessage) -> Self {
        OutgoingMessage::Letter(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_the_kind_beside_the_message() {
        let message = OutgoingMessage::Sms(SmsMessage {
            to: "+4915112345678".into(),
            sender_id: None,
            body: "Hallo".into(),
        });
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "sms",
                "message": {"to": "+4915112345678", "sender_id": null, "body": "Hallo"}
            })
        );
        assert_eq!(serde_json::from_value::<OutgoingMessage>(json).unwrap(), message);
    }

    #[test]
    fn kind_matches_the_variant_and_its_serde_tag() {
        let messages: [OutgoingMessage; 5] = [
            EmailMessage {
                from_name: "Acme".into(),
                from_address: "billing@acme.example".into(),
                reply_to: None,
                to_name: None,
                to_address: "erika@example.org".into(),
                subject: "s".into(),
                text_body: "t".into(),
                html_body: None,
            }
            .into(),
            SmsMessage { to: "+1".into(), sender_id: None, body: "b".into() }.into(),
            WhatsappMessage { to: "+1".into(), language: "de".into(), body: "b".into() }.into(),
            MessengerMessage { psid: "p".into(), text: "t".into() }.into(),
            LetterMessage {
                sender_lines: vec![],
                recipient_lines: vec![],
                subject: "s".into(),
                body: "b".into(),
            }
            .into(),
        ];
        for (message, kind) in messages.iter().zip(ChannelKind::ALL) {
            assert_eq!(message.kind(), kind);
            let json = serde_json::to_value(message).unwrap();
            assert_eq!(json["kind"], kind.as_str());
        }
    }
}
