//! `[console]`: the operator console's sessions and login throttling (see `docs/console.md`).

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
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self { secure_cookie: true, session_hours: 12, login_failures: 5, login_window_minutes: 15 }
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
        Ok(())
    }
}
