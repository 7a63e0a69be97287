//! What a rendered message looks like per medium: plain data, filled in by the service's templates.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::creditor_reference::RfReference;
use crate::iban::{Bic, Iban};
use crate::ChannelKind;

/// An email in the creditor's name. Addresses are checked when the message is built for sending,
/// so a bad one fails that send with an error naming the field.
///
/// `list_unsubscribe` and `attachments` were added later; they default to none, so JSON written
/// before them still reads, and they are left out of JSON when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Where the debtor unsubscribes with one click (RFC 8058); sent as `List-Unsubscribe` and
    /// `List-Unsubscribe-Post` headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<ListUnsubscribe>,
    /// Files sent along, e.g. the letter as PDF; the email becomes multipart/mixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// The unsubscribe targets of an email. Mail clients show an "unsubscribe" button that POSTs
/// `List-Unsubscribe=One-Click` to `url` (RFC 8058), or writes to `mailto` where they cannot POST.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListUnsubscribe {
    /// An `https://` URL that unsubscribes on a POST without further interaction; it must identify
    /// the recipient by itself (a signed token), since the POST carries nothing else.
    pub url: String,
    /// A `mailto:` URI, for clients that only do email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailto: Option<String>,
}

/// A file attached to an email. In JSON `content` is standard base64 (with padding).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file name the debtor sees, e.g. `Zahlungserinnerung RE-2026-0042.pdf`.
    pub filename: String,
    /// A MIME type, e.g. `application/pdf`.
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

/// Bytes as a base64 string in JSON, so a PDF does not become an array of numbers.
mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("content: invalid base64: {e}")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    /// The recipient in E.164 form, e.g. `+4915112345678`.
    pub to: String,
    /// Alphanumeric sender id where the provider and country allow it.
    pub sender_id: Option<String>,
    pub body: String,
}

/// A WhatsApp message. Outside the 24-hour customer service window WhatsApp only delivers
/// templates the business had approved beforehand, so a reminder normally names one; free text is
/// sent only while the window is open (see [`within_service_window`]).
///
/// `template` and `last_inbound_at` were added later; they default to `None`, so JSON written
/// before them still reads, and they are left out of JSON when `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappMessage {
    /// The recipient in E.164 form.
    pub to: String,
    /// BCP 47 language tag of the rendered text, e.g. `de` or `pt-BR`; also picks the template's
    /// translation.
    pub language: String,
    /// The rendered text: sent as is when there is no template, otherwise what the template says
    /// once filled in, kept for the sandbox and for operators.
    pub body: String,
    /// The approved template to send, with its body parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<WhatsappTemplate>,
    /// When the debtor last wrote to the creditor on WhatsApp, if ever: the service window runs
    /// 24 hours from then. Checked when sending, not when rendering, because a reminder may wait in
    /// a queue while the window closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_inbound_at: Option<DateTime<Utc>>,
}

/// A message template approved in the WhatsApp Business Manager, named as it was registered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappTemplate {
    pub name: String,
    /// The values of `{{1}}`, `{{2}}`, … in the template's body, in order. WhatsApp refuses values
    /// with line breaks, tabs or more than four spaces in a row.
    #[serde(default)]
    pub body_parameters: Vec<String>,
}

/// A Messenger message. Messenger lets a page write to a person only within 24 hours of that
/// person's last message; no message tag covers a payment reminder outside that window (see
/// [`crate::messenger`]).
///
/// `last_inbound_at` was added later; it defaults to `None`, so JSON written before it still reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessengerMessage {
    /// The page-scoped id Facebook gave the debtor for the creditor's page.
    pub psid: String,
    pub text: String,
    /// When the debtor last wrote to the page, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_inbound_at: Option<DateTime<Utc>>,
}

