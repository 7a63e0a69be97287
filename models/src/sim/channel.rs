//! The five media a reminder can travel on, as the simulator sees them, and a value per medium.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One medium. Mirrors `mahnwerk_channels::ChannelKind` name for name without depending on it, so
/// this crate compiles and tests on its own; the wire names are the same strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimChannel {
    Email,
    Sms,
    Whatsapp,
    Messenger,
    Letter,
}

impl SimChannel {
    /// Every medium in enum order. The oracle breaks ties in this order.
    pub const ALL: [SimChannel; 5] =
        [SimChannel::Email, SimChannel::Sms, SimChannel::Whatsapp, SimChannel::Messenger, SimChannel::Letter];

    /// The wire name, the same string serde writes.
    pub const fn as_str(self) -> &'static str {
        match self {
            SimChannel::Email => "email",
            SimChannel::Sms => "sms",
            SimChannel::Whatsapp => "whatsapp",
            SimChannel::Messenger => "messenger",
            SimChannel::Letter => "letter",
        }
    }

    /// Position in [`SimChannel::ALL`], for the per-channel tables of the response model.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SimChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel name that is not one of the five. Keeps the bad value so the caller can name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {value:?}, expected one of email, sms, whatsapp, messenger, letter")]
pub struct ParseSimChannelError {
    pub value: String,
}

impl FromStr for SimChannel {
    type Err = ParseSimChannelError;

    /// Accepts exactly the wire names, like serde does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SimChannel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseSimChannelError { value: s.to_owned() })
    }
}

/// One value per channel. A struct rather than an array so a serialized population reads
/// `"attention": {"email": 0.8, ...}` instead of a bare list of numbers.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PerChannel<T> {
    pub email: T,
    pub sms: T,
    pub whatsapp: T,
    pub messenger: T,
    pub letter: T,
}

impl<T: Copy> PerChannel<T> {
    /// Builds the table by asking `f` once per channel, in [`SimChannel::ALL`] order (so a seeded
    /// `f` draws in a fixed order).
    pub fn from_fn(mut f: impl FnMut(SimChannel) -> T) -> Self {
        PerChannel {
            email: f(SimChannel::Email),
            sms: f(SimChannel::Sms),
            whatsapp: f(SimChannel::Whatsapp),
            messenger: f(SimChannel::Messenger),
            letter: f(SimChannel::Letter),
        }
    }

    pub fn get(&self, channel: SimChannel) -> T {
        match channel {
            SimChannel::Email => self.email,
            SimChannel::Sms => self.sms,
            SimChannel::Whatsapp => self.whatsapp,
            SimChannel::Messenger => self.messenger,
            SimChannel::Letter => self.letter,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_index_order() {
        for (i, channel) in SimChannel::ALL.into_iter().enumerate() {
            assert_eq!(channel.index(), i);
            assert_eq!(channel.as_str().parse::<SimChannel>(), Ok(channel));
        }
        assert!("Email".parse::<SimChannel>().is_err());
    }

    #[test]
    fn per_channel_get_returns_what_from_fn_stored() {
        let table = PerChannel::from_fn(SimChannel::index);
        for channel in SimChannel::ALL {
            assert_eq!(table.get(channel), channel.index());
        }
    }
}
