//! A payment on its way: an asynchronous PSP method (SEPA Direct Debit) reports a payment as
//! pending days before the money arrives. Meanwhile the case's dunning is held (no reminder is
//! planned or sent); the hold ends settled (the payment arrived), failed (dunning resumes with the
//! next stage) or, when the PSP never reports, expired after [`PendingHold::days`].

use chrono::{DateTime, Duration, Utc};

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldState {
    Open,
    /// The payment arrived.
    Settled,
    /// The PSP reported the payment failed.
    Failed,
    /// Nothing was reported within the hold's days.
    Expired,
}

impl HoldState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Settled => "settled",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

/// How long a pending payment holds dunning at most (`[pay] pending_hold_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingHold {
    /// Default 14: SEPA Direct Debit settles within days.
    pub days: u32,
}

impl Default for PendingHold {
    fn default() -> Self {
        Self { days: 14 }
    }
}

impl PendingHold {
    /// When a hold that starts at `from` ends at the latest.
    pub fn until(&self, from: DateTime<Utc>) -> DateTime<Utc> {
        from + Duration::days(i64::from(self.days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_lasts_its_days() {
        let from: DateTime<Utc> = "2026-03-02T08:00:00Z".parse().unwrap();
        assert_eq!(PendingHold::default().until(from).to_rfc3339(), "2026-03-16T08:00:00+00:00");
        assert_eq!(PendingHold { days: 3 }.until(from).to_rfc3339(), "2026-03-05T08:00:00+00:00");
    }
}
