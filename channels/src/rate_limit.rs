//! A token bucket in front of any [`Channel`], so a provider's rate limit is kept rather than hit.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::{Channel, ChannelKind, OutgoingMessage, SendError, SendReceipt};

/// `per_second` sends on average, up to `burst` at once after a quiet spell (`[rate_limits.<channel>]`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct RateLimit {
    /// Tokens added per second; more than 0, fractions allowed (`0.5` is one send every 2 s).
    pub per_second: f64,
    /// The bucket's size: how many sends may go out back to back; at least 1.
    pub burst: u32,
}

/// A rate limit that cannot work; names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RateLimitError {
    #[error("per_second must be a number greater than 0, got {0}")]
    PerSecond(f64),
    #[error("burst must be at least 1")]
    Burst,
}

impl RateLimit {
    pub fn check(&self) -> Result<(), RateLimitError> {
        if !(self.per_second.is_finite() && self.per_second > 0.0) {
            return Err(RateLimitError::PerSecond(self.per_second));
        }
        if self.burst == 0 {
            return Err(RateLimitError::Burst);
        }
        Ok(())
    }
}

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// Wraps a transport: each send first takes a token, waiting (asleep, not polling) until one is
/// there. Waiters are served in arrival order because tokio's mutex is fair; the one at the
/// front sleeps holding it, so nobody else spins.
pub struct RateLimited<C> {
    inner: C,
    limit: RateLimit,
    bucket: Mutex<Bucket>,
}

impl<C: Channel> RateLimited<C> {
    /// The bucket starts full, so the first `burst` sends go out at once.
    pub fn new(inner: C, limit: RateLimit) -> Result<Self, RateLimitError> {
        limit.check()?;
        let bucket = Bucket { tokens: f64::from(limit.burst), refilled_at: Instant::now() };
        Ok(RateLimited { inner, limit, bucket: Mutex::new(bucket) })
    }

    /// The transport inside.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    async fn take_token(&self) {
        let mut bucket = self.bucket.lock().await;
        loop {
            let now = Instant::now();
            let earned = now.duration_since(bucket.refilled_at).as_secs_f64() * self.limit.per_second;
            bucket.tokens = (bucket.tokens + earned).min(f64::from(self.limit.burst));
            bucket.refilled_at = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return;
            }
            // Rounded up to the nanosecond, so one sleep is enough and the loop runs again only
            // if the timer woke early.
            let nanos = ((1.0 - bucket.tokens) / self.limit.per_second * 1e9).ceil();
            tokio::time::sleep(Duration::from_nanos(nanos as u64)).await;
        }
    }
}

#[async_trait]
impl<C: Channel> Channel for RateLimited<C> {
    fn kind(&self) -> ChannelKind {
        self.inner.kind()
    }

    async fn send(&self, idempotency_key: &str, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        self.take_token().await;
        self.inner.send(idempotency_key, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_that_cannot_work_are_named() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = RateLimit { per_second: bad, burst: 1 }.check().unwrap_err();
            assert!(err.to_string().contains("per_second"), "{err}");
        }
        let err = RateLimit { per_second: 1.0, burst: 0 }.check().unwrap_err();
        assert!(err.to_string().contains("burst"), "{err}");
        let parsed: RateLimit = serde_json::from_str(r#"{"per_second":0.5,"burst":3}"#).unwrap();
        assert_eq!(parsed, RateLimit { per_second: 0.5, burst: 3 });
    }
}
