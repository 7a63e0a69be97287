//! Deliver a rendered message over one medium: email, SMS, WhatsApp, Messenger or postal letter.
//!
//! This crate knows nothing of invoices or dunning. It receives an [`OutgoingMessage`] that the
//! service has already rendered, sends it through a [`Channel`] with an idempotency key, and answers
//! with the provider's id ([`SendReceipt`]) or a [`SendError`] that says whether to retry.
//!
//! # Layout
//! - [`kind`]: the five media and their names on the wire.
//! - [`capabilities`]: what each medium can carry and what a message on it costs.
//! - [`message`]: what a rendered message looks like per medium.
//! - [`error`]: failures classified as transient, permanent or retry-after.
//! - [`email`]: email over SMTP with lettre, or written as `.eml` files in sandbox mode.
//! - [`sandbox`]: the sandbox transports of the other media, JSON lines in an outbox folder, and
//!   letters also as PDF files.
//! - [`letter`]: the postal letter printed as an A4 PDF in DIN 5008 form B, with its QR codes,
//!   and posted through Pingen's print-and-mail API.
//! - [`sms`]: SMS through Twilio, and the STOP/START keywords of inbound replies.
//! - [`whatsapp`] and [`messenger`]: Meta's WhatsApp Cloud API and Messenger Send API.
//! - [`iban`] and [`creditor_reference`]: bank details and ISO 11649 RF references for letters.
//! - [`epc_qr`]: the EPC069-12 ("GiroCode") QR payload, built and parsed.
//! - [`sms_segments`]: GSM-7 / UCS-2 detection and SMS segment counting.
//! - [`signature`]: webhook signature checks for Meta, Twilio and Pingen.
//! - [`rate_limit`]: a token bucket that keeps any transport within its provider's rate limit.
//! - [`request`]: the request an HTTP provider transport would send, for previews.

pub mod capabilities;
pub mod creditor_reference;
pub mod email;
pub mod epc_qr;
pub mod error;
mod graph;
mod http;
pub mod iban;
/// The five media and their names on the wire (the `mahnwerk-channel-kind` crate, which the
/// service's domain shares).
pub mod kind {
    pub use mahnwerk_channel_kind::{ChannelKind, ParseChannelKindError};
}
pub mod letter;
pub mod message;
pub mod messenger;
pub mod rate_limit;
pub mod request;
pub mod sandbox;
pub mod signature;
pub mod sms;
pub mod sms_segments;
pub mod whatsapp;

pub use capabilities::{Capabilities, CapabilityTable, KindCapabilities, MaxLength};
pub use error::SendError;
pub use kind::ChannelKind;
pub use message::{
    AmountRow, Attachment, BankDetails, EmailMessage, InfoRow, LetterCaptions, LetterDocument, LetterMessage,
    ListUnsubscribe, MessengerMessage, OutgoingMessage, PayLink, SmsMessage, Transfer, WhatsappMessage,
    WhatsappTemplate, WindowClock,
};
pub use rate_limit::{RateLimit, RateLimitError, RateLimited};
pub use request::ProviderRequest;

use async_trait::async_trait;

/// What a provider said when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The provider's id for the message (SMTP `Message-ID`, API message id, outbox file name).
    pub provider_id: String,
}

/// One medium's transport. Implementations must be safe to call again with the same idempotency
/// key: a repeated call must not produce a second message where the provider allows preventing it.
#[async_trait]
pub trait Channel: Send + Sync {
    /// The medium this transport serves.
    fn kind(&self) -> ChannelKind;

    /// Sends one message. `idempotency_key` is stable across retries of the same reminder.
    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError>;
}

/// A shared transport is a transport, so decorators such as [`RateLimited`] can wrap one chosen
/// at run time.
#[async_trait]
impl Channel for std::sync::Arc<dyn Channel> {
    fn kind(&self) -> ChannelKind {
        (**self).kind()
    }

    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        (**self).send(idempotency_key, message).await
    }
}
