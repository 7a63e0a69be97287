//! The five media a reminder can travel on, and their names on the wire and in config. A crate of
//! its own so that the service's domain and the channels crate share the type without either
//! depending on the other.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One medium. The lowercase names (`"email"`, `"sms"`, …) are part of the policy protocol and the
/// decision log, so they must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Email,
    Sms,
    Whatsapp,
    Messenger,
    Letter,
}

impl ChannelKind {
    /// Every medium, in a fixed order (the order of the enum), for iterating in tests and config.
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Email,
        ChannelKind::Sms,
        ChannelKind::Whatsapp,
        ChannelKind::Messenger,
        ChannelKind::Letter,
    ];

    /// The wire name, the same string serde writes.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::Messenger => "messenger",
            ChannelKind::Letter => "letter",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel name that is not one of the five. Keeps the bad value so the caller can name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {value:?}, expected one of email, sms, whatsapp, messenger, letter")]
pub struct ParseChannelKindError {
    pub value: String,
}

impl FromStr for ChannelKind {
    type Err = ParseChannelKindError;

    /// Accepts exactly the wire names. Strict on purpose: serde is strict too, and a name that
    /// parses in one place must parse everywhere.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| ParseChannelKindError { value: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.as_str().parse::<ChannelKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn serde_uses_the_same_names_as_from_str() {
        for kind in ChannelKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<ChannelKind>(&json).unwrap(), kind);
        }
    }

    #[test]
    fn unknown_names_are_rejected_with_the_value_in_the_message() {
        for bad in ["", "fax", "Email", " sms", "whats app"] {
            let err = bad.parse::<ChannelKind>().unwrap_err();
            assert_eq!(err.value, bad);
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn all_lists_each_kind_once_in_order() {
        let mut sorted = ChannelKind::ALL;
        sorted.sort();
        assert_eq!(sorted, ChannelKind::ALL);
        assert_eq!(
            ChannelKind::ALL.map(ChannelKind::as_str),
            ["email", "sms", "whatsapp", "messenger", "letter"]
        );
    }
}
