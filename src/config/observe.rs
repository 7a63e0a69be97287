//! `[observe]`: where the roles without an HTTP server of their own (intake, scheduler, delivery,
//! learner, recommender) answer `/healthz`, `/readyz` and `/metrics`.

use serde::Deserialize;
use std::net::SocketAddr;

/// `[observe]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObserveConfig {
    /// The address of the health and metrics listener, e.g. `0.0.0.0:9464` (port 0 picks a free
    /// one). Unset (the default): only the `api` role answers them, on `[http] listen`; set,
    /// every role answers here, and the `api` role keeps `/metrics` off its public port.
    pub listen: Option<SocketAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_section_parses() {
        let config: ObserveConfig = toml::from_str("listen = \"0.0.0.0:9464\"").unwrap();
        assert_eq!(config.listen, Some(SocketAddr::from(([0, 0, 0, 0], 9464))));
        assert!(toml::from_str::<ObserveConfig>("port = 1").is_err(), "unknown keys are errors");
    }
}
