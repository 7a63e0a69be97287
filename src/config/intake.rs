//! `[intake]`: how many bytes of message bodies the intake holds at once (see
//! [`crate::intake::batch_limits`] and the README's "Intake memory").

use anyhow::bail;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeConfig {
    /// The bodies the intake holds at once, prefetched from RabbitMQ or in the batch being
    /// applied, in MiB: the prefetch is this many messages (each at most 1 MiB), half of them
    /// per batch (at most 500). 2 to 1024, default 256: batches of 128 messages; a smaller budget
    /// means smaller batches and a slower intake (README, "Intake memory").
    pub max_in_flight_mib: u32,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        Self { max_in_flight_mib: 256 }
    }
}

impl IntakeConfig {
    /// The budget in bytes.
    pub fn max_in_flight_bytes(&self) -> usize {
        (self.max_in_flight_mib as usize) << 20
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if !(2..=1024).contains(&self.max_in_flight_mib) {
            bail!("intake.max_in_flight_mib must be between 2 and 1024, got {}", self.max_in_flight_mib);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_intakes_and_bad_values_name_the_key() {
        assert_eq!(IntakeConfig::default().max_in_flight_bytes(), 256 * 1024 * 1024);
        for bad in [0, 1, 1025] {
            let error = IntakeConfig { max_in_flight_mib: bad }.validate().unwrap_err();
            assert!(error.to_string().contains("intake.max_in_flight_mib"), "{error}");
        }
        assert!(IntakeConfig { max_in_flight_mib: 2 }.validate().is_ok());
    }
}
