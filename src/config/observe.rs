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

impl ObserveConfig {
    /// `MAHNWERK_OBSERVE_LISTEN` over the file's `listen`.
    pub fn apply_env(&mut self, var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(listen) = var("MAHNWERK_OBSERVE_LISTEN") {
            let parsed = listen.parse().map_err(|_| {
                anyhow::anyhow!("MAHNWERK_OBSERVE_LISTEN: '{listen}' is not an address like 0.0.0.0:9464")
            })?;
            self.listen = Some(parsed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_sets_the_listener_and_a_bad_address_is_named() {
        let mut config = ObserveConfig::default();
        config.apply_env(&|_: &str| None).unwrap();
        assert_eq!(config.listen, None, "off unless asked for");
        config
            .apply_env(&|name: &str| (name == "MAHNWERK_OBSERVE_LISTEN").then(|| "127.0.0.1:9464".into()))
            .unwrap();
        assert_eq!(config.listen, Some(SocketAddr::from(([127, 0, 0, 1], 9464))));
        let error = config.apply_env(&|_: &str| Some("nine".into())).unwrap_err();
        assert!(error.to_string().contains("MAHNWERK_OBSERVE_LISTEN: 'nine'"), "{error}");
    }

    #[test]
    fn the_file_section_parses() {
        let config: ObserveConfig = toml::from_str("listen = \"0.0.0.0:9464\"").unwrap();
        assert_eq!(config.listen, Some(SocketAddr::from(([0, 0, 0, 0], 9464))));
        assert!(toml::from_str::<ObserveConfig>("port = 1").is_err(), "unknown keys are errors");
    }
}
