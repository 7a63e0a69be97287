//! The store's narrow steps for payments on their way ([`HoldSteps`], part of every
//! [`StoreTx`](super::StoreTx)): a pending PSP payment's hold on a case, as rows. What a hold
//! does to the case is decided in `crate::pay::hold` and `crate::schedule::resume`.

use super::StoreError;
use crate::domain::{HoldState, PaymentSource};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A hold whose time ran out without word from the PSP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredHold {
    pub source: PaymentSource,
    pub reference: String,
    pub held_until: DateTime<Utc>,
}

/// The steps; the SQL is the same on both backends (`crate::store::same_sql_holds`).
#[async_trait]
pub trait HoldSteps {
    /// Holds the case for the pending payment (`source`, `reference`) until `held_until`; `false`
    /// (and nothing written) when that payment held the case before.
    async fn insert_hold(
        &mut self,
        case_id: i64,
        source: PaymentSource,
        reference: &str,
        held_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Ends the open hold of that payment as `state`; `false` when none was open.
    async fn end_hold(
        &mut self,
        case_id: i64,
        source: PaymentSource,
        reference: &str,
        state: HoldState,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Ends the case's open holds whose time ran out at `now` as expired; returns them.
    async fn expire_holds(
        &mut self,
        case_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<ExpiredHold>, StoreError>;

    /// Until when the case's open holds hold it (the latest of them); `None` without one.
    async fn held_until(&mut self, case_id: i64) -> Result<Option<DateTime<Utc>>, StoreError>;
}