/// How long after a person's last message WhatsApp and Messenger let a business write freely.
pub const SERVICE_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Where a chat transport reads the time it checks the service window against: the wall clock,
/// unless the service hands in its own (simulated time in tests and the demo must agree with the
/// times it recorded inbound messages at).
#[derive(Clone)]
pub struct WindowClock(std::sync::Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl WindowClock {
    pub fn system() -> Self {
        WindowClock(std::sync::Arc::new(Utc::now))
    }

    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        WindowClock(std::sync::Arc::new(now))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for WindowClock {
    fn default() -> Self {
        Self::system()
    }
}

/// Whether a person who last wrote at `last_inbound_at` can still be written to freely at `now`.
/// Never having written means the window is closed.
pub fn within_service_window(last_inbound_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_inbound_at.is_some_and(|at| at <= now && now - at < SERVICE_WINDOW)
}

/// A postal letter, printed as an A4 PDF in DIN 5008 form B (see [`crate::letter`]).
///
/// `document` was added with the PDF; it defaults to `None`, so JSON written before it still reads,
/// and a letter without it prints as letterhead, address, subject and body only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterMessage {
    /// The creditor: its name first (the letterhead and the return line), then its address lines.
    pub sender_lines: Vec<String>,
    /// The address window, one line each, at most six.
    pub recipient_lines: Vec<String>,
    /// Printed bold; the service puts the stage and the invoice number in it.
    pub subject: String,
    /// Paragraphs separated by blank lines; single line breaks are kept.
    pub body: String,
    /// What the printed letter needs beyond the text; boxed because it is large and most messages
    /// are not letters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Box<LetterDocument>>,
}

/// The printed letter's date, amounts, bank details, QR codes and footer. Texts arrive rendered
/// in the debtor's language; amounts are printed exactly as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LetterDocument {
    /// The date line as printed, e.g. `Berlin, 21. Oktober 2026`; the information block's last
    /// row when there is one.
    pub date: String,
    /// The DIN 5008 information block right of the address field (customer number, invoice
    /// number and date, the creditor's contact), one labelled row each, at most eight.
    pub info: Vec<InfoRow>,
    /// Principal, fees, interest: one row each, in order.
    pub amounts: Vec<AmountRow>,
    /// The sum, printed bold below a rule.
    pub total: Option<AmountRow>,
    /// Where to pay by transfer; printed, and the account of the EPC QR code.
    pub bank: Option<BankDetails>,
    /// The transfer the EPC QR code pre-fills; needs `bank`.
    pub transfer: Option<Transfer>,
    /// The signed pay-page, printed as a second QR code.
    pub pay_link: Option<PayLink>,
    /// The creditor's contact (phone, email, web, register), small at the foot of every page.
    pub footer_lines: Vec<String>,
    /// Captions and labels in the debtor's language; German when not given.
    pub captions: LetterCaptions,
}

/// One line of the amounts table, e.g. `Hauptforderung` and `1.234,56 €`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountRow {
    pub label: String,
    /// Printed right-aligned as given: formatting money is the service's job.
    pub amount: String,
}

/// One row of the information block, e.g. `Kundennummer` and `C-1001`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoRow {
    pub label: String,
    pub value: String,
}

/// The creditor's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankDetails {
    /// The beneficiary name, also the EPC QR code's (at most 70 characters there).
    pub account_holder: String,
    pub iban: Iban,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<Bic>,
}

/// The SEPA credit transfer the EPC QR code ("GiroCode") pre-fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The amount due in EUR.
    pub amount: Decimal,
    /// The structured remittance: the ISO 11649 creditor reference of the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<RfReference>,
    /// Unstructured remittance text, only when there is no `reference` (EPC allows one of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The pay-page link, printed as a QR code with a caption.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayLink {
    pub url: String,
    /// Under the QR code, e.g. `Online bezahlen`.
    pub caption: String,
}

/// Fixed texts of the letter. Each one not given is the German default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LetterCaptions {
    /// Under the EPC QR code. Default `Zahlen mit Code`.
    pub epc_qr: String,
    /// Above the bank details. Default `Bankverbindung`.
    pub bank_details: String,
    /// Default `Kontoinhaber`.
    pub account_holder: String,
    /// Default `Verwendungszweck`, before the creditor reference.
    pub reference: String,
    /// `{page}` and `{pages}` are replaced. Default `Seite {page} von {pages}`.
    pub page: String,
    /// The date's label in the information block. Default `Datum`.
    pub date: String,
}

impl Default for LetterCaptions {
    fn default() -> Self {
        LetterCaptions {
            epc_qr: "Zahlen mit Code".into(),
            bank_details: "Bankverbindung".into(),
            account_holder: "Kontoinhaber".into(),
            reference: "Verwendungszweck".into(),
            page: "Seite {page} von {pages}".into(),
            date: "Datum".into(),
        }
    }
}

