//! Which policy (and which model snapshot of it) made a decision: recorded on every reminder and
//! in the decision log, so an analyst can tell the fixed schedule from each learned model.

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A policy version such as `fixed-v1` or `bandit-v12`: 1 to 64 characters of `a-z`, `0-9`, `.`,
/// `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyVersion(String);

impl PolicyVersion {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_');
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(ok_char) {
            return Err(Invalid::new("must be 1 to 64 characters of a-z, 0-9, '.', '-' and '_'"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The fixed schedule (the plan's first allowed channel at 10:00).
    pub fn fixed() -> Self {
        Self("fixed-v1".to_owned())
    }

    /// The adaptive policy with model snapshot `snapshot` (0 before the first one is stored).
    pub fn bandit(snapshot: i64) -> Self {
        Self(format!("bandit-v{snapshot}"))
    }

    /// The snapshot of an adaptive policy's version, `None` for any other policy.
    pub fn bandit_snapshot(&self) -> Option<i64> {
        self.0.strip_prefix("bandit-v")?.parse().ok()
    }
}

super::ids::string_newtype_impls!(PolicyVersion);

impl PartialEq<&str> for PolicyVersion {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_the_two_policies_round_trip() {
        assert_eq!(PolicyVersion::fixed(), "fixed-v1");
        assert_eq!(PolicyVersion::bandit(12), "bandit-v12");
        assert_eq!(PolicyVersion::bandit(12).bandit_snapshot(), Some(12));
        assert_eq!(PolicyVersion::fixed().bandit_snapshot(), None);
        assert_eq!(PolicyVersion::parse("bandit-v3").unwrap(), PolicyVersion::bandit(3));
        assert!(PolicyVersion::parse("").is_err());
        assert!(PolicyVersion::parse("Bandit v3").is_err());
    }
}
