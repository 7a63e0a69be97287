//! What population to simulate, checked before anything is drawn.

use serde::{Deserialize, Serialize};

use super::debtor::PayerType;

/// Why the simulator refused to run. Names the offending field, as every boundary in mahnwerk does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulator config: `{field}` {reason}")]
    InvalidConfig { field: String, reason: String },
}

impl SimError {
    /// The config field at fault, e.g. `"business_share"` or `"consumer_payers.never"`.
    pub fn field(&self) -> &str {
        match self {
            SimError::InvalidConfig { field, .. } => field,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        SimError::InvalidConfig { field: field.into(), reason: reason.into() }
    }
}

/// Relative weights of the payer types within one segment. Weights, not shares: they need not sum
/// to one, only be non-negative with a positive total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PayerMix {
    pub punctual: f64,
    pub forgetful: f64,
    pub slow: f64,
    pub struggling: f64,
    pub never: f64,
}

impl PayerMix {
    /// Default for consumers: most pay on time, a twelfth are in real trouble, a few never pay.
    pub const CONSUMER: PayerMix =
        PayerMix { punctual: 0.40, forgetful: 0.25, slow: 0.15, struggling: 0.12, never: 0.08 };

    /// Default for businesses: fewer forget, more sit on invoices until the firm stages.
    pub const BUSINESS: PayerMix =
        PayerMix { punctual: 0.35, forgetful: 0.20, slow: 0.30, struggling: 0.10, never: 0.05 };

    pub fn weight(&self, payer: PayerType) -> f64 {
        match payer {
            PayerType::Punctual => self.punctual,
            PayerType::Forgetful => self.forgetful,
            PayerType::Slow => self.slow,
            PayerType::Struggling => self.struggling,
            PayerType::Never => self.never,
        }
    }

    fn validate(&self, field: &str) -> Result<(), SimError> {
        for payer in PayerType::ALL {
            let w = self.weight(payer);
            if !(w.is_finite() && w >= 0.0) {
                return Err(SimError::invalid(
                    format!("{field}.{}", payer.as_str()),
                    format!("must be a finite weight >= 0, got {w}"),
                ));
            }
        }
        if PayerType::ALL.iter().map(|&p| self.weight(p)).sum::<f64>() <= 0.0 {
            return Err(SimError::invalid(field, "must have at least one positive weight"));
        }
        Ok(())
    }
}

/// The population to simulate. Every field has a default (see [`SimConfig::default`]) so a TOML
/// section may set only what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Number of debtors, 1 to 999 999 (ids are `SIM-000001` .. `SIM-999999`). Default 1000.
    pub debtors: usize,
    /// Probability that a debtor is a business, 0 to 1. Default 0.3.
    pub business_share: f64,
    /// Inclusive range of invoices per debtor over the horizon; recurring debtors get several.
    /// `1 <= min <= max <= horizon_days / 7` (at most weekly). Default (1, 6).
    pub invoices_per_debtor: (u32, u32),
    /// Days over which invoices are issued, 30 to 3650. Default 365.
    pub horizon_days: u32,
    /// Probability that a contact the creditor holds is dead (never read), 0 to 1. Email is dead
    /// this often; phones and letters less (see the population module). Default 0.12.
    pub dead_contact_rate: f64,
    /// Payer types among consumers. Default [`PayerMix::CONSUMER`].
    pub consumer_payers: PayerMix,
    /// Payer types among businesses. Default [`PayerMix::BUSINESS`].
    pub business_payers: PayerMix,
    /// Probability that one of a debtor's held contacts other than the letter (picked uniformly)
    /// is dead on top of `dead_contact_rate`: the creditor offers it, nobody reads it. 0 to 1.
    /// Default 0 (no extra draw, so default populations are unchanged).
    pub one_dead_channel_share: f64,
    /// Multiplier of every debtor's typical invoice amount, 0.05 to 20: few large invoices or
    /// many small ones. Default 1.
    pub amount_factor: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            debtors: 1000,
            business_share: 0.3,
            invoices_per_debtor: (1, 6),
            horizon_days: 365,
            dead_contact_rate: 0.12,
            consumer_payers: PayerMix::CONSUMER,
            business_payers: PayerMix::BUSINESS,
            one_dead_channel_share: 0.0,
            amount_factor: 1.0,
        }
    }
}

