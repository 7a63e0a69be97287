//! Requests per minute per key (a client address, a pay-link): a fixed one-minute window per key,
//! in memory. Enough to stop one address or one leaked link from hammering the pay-page; several
//! `api` processes each count on their own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Keys kept before the windows of past minutes are swept.
const SWEEP_AT: usize = 50_000;

/// Counts requests per key per minute.
pub struct RateLimiter {
    per_minute: u32,
    started: Instant,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, started: Instant::now(), windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one request for `key`; `false` when the key is over its limit this minute.
    pub fn allow(&self, key: &str) -> bool {
        let minute = self.started.elapsed().as_secs() / 60;
        let mut windows = self.windows.lock().expect("not poisoned");
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (window, _)| *window == minute);
        }
        let entry = windows.entry(key.to_owned()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_limit_is_refused_and_others_are_not() {
        let limiter = RateLimiter::new(3);
        assert!((0..3).all(|_| limiter.allow("10.0.0.1")));
        assert!(!limiter.allow("10.0.0.1"));
        assert!(limiter.allow("10.0.0.2"));
    }
}
