//! `[console]`: the operator console's sessions, login throttling and how often its tenants'
//! figures are read anew (see `docs/console.md`).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Whether the session cookie is marked `Secure` (sent over HTTPS only); default true. Turn
    /// it off only for a console reached over plain HTTP on a trusted network (or in tests).
    pub secure_cookie: bool,
    /// How long a login lasts, in hours (1 to 168, default 12).
    pub session_hours: u32,
    /// Failed logins per account within `login_window_minutes` after which further attempts get
    /// 429 until the window has passed (1 to 100, default 5).
    pub login_failures: u32,
    /// The throttling window, in minutes (1 to 1440, default 15).
    pub login_window_minutes: u32,
    /// Seconds between two readings of each tenant's summary, the facts the statistics and the
    /// overview are computed from (1 to 86400, default 300): the `api` role reads them in the
    /// background, one tenant after another, and serves them with the time they are as of.
    pub summary_refresh_secs: u64,
    /// Whether the `api` role reads the summaries of the tenants with console accounts when it
    /// starts (in the background; default true), so that no operator's first call waits for
    /// its tenant's reading. Off, each tenant's first call reads it.
    pub summaries_at_start: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            secure_cookie: true,
            session_hours: 12,
            login_failures: 5,
            login_window_minutes: 15,
            summary_refresh_secs: 300,
            summaries_at_start: true,
        }
    }
}

impl ConsoleConfig {
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!((1..=168).contains(&self.session_hours), "console.session_hours: must be 1 to 168");
        anyhow::ensure!((1..=100).contains(&self.login_failures), "console.login_failures: must be 1 to 100");
        anyhow::ensure!(
            (1..=1440).contains(&self.login_window_minutes),
            "console.login_window_minutes: must be 1 to 1440"
        );
        anyhow::ensure!(
            (1..=86_400).contains(&self.summary_refresh_secs),
            "console.summary_refresh_secs: must be 1 to 86400"
        );
        Ok(())
    }

    /// How often the tenants' summaries are read anew.
    pub fn summary_refresh(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.summary_refresh_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_refresh_is_checked_and_named() {
        assert_eq!(ConsoleConfig::default().summary_refresh(), std::time::Duration::from_secs(300));
        for wrong in [0, 86_401] {
            let config = ConsoleConfig { summary_refresh_secs: wrong, ..ConsoleConfig::default() };
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains("console.summary_refresh_secs"), "{error}");
        }
        assert!(ConsoleConfig { summary_refresh_secs: 86_400, ..ConsoleConfig::default() }
            .validate()
            .is_ok());
    }
}