impl SimConfig {
    /// Checks every field; the first bad one is named in the error.
    pub fn validate(&self) -> Result<(), SimError> {
        if !(1..=999_999).contains(&self.debtors) {
            return Err(SimError::invalid(
                "debtors",
                format!("must be between 1 and 999999, got {}", self.debtors),
            ));
        }
        unit_interval("business_share", self.business_share)?;
        if !(30..=3650).contains(&self.horizon_days) {
            return Err(SimError::invalid(
                "horizon_days",
                format!("must be between 30 and 3650, got {}", self.horizon_days),
            ));
        }
        let (min, max) = self.invoices_per_debtor;
        let most = self.horizon_days / 7;
        if min < 1 || min > max || max > most {
            return Err(SimError::invalid(
                "invoices_per_debtor",
                format!("must satisfy 1 <= min <= max <= {most} (weekly), got ({min}, {max})"),
            ));
        }
        unit_interval("dead_contact_rate", self.dead_contact_rate)?;
        self.consumer_payers.validate("consumer_payers")?;
        self.business_payers.validate("business_payers")?;
        unit_interval("one_dead_channel_share", self.one_dead_channel_share)?;
        if !(0.05..=20.0).contains(&self.amount_factor) {
            return Err(SimError::invalid(
                "amount_factor",
                format!("must be between 0.05 and 20, got {}", self.amount_factor),
            ));
        }
        Ok(())
    }
}

fn unit_interval(field: &str, value: f64) -> Result<(), SimError> {
    // Written so that NaN fails too.
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(SimError::invalid(field, format!("must be between 0 and 1, got {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(config: SimConfig) -> String {
        config.validate().unwrap_err().field().to_owned()
    }

    #[test]
    fn the_default_is_valid() {
        assert_eq!(SimConfig::default().validate(), Ok(()));
    }

    #[test]
    fn each_bad_field_is_named() {
        let base = SimConfig::default;
        assert_eq!(field_of(SimConfig { debtors: 0, ..base() }), "debtors");
        assert_eq!(field_of(SimConfig { business_share: 1.5, ..base() }), "business_share");
        assert_eq!(field_of(SimConfig { business_share: f64::NAN, ..base() }), "business_share");
        assert_eq!(field_of(SimConfig { horizon_days: 10, ..base() }), "horizon_days");
        assert_eq!(field_of(SimConfig { invoices_per_debtor: (3, 2), ..base() }), "invoices_per_debtor");
        assert_eq!(field_of(SimConfig { invoices_per_debtor: (0, 2), ..base() }), "invoices_per_debtor");
        assert_eq!(field_of(SimConfig { invoices_per_debtor: (1, 60), ..base() }), "invoices_per_debtor");
        assert_eq!(field_of(SimConfig { dead_contact_rate: -0.1, ..base() }), "dead_contact_rate");
        assert_eq!(field_of(SimConfig { one_dead_channel_share: 2.0, ..base() }), "one_dead_channel_share");
        assert_eq!(field_of(SimConfig { amount_factor: 0.0, ..base() }), "amount_factor");
        let mut mix = PayerMix::CONSUMER;
        mix.never = -1.0;
        assert_eq!(field_of(SimConfig { consumer_payers: mix, ..base() }), "consumer_payers.never");
        let zero = PayerMix { punctual: 0.0, forgetful: 0.0, slow: 0.0, struggling: 0.0, never: 0.0 };
        assert_eq!(field_of(SimConfig { business_payers: zero, ..base() }), "business_payers");
    }

    #[test]
    fn the_message_names_the_field_and_the_value() {
        let err = SimConfig { business_share: 1.5, ..SimConfig::default() }.validate().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`business_share`"), "{message}");
        assert!(message.contains("1.5"), "{message}");
    }
}
