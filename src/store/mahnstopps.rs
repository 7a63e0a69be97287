//! The store's narrow steps for a debtor's Mahnstopp ([`MahnstoppSteps`], part of every
//! [`StoreTx`](super::StoreTx)): whether one is in force, as a row per debtor, and the cases it
//! holds. What a Mahnstopp does is decided in `crate::schedule::pause` (making one, and the
//! planner holding a case of a stopped debtor) and `crate::schedule::lift_stop` (lifting it).

use super::StoreError;
use crate::domain::{DebtorId, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A debtor's Mahnstopp: in force while `lifted_at` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mahnstopp {
    pub stopped_at: DateTime<Utc>,
    pub lifted_at: Option<DateTime<Utc>>,
}

impl Mahnstopp {
    pub fn in_force(&self) -> bool {
        self.lifted_at.is_none()
    }
}

/// A case a debtor's Mahnstopp holds, and whether an operator released it (resumed it on its
/// own) since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldCase {
    pub case_id: i64,
    pub released: bool,
}

/// The steps; the SQL is the same on both backends but for the row lock
/// (`crate::store::same_sql_mahnstopps`).
#[async_trait]
pub trait MahnstoppSteps {
    /// The debtor's Mahnstopp, in force or the last one lifted (`None`: never stopped).
    async fn mahnstopp(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
    ) -> Result<Option<Mahnstopp>, StoreError>;

    /// [`Self::mahnstopp`], for a change: on PostgreSQL its row is locked,
    /// so that two lifts (or a lift and the planner holding a case) take turns.
    async fn lock_mahnstopp(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
    ) -> Result<Option<Mahnstopp>, StoreError>;

    /// Writes the debtor's Mahnstopp as `stop` (made, or lifted).
    async fn save_mahnstopp(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
        stop: &Mahnstopp,
    ) -> Result<(), StoreError>;

    /// Holds `case_ids` (the debtor's) for the debtor's Mahnstopp; a case held before and
    /// released is held again.
    async fn hold_cases(
        &mut self,
        tenant: &TenantId,
        debtor: &DebtorId,
        case_ids: &[i64],
    ) -> Result<(), StoreError>;

    /// Releases the case from the Mahnstopp holding it, if one does: `false` when none held it.
    async fn release_held_case(&mut self, case_id: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// The cases the debtor's Mahnstopp holds, by case id.
    async fn held_cases(&mut self, tenant: &TenantId, debtor: &DebtorId)
        -> Result<Vec<HeldCase>, StoreError>;

    /// Ends every hold of the debtor's Mahnstopp (it was lifted).
    async fn end_holds(&mut self, tenant: &TenantId, debtor: &DebtorId) -> Result<(), StoreError>;

    /// Of `case_ids`, those whose debtor has a Mahnstopp in force, by case id.
    async fn under_mahnstopp(&mut self, case_ids: &[i64]) -> Result<Vec<i64>, StoreError>;
}
