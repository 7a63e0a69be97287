//! Delivery: one worker per channel consumes its `mahnwerk.delivery` queue, re-checks each
//! reminder against the database (a paid, paused or cancelled case is skipped; an instalment
//! reminder whose instalment is paid or whose plan ended too), renders it,
//! sends it through `mahnwerk-channels` with the reminder's idempotency key, and records the
//! result before acking. Transient failures go back into the outbox with exponential backoff.

pub mod fallback;
pub mod final_notice;
pub mod instalment;
pub mod letter;
pub mod links;
pub mod locale;
pub mod owed;
pub mod preview;
pub mod receipts;
mod record;
pub mod reference;
pub mod render;
pub mod stamp;
pub mod templates;
pub mod words;
mod worker;

#[cfg(test)]
mod instalment_tests;
#[cfg(test)]
mod letter_tests;
#[cfg(test)]
mod render_tests;

pub use links::{LinkClaims, LinkError, LinkPurpose, Links, LinksConfig};
pub use receipts::{record_consent, record_provider_report, unsubscribe};
pub use record::record_deliveries;
pub use render::{Creditor, CreditorBank, Creditors, RenderError, Vars};
pub use templates::{TemplateError, Templates};
pub use worker::{ChannelWorker, RetryPolicy, CONCURRENT_SENDS, RECORD_EVERY};

use crate::domain::ChannelKind;
use mahnwerk_channels::Channel;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The transport of each channel.
#[derive(Clone)]
pub struct Transports(BTreeMap<ChannelKind, Arc<dyn Channel>>);

impl Transports {
    /// Sandbox transports for every channel, writing into `outbox` (`.eml` files for email,
    /// JSON lines for the others).
    pub fn sandbox(outbox: &Path) -> Self {
        let mut map: BTreeMap<ChannelKind, Arc<dyn Channel>> = BTreeMap::new();
        map.insert(ChannelKind::Email, Arc::new(mahnwerk_channels::email::SandboxEmail::new(outbox)));
        for kind in [ChannelKind::Sms, ChannelKind::Whatsapp, ChannelKind::Messenger, ChannelKind::Letter] {
            map.insert(kind, Arc::new(mahnwerk_channels::sandbox::SandboxChannel::new(kind, outbox)));
        }
        Self(map)
    }

    /// Replaces one channel's transport (e.g. real SMTP for email).
    pub fn with(mut self, transport: Arc<dyn Channel>) -> Self {
        self.0.insert(transport.kind(), transport);
        self
    }

    /// Paces one channel's sends with a token bucket (a provider's rate limit).
    pub fn limit(mut self, kind: ChannelKind, limit: mahnwerk_channels::RateLimit) -> anyhow::Result<Self> {
        if let Some(transport) = self.0.remove(&kind) {
            let limited = mahnwerk_channels::RateLimited::new(transport, limit)
                .map_err(|e| anyhow::anyhow!("rate_limits.{kind}.{e}"))?;
            self.0.insert(kind, Arc::new(limited));
        }
        Ok(self)
    }

    /// The transport of one channel.
    pub fn get(&self, kind: ChannelKind) -> Option<&Arc<dyn Channel>> {
        self.0.get(&kind)
    }

    pub fn iter(&self) -> impl Iterator<Item = (ChannelKind, &Arc<dyn Channel>)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }
}
