//! The Mahnstopp's steps ([`super::mahnstopps::MahnstoppSteps`]), written once for both
//! backends: `impl_mahnstopp_steps!(Backend)` expands in each backend's `tx.rs`, which supplies
//! by name only `LOCK_ROWS` (what locks the Mahnstopp read for a change), `SHARE_MAHNSTOPP`
//! (what keeps a Mahnstopp the planner found in force from being lifted before the planner's
//! transaction ends) and `IN_IDS` with `Self::ids` (a list of case ids as `$1`).

/// The debtor's Mahnstopp row, read with `$lock` (nothing, or `LOCK_ROWS`).
macro_rules! read_mahnstopp {
    ($tx:expr, $tenant:expr, $debtor:expr, $lock:expr) => {{
        let sql = format!(
            "SELECT stopped_at, lifted_at FROM mahnstopps WHERE tenant = $1 AND debtor_id = $2{}",
            $lock
        );
        let row: Option<(DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(&sql)
            .bind($tenant.as_str())
            .bind($debtor.as_str())
            .fetch_optional(&mut *$tx.0)
            .await?;
        Ok(row.map(|(stopped_at, lifted_at)| crate::store::mahnstopps::Mahnstopp { stopped_at, lifted_at }))
    }};
}

pub(super) use read_mahnstopp;

macro_rules! impl_mahnstopp_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::mahnstopps::MahnstoppSteps for $tx {
            async fn mahnstopp(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Option<crate::store::mahnstopps::Mahnstopp>, StoreError> {
                crate::store::same_sql_mahnstopps::read_mahnstopp!(self, tenant, debtor, "")
            }

            async fn lock_mahnstopp(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Option<crate::store::mahnstopps::Mahnstopp>, StoreError> {
                crate::store::same_sql_mahnstopps::read_mahnstopp!(self, tenant, debtor, LOCK_ROWS)
            }

            async fn save_mahnstopp(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
                stop: &crate::store::mahnstopps::Mahnstopp,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO mahnstopps (tenant, debtor_id, stopped_at, lifted_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (tenant, debtor_id) DO UPDATE SET stopped_at = excluded.stopped_at, \
                     lifted_at = excluded.lifted_at",
                )
                .bind(tenant.as_str())
                .bind(debtor.as_str())
                .bind(stop.stopped_at)
                .bind(stop.lifted_at)
                .execute(&mut *self.0)
                .await?;
                Ok(())
            }

            async fn hold_cases(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
                case_ids: &[i64],
            ) -> Result<(), StoreError> {
                if case_ids.is_empty() {
                    return Ok(());
                }
                let sql = format!(
                    "INSERT INTO mahnstopp_holds (case_id, tenant, debtor_id) \
                     SELECT c.id, $2, $3 FROM cases c WHERE c.id {IN_IDS} \
                     ON CONFLICT (case_id) DO UPDATE SET released_at = NULL"
                );
                sqlx::query(&sql)
                    .bind(Self::ids(case_ids))
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn release_held_case(&mut self, case_id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
                let released = sqlx::query(
                    "UPDATE mahnstopp_holds SET released_at = $2 WHERE case_id = $1 AND released_at IS NULL",
                )
                .bind(case_id)
                .bind(now)
                .execute(&mut *self.0)
                .await?
                .rows_affected();
                Ok(released > 0)
            }

            async fn held_cases(
                &mut self,
                tenant: &TenantId,
                debtor: &crate::domain::DebtorId,
            ) -> Result<Vec<crate::store::mahnstopps::HeldCase>, StoreError> {
                let rows: Vec<(i64, bool)> = sqlx::query_as(
                    "SELECT case_id, released_at IS NOT NULL FROM mahnstopp_holds \
                     WHERE tenant = $1 AND debtor_id = $2 ORDER BY case_id",
                )
                .bind(tenant.as_str())
                .bind(debtor.as_str())
                .fetch_all(&mut *self.0)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(case_id, released)| crate::store::mahnstopps::HeldCase { case_id, released })
                    .collect())
            }

            async fn end_holds(&mut self, tenant: &TenantId, debtor: &crate::domain::DebtorId) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM mahnstopp_holds WHERE tenant = $1 AND debtor_id = $2")
                    .bind(tenant.as_str())
                    .bind(debtor.as_str())
                    .execute(&mut *self.0)
                    .await?;
                Ok(())
            }

            async fn under_mahnstopp(&mut self, case_ids: &[i64]) -> Result<Vec<i64>, StoreError> {
                if case_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT c.id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                     JOIN mahnstopps m ON m.tenant = i.tenant AND m.debtor_id = i.debtor_id \
                     WHERE c.id {IN_IDS} AND m.lifted_at IS NULL ORDER BY c.id{SHARE_MAHNSTOPP}"
                );
                Ok(sqlx::query_scalar(&sql).bind(Self::ids(case_ids)).fetch_all(&mut *self.0).await?)
            }
        }
    };
}

pub(super) use impl_mahnstopp_steps;
