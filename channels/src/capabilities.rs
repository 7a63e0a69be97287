//! What each medium can carry and what one message on it costs, so the service can rule a channel
//! out (no consent, too long, needs a QR code) and weigh it against the others.
//!
//! [`ChannelKind::capabilities`] gives the built-in defaults. [`CapabilityTable`] holds one entry per
//! medium and deserialises from config, where each field may be overridden on its own:
//!
//! ```toml
//! [sms]
//! cost_eur = "0.09"      # per segment
//! max_segments = 2
//!
//! [letter]
//! cost_eur = "0.95"
//! ```

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::{sms_segments, ChannelKind, OutgoingMessage};

/// SMS segments a reminder may use unless configured otherwise: 459 GSM-7 or 201 UCS-2 characters.
pub const DEFAULT_SMS_MAX_SEGMENTS: usize = 3;
/// Characters in the body of a WhatsApp template (Meta's limit for template body text).
pub const WHATSAPP_MAX_CHARS: usize = 1024;
/// Characters in a Messenger text message: the Send API wants "fewer than 2000".
pub const MESSENGER_MAX_CHARS: usize = 1999;

/// How long a message on a medium may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxLength {
    /// No limit that a reminder could reach (email, letter).
    Unlimited,
    /// At most this many Unicode characters.
    Characters(usize),
    /// At most this many SMS segments, counted by [`sms_segments`].
    Segments(usize),
}

impl MaxLength {
    /// Whether `text` fits.
    pub fn fits(self, text: &str) -> bool {
        match self {
            MaxLength::Unlimited => true,
            MaxLength::Characters(max) => text.chars().count() <= max,
            MaxLength::Segments(max) => sms_segments::fits(text, max),
        }
    }
}

/// What a medium can do, and what it costs. Plain data: the service decides what to make of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub kind: ChannelKind,
    /// The debtor must have agreed to messages on this medium first (WhatsApp's business policy;
    /// Messenger, where only a debtor who wrote to the page can be answered). Media without it still
    /// respect an opt-out.
    pub needs_opt_in: bool,
    pub max_length: MaxLength,
    /// Euros per message, or per segment for SMS (see [`Capabilities::cost_of`]).
    pub cost_eur: Decimal,
    /// A link the debtor can tap or click (a letter's printed URL does not count; its QR code does).
    pub can_link: bool,
    /// A QR code, e.g. the EPC "GiroCode" for a bank transfer: printed, or sent as an image.
    pub can_qr: bool,
    /// A file beside the message: an invoice copy, or an enclosure in a letter.
    pub can_attach: bool,
}

/// The built-in capabilities of a medium (`ChannelKind` lives in the shared
/// `mahnwerk-channel-kind` crate, so they come as a trait of this one).
pub trait KindCapabilities {
    /// The built-in capabilities of this medium, used where config overrides nothing.
    fn capabilities(self) -> Capabilities;
}

impl KindCapabilities for ChannelKind {
    fn capabilities(self) -> Capabilities {
        let (needs_opt_in, max_length, cost_eur, can_link, can_qr, can_attach) = match self {
            ChannelKind::Email => (false, MaxLength::Unlimited, Decimal::new(1, 3), true, true, true),
            ChannelKind::Sms => (
                false,
                MaxLength::Segments(DEFAULT_SMS_MAX_SEGMENTS),
                Decimal::new(75, 3),
                true,
                false,
                false,
            ),
            ChannelKind::Whatsapp => {
                (true, MaxLength::Characters(WHATSAPP_MAX_CHARS), Decimal::new(6, 2), true, true, true)
            }
            ChannelKind::Messenger => {
                (true, MaxLength::Characters(MESSENGER_MAX_CHARS), Decimal::ZERO, true, true, true)
            }
            ChannelKind::Letter => (false, MaxLength::Unlimited, Decimal::new(120, 2), false, true, true),
        };
        Capabilities { kind: self, needs_opt_in, max_length, cost_eur, can_link, can_qr, can_attach }
    }
}

impl Capabilities {
    /// The text that counts against [`Capabilities::max_length`]: the body the debtor reads.
    fn measured_text(message: &OutgoingMessage) -> &str {
        match message {
            OutgoingMessage::Email(m) => &m.text_body,
            OutgoingMessage::Sms(m) => &m.body,
            OutgoingMessage::Whatsapp(m) => &m.body,
            OutgoingMessage::Messenger(m) => &m.text,
            OutgoingMessage::Letter(m) => &m.body,
        }
    }

    /// Whether `message` fits this medium's length limit.
    pub fn fits(&self, message: &OutgoingMessage) -> bool {
        self.max_length.fits(Self::measured_text(message))
    }

