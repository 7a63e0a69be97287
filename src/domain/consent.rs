//! Consent per channel: the events of the consent ledger (an opt-in or an opt-out, with its time
//! and source) and the state they leave for one debtor, which decides whether a channel may
//! carry a reminder at all.

use super::{ChannelKind, Invalid};
use std::collections::BTreeMap;
use std::fmt;

/// What a ledger event says about one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentKind {
    OptIn,
    OptOut,
}

impl ConsentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptIn => "opt_in",
            Self::OptOut => "opt_out",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "opt_in" => Ok(Self::OptIn),
            "opt_out" => Ok(Self::OptOut),
            other => Err(Invalid::new(format!("'{other}' is neither \"opt_in\" nor \"opt_out\""))),
        }
    }
}

impl fmt::Display for ConsentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who or what recorded a consent event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsentSource {
    /// The creditor's word in an intake message: `whatsapp_opt_in` (reminders) or
    /// `debtor.marketing_consent` (marketing).
    Intake,
    /// A STOP or START reply by SMS.
    SmsKeyword,
    /// The one-click unsubscribe link of an email (RFC 8058).
    EmailUnsubscribe,
    /// WhatsApp said the debtor stopped or blocked the business's messages.
    WhatsappBlock,
    /// A STOP reply on WhatsApp or Messenger.
    ChatKeyword,
    /// Someone at the creditor, on the debtor's word.
    Operator,
    /// The opt-out link of a thank-you message (an objection to marketing).
    OptOutLink,
}

impl ConsentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::SmsKeyword => "sms_keyword",
            Self::EmailUnsubscribe => "email_unsubscribe",
            Self::WhatsappBlock => "whatsapp_block",
            Self::ChatKeyword => "chat_keyword",
            Self::Operator => "operator",
            Self::OptOutLink => "opt_out_link",
        }
    }
}

/// A debtor's consent on every channel: the kind of the latest ledger event per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consents(BTreeMap<ChannelKind, ConsentKind>);

impl Consents {
    pub fn set(&mut self, channel: ChannelKind, kind: ConsentKind) {
        self.0.insert(channel, kind);
    }

    /// The latest event's kind on `channel`, `None` if the ledger has none.
    pub fn latest(&self, channel: ChannelKind) -> Option<ConsentKind> {
        self.0.get(&channel).copied()
    }

    /// Whether a reminder may go out on `channel`. An opt-out always forbids; WhatsApp also needs
    /// a recorded opt-in (Meta's business policy). Messenger's consent is the conversation the
    /// debtor started with the page, which its sender checks through the messaging window.
    pub fn permits(&self, channel: ChannelKind) -> bool {
        match self.latest(channel) {
            Some(ConsentKind::OptOut) => false,
            Some(ConsentKind::OptIn) => true,
            None => channel != ChannelKind::Whatsapp,
        }
    }

    /// Why `channel` is not permitted, for the record of a skipped reminder.
    pub fn refusal(&self, channel: ChannelKind) -> Option<String> {
        match self.latest(channel) {
            _ if self.permits(channel) => None,
            Some(ConsentKind::OptOut) => Some(format!("the debtor opted out of {channel}")),
            _ => Some(format!("no recorded opt-in for {channel}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChannelKind::*;

    #[test]
    fn opt_outs_forbid_and_whatsapp_needs_an_opt_in() {
        let mut consents = Consents::default();
        assert!(consents.permits(Sms) && consents.permits(Email) && consents.permits(Messenger));
        assert!(!consents.permits(Whatsapp));
        assert_eq!(consents.refusal(Whatsapp).unwrap(), "no recorded opt-in for whatsapp");
        consents.set(Whatsapp, ConsentKind::OptIn);
        consents.set(Sms, ConsentKind::OptOut);
        assert!(consents.permits(Whatsapp) && !consents.permits(Sms));
        assert_eq!(consents.refusal(Sms).unwrap(), "the debtor opted out of sms");
        assert_eq!(consents.refusal(Email), None);
    }
}
