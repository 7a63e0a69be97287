//! A transport wrapper that lets the simulated debtors see what was sent to them: it forwards
//! to the real (sandbox) transport and notes each successful send.

use async_trait::async_trait;
use mahnwerk_channels::{Channel, ChannelKind, OutgoingMessage, SendError, SendReceipt};
use std::sync::{Arc, Mutex};

/// One reminder that went out: its channel and idempotency key (`rem-<case>-<stage>`).
#[derive(Debug, Clone)]
pub struct Sent {
    pub channel: ChannelKind,
    pub key: String,
}

#[derive(Clone, Default)]
pub struct SendLog(Arc<Mutex<Vec<Sent>>>);

impl SendLog {
    /// Everything sent since the last call, in the order of the reminders' keys rather than the
    /// order the sends finished in (concurrent sends finish in an order the threads decide): the
    /// debtors answer in this order, each drawing from the seeded generator, so a seed gives the
    /// same year every time.
    pub fn take(&self) -> Vec<Sent> {
        let mut sent = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        sent.sort_by(|a, b| (parse_key(&a.key), &a.key).cmp(&(parse_key(&b.key), &b.key)));
        sent
    }
}

pub struct Recording {
    pub inner: Arc<dyn Channel>,
    pub log: SendLog,
}

#[async_trait]
impl Channel for Recording {
    fn kind(&self) -> ChannelKind {
        self.inner.kind()
    }

    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let receipt = self.inner.send(idempotency_key, message).await?;
        self.log
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Sent { channel: self.inner.kind(), key: idempotency_key.to_owned() });
        Ok(receipt)
    }
}

/// `rem-<case>-<stage>` back into its parts.
pub fn parse_key(key: &str) -> Option<(i64, u32)> {
    let rest = key.strip_prefix("rem-")?;
    let (case, stage) = rest.rsplit_once('-')?;
    Some((case.parse().ok()?, stage.parse().ok()?))
}