    /// What sending `message` costs in euros: one message's price, times its segments for SMS.
    pub fn cost_of(&self, message: &OutgoingMessage) -> Decimal {
        match message {
            OutgoingMessage::Sms(sms) => {
                self.cost_eur * Decimal::from(sms_segments::count(&sms.body).segments)
            }
            _ => self.cost_eur,
        }
    }
}

/// The capabilities of all five media. Deserialises from a table per medium whose fields each
/// override one default; anything not given keeps its [`ChannelKind::capabilities`] value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "TableConfig")]
pub struct CapabilityTable {
    entries: [Capabilities; 5],
}

impl Default for CapabilityTable {
    fn default() -> Self {
        CapabilityTable { entries: ChannelKind::ALL.map(ChannelKind::capabilities) }
    }
}

impl CapabilityTable {
    pub fn get(&self, kind: ChannelKind) -> &Capabilities {
        // `entries` follows the order of `ChannelKind::ALL`, which is the order of the enum.
        &self.entries[kind as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Capabilities> {
        self.entries.iter()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableConfig {
    #[serde(default)]
    email: Overrides,
    #[serde(default)]
    sms: Overrides,
    #[serde(default)]
    whatsapp: Overrides,
    #[serde(default)]
    messenger: Overrides,
    #[serde(default)]
    letter: Overrides,
}

/// One medium's overrides. `max_chars` and `max_segments` set the length limit; `max_chars = 0`
/// is refused rather than read as "unlimited", which is said with `unlimited_length = true`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    needs_opt_in: Option<bool>,
    cost_eur: Option<Decimal>,
    max_chars: Option<usize>,
    max_segments: Option<usize>,
    unlimited_length: Option<bool>,
    can_link: Option<bool>,
    can_qr: Option<bool>,
    can_attach: Option<bool>,
}

/// A capability override that makes no sense. Names the medium and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("capabilities.{kind}.{field}: {reason}")]
pub struct CapabilityConfigError {
    pub kind: ChannelKind,
    pub field: &'static str,
    pub reason: String,
}

impl TryFrom<TableConfig> for CapabilityTable {
    type Error = CapabilityConfigError;

    fn try_from(config: TableConfig) -> Result<Self, Self::Error> {
        let TableConfig { email, sms, whatsapp, messenger, letter } = config;
        let mut table = CapabilityTable::default();
        for (kind, overrides) in ChannelKind::ALL.into_iter().zip([email, sms, whatsapp, messenger, letter]) {
            overrides.apply(&mut table.entries[kind as usize])?;
        }
        Ok(table)
    }
}

impl Overrides {
    fn apply(self, caps: &mut Capabilities) -> Result<(), CapabilityConfigError> {
        let error =
            |field, reason: &str| CapabilityConfigError { kind: caps.kind, field, reason: reason.into() };
        if let Some(cost) = self.cost_eur {
            if cost.is_sign_negative() {
                return Err(error("cost_eur", "must not be negative"));
            }
            caps.cost_eur = cost;
        }
        let lengths =
            [self.max_chars.is_some(), self.max_segments.is_some(), self.unlimited_length == Some(true)];
        if lengths.iter().filter(|&&given| given).count() > 1 {
            return Err(error("max_chars", "give only one of max_chars, max_segments, unlimited_length"));
        }
        if let Some(chars) = self.max_chars {
            if chars == 0 {
                return Err(error("max_chars", "must be at least 1"));
            }
            caps.max_length = MaxLength::Characters(chars);
        }
        if let Some(segments) = self.max_segments {
            if caps.kind != ChannelKind::Sms {
                return Err(error("max_segments", "only SMS is counted in segments"));
            }
            if segments == 0 {
                return Err(error("max_segments", "must be at least 1"));
            }
            caps.max_length = MaxLength::Segments(segments);
        }
        if self.unlimited_length == Some(true) {
            caps.max_length = MaxLength::Unlimited;
        }
        caps.needs_opt_in = self.needs_opt_in.unwrap_or(caps.needs_opt_in);
        caps.can_link = self.can_link.unwrap_or(caps.can_link);
        caps.can_qr = self.can_qr.unwrap_or(caps.can_qr);
        caps.can_attach = self.can_attach.unwrap_or(caps.can_attach);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::{MessengerMessage, SmsMessage};

    fn eur(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn defaults_match_the_issue() {
        let costs = ChannelKind::ALL.map(|k| k.capabilities().cost_eur);
        assert_eq!(costs, [eur("0.001"), eur("0.075"), eur("0.06"), eur("0"), eur("1.20")]);
        assert_eq!(ChannelKind::Sms.capabilities().max_length, MaxLength::Segments(3));
        assert!(ChannelKind::Whatsapp.capabilities().needs_opt_in);
        assert!(!ChannelKind::Email.capabilities().needs_opt_in);
        let letter = ChannelKind::Letter.capabilities();
        assert!(letter.can_qr && !letter.can_link);
        let sms = ChannelKind::Sms.capabilities();
        assert!(sms.can_link && !sms.can_qr && !sms.can_attach);
    }

    #[test]
    fn the_table_is_indexed_by_kind() {
        let table = CapabilityTable::default();
        for kind in ChannelKind::ALL {
            assert_eq!(table.get(kind).kind, kind);
        }
        assert_eq!(table.iter().count(), 5);
    }

    #[test]
    fn sms_costs_per_segment_and_others_per_message() {
        let caps = ChannelKind::Sms.capabilities();
        let sms = |body: String| OutgoingMessage::Sms(SmsMessage { to: "+1".into(), sender_id: None, body });
        assert_eq!(caps.cost_of(&sms("a".repeat(160))), eur("0.075"));
        assert_eq!(caps.cost_of(&sms("a".repeat(161))), eur("0.150"));
        // One emoji turns the text into UCS-2: 70 units a segment, 67 when concatenated.
        assert_eq!(caps.cost_of(&sms(format!("{}🙂", "a".repeat(69)))), eur("0.150"));
        let messenger = OutgoingMessage::Messenger(MessengerMessage {
            psid: "1".into(),
            text: "x".repeat(500),
            last_inbound_at: None,
        });
        assert_eq!(ChannelKind::Messenger.capabilities().cost_of(&messenger), Decimal::ZERO);
    }

    #[test]
    fn length_limits_count_segments_or_characters() {
        let caps = ChannelKind::Sms.capabilities();
        let sms = |body: String| OutgoingMessage::Sms(SmsMessage { to: "+1".into(), sender_id: None, body });
        assert!(caps.fits(&sms("a".repeat(459))));
        assert!(!caps.fits(&sms("a".repeat(460))));
        let messenger = |n| {
            OutgoingMessage::Messenger(MessengerMessage {
                psid: "1".into(),
                text: "ü".repeat(n),
                last_inbound_at: None,
            })
        };
        let caps = ChannelKind::Messenger.capabilities();
        assert!(caps.fits(&messenger(1999)));
        assert!(!caps.fits(&messenger(2000)));
    }

    #[test]
    fn config_overrides_single_fields_and_keeps_the_rest() {
        let table: CapabilityTable = toml::from_str(
            r#"
            [sms]
            cost_eur = "0.09"
            max_segments = 2

            [letter]
            cost_eur = 0.95
            needs_opt_in = true

            [email]
            max_chars = 5000
            "#,
        )
        .unwrap();
        let sms = table.get(ChannelKind::Sms);
        assert_eq!(sms.cost_eur, eur("0.09"));
        assert_eq!(sms.max_length, MaxLength::Segments(2));
        assert!(sms.can_link);
        let letter = table.get(ChannelKind::Letter);
        assert_eq!(letter.cost_eur, eur("0.95"));
        assert!(letter.needs_opt_in && letter.can_qr);
        assert_eq!(table.get(ChannelKind::Email).max_length, MaxLength::Characters(5000));
        assert_eq!(table.get(ChannelKind::Whatsapp), &ChannelKind::Whatsapp.capabilities());
        assert_eq!(toml::from_str::<CapabilityTable>("").unwrap(), CapabilityTable::default());
    }

    #[test]
    fn bad_overrides_name_the_medium_and_field() {
        for (config, expected) in [
            ("[sms]\ncost_eur = \"-0.01\"", "capabilities.sms.cost_eur"),
            ("[email]\nmax_segments = 2", "capabilities.email.max_segments"),
            ("[sms]\nmax_segments = 0", "capabilities.sms.max_segments"),
            ("[messenger]\nmax_chars = 0", "capabilities.messenger.max_chars"),
            ("[sms]\nmax_chars = 10\nmax_segments = 1", "capabilities.sms.max_chars"),
        ] {
            let err = toml::from_str::<CapabilityTable>(config).unwrap_err().to_string();
            assert!(err.contains(expected), "{config}: {err}");
        }
        for typo in ["[fax]\ncost_eur = 1", "[sms]\ncost = 1"] {
            assert!(toml::from_str::<CapabilityTable>(typo).is_err(), "{typo}");
        }
    }
}
