//! A debtor's dispute of a claim (from the pay-page) and how the creditor resolves it. While a
//! dispute is open the case is held: no reminder goes out.

use serde::{Deserialize, Serialize};

/// Why the debtor disputes the claim: the pay-page offers these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeReason {
    AlreadyPaid,
    NotReceived,
    Defective,
    WrongAmount,
    NotOrdered,
    Other,
}

impl DisputeReason {
    pub const ALL: [DisputeReason; 6] = [
        Self::AlreadyPaid,
        Self::NotReceived,
        Self::Defective,
        Self::WrongAmount,
        Self::NotOrdered,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadyPaid => "already_paid",
            Self::NotReceived => "not_received",
            Self::Defective => "defective",
            Self::WrongAmount => "wrong_amount",
            Self::NotOrdered => "not_ordered",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// How the creditor resolved a dispute (`case.dispute_resolved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeResolution {
    /// The claim stands: dunning resumes.
    ClaimStands,
    /// The creditor withdraws the claim: the case is cancelled.
    ClaimWithdrawn,
}

impl DisputeResolution {
    pub const ALL: [DisputeResolution; 2] = [Self::ClaimStands, Self::ClaimWithdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaimStands => "claim_stands",
            Self::ClaimWithdrawn => "claim_withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for reason in DisputeReason::ALL {
            assert_eq!(DisputeReason::parse(reason.as_str()), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
        for resolution in DisputeResolution::ALL {
            assert_eq!(DisputeResolution::parse(resolution.as_str()), Some(resolution));
            assert_eq!(serde_json::to_value(resolution).unwrap(), resolution.as_str());
        }
    }
}