/// Checks that `to` is written in E.164 (`+`, then 2 to 15 digits), as SMS and WhatsApp providers
/// want it. A caller bug if not, hence permanent, naming the field.
pub(crate) fn check_e164(to: &str) -> Result<(), crate::SendError> {
    let ok = to
        .strip_prefix('+')
        .is_some_and(|digits| (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(crate::SendError::permanent("invalid to: expected an E.164 number such as +4915112345678"))
    }
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
                ..Default::default()
            }
            .into(),
            SmsMessage { to: "+1".into(), sender_id: None, body: "b".into() }.into(),
            WhatsappMessage {
                to: "+1".into(),
                language: "de".into(),
                body: "b".into(),
                ..Default::default()
            }
            .into(),
            MessengerMessage { psid: "p".into(), text: "t".into(), last_inbound_at: None }.into(),
            LetterMessage {
                sender_lines: vec![],
                recipient_lines: vec![],
                subject: "s".into(),
                body: "b".into(),
                ..Default::default()
            }
            .into(),
        ];
        for (message, kind) in messages.iter().zip(ChannelKind::ALL) {
            assert_eq!(message.kind(), kind);
            let json = serde_json::to_value(message).unwrap();
            assert_eq!(json["kind"], kind.as_str());
        }
    }

    #[test]
    fn whatsapp_and_messenger_json_from_before_templates_still_reads() {
        let old: OutgoingMessage = serde_json::from_str(
            r#"{"kind":"whatsapp","message":{"to":"+4915112345678","language":"de","body":"Hallo"}}"#,
        )
        .unwrap();
        let OutgoingMessage::Whatsapp(whatsapp) = &old else { panic!("{old:?}") };
        assert_eq!((&whatsapp.template, whatsapp.last_inbound_at), (&None, None));
        // And what is absent stays absent when written again, so old readers keep working.
        let json = serde_json::to_value(&old).unwrap();
        assert_eq!(json["message"].as_object().unwrap().len(), 3, "{json}");
        let messenger: MessengerMessage = serde_json::from_str(r#"{"psid":"1","text":"t"}"#).unwrap();
        assert_eq!(messenger.last_inbound_at, None);
    }

    #[test]
    fn letters_from_before_the_document_still_read_and_partial_captions_default_to_german() {
        let old: LetterMessage = serde_json::from_str(
            r#"{"sender_lines":["Acme"],"recipient_lines":["Erika"],"subject":"s","body":"b"}"#,
        )
        .unwrap();
        assert_eq!(old.document, None);
        assert_eq!(serde_json::to_value(&old).unwrap().as_object().unwrap().len(), 4);

        let document: LetterDocument = serde_json::from_value(serde_json::json!({
            "date": "21.10.2026",
            "transfer": {"amount": "12.50", "reference": "RF18539007547034"},
            "captions": {"epc_qr": "Pay with code"}
        }))
        .unwrap();
        let transfer = document.transfer.as_ref().unwrap();
        assert_eq!(transfer.amount, Decimal::new(1250, 2));
        assert_eq!(transfer.reference.as_ref().unwrap().as_str(), "RF18539007547034");
        assert_eq!(document.captions.epc_qr, "Pay with code");
        assert_eq!(document.captions.bank_details, "Bankverbindung");
        // A bad IBAN is refused when the message is read, not when the letter is printed.
        let bad = serde_json::json!({"bank": {"account_holder": "A", "iban": "DE00 0000"}});
        assert!(serde_json::from_value::<LetterDocument>(bad).is_err());
    }

    #[test]
    fn email_json_from_before_attachments_still_reads_and_content_is_base64() {
        let old: EmailMessage = serde_json::from_str(
            r#"{"from_name":"Acme","from_address":"a@acme.example","reply_to":null,"to_name":null,
                "to_address":"e@example.org","subject":"s","text_body":"t","html_body":null}"#,
        )
        .unwrap();
        assert_eq!((&old.list_unsubscribe, old.attachments.len()), (&None, 0));
        assert_eq!(serde_json::to_value(&old).unwrap().as_object().unwrap().len(), 8);

        let with = EmailMessage {
            attachments: vec![Attachment {
                filename: "Mahnung.pdf".into(),
                content_type: "application/pdf".into(),
                content: b"%PDF-1.7".to_vec(),
            }],
            list_unsubscribe: Some(ListUnsubscribe { url: "https://pay.example/u/t".into(), mailto: None }),
            ..old
        };
        let json = serde_json::to_value(&with).unwrap();
        assert_eq!(json["attachments"][0]["content"], "JVBERi0xLjc=");
        assert_eq!(json["list_unsubscribe"], serde_json::json!({"url": "https://pay.example/u/t"}));
        assert_eq!(serde_json::from_value::<EmailMessage>(json).unwrap(), with);
        let bad = r#"{"filename":"a","content_type":"application/pdf","content":"%%%"}"#;
        let err = serde_json::from_str::<Attachment>(bad).unwrap_err();
        assert!(err.to_string().contains("content"), "{err}");
    }

    #[test]
    fn templates_and_the_last_inbound_time_round_trip() {
        let at = "2026-10-20T08:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let message = OutgoingMessage::Whatsapp(WhatsappMessage {
            to: "+4915112345678".into(),
            language: "de".into(),
            body: "Erinnerung: RE-1 über 12,00 €".into(),
            template: Some(WhatsappTemplate {
                name: "payment_reminder_1".into(),
                body_parameters: vec!["RE-1".into(), "12,00 €".into()],
            }),
            last_inbound_at: Some(at),
        });
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["message"]["template"]["body_parameters"][1], "12,00 €");
        assert_eq!(json["message"]["last_inbound_at"], "2026-10-20T08:00:00Z");
        assert_eq!(serde_json::from_value::<OutgoingMessage>(json).unwrap(), message);
    }

    #[test]
    fn the_service_window_is_24_hours_from_the_last_inbound_message() {
        let now = "2026-10-21T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let ago = |minutes| Some(now - chrono::TimeDelta::minutes(minutes));
        assert!(within_service_window(ago(0), now));
        assert!(within_service_window(ago(24 * 60 - 1), now));
        assert!(!within_service_window(ago(24 * 60), now));
        assert!(!within_service_window(None, now));
        // A time in the future is a clock or data error, not an open window.
        assert!(!within_service_window(ago(-5), now));
    }
}
