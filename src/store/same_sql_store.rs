//! The [`Store`](super::Store) methods whose SQL is the same on PostgreSQL and SQLite, written
//! once: `impl_store!(Backend { dialect methods })` writes a backend's `impl Store` from these and
//! the methods whose SQL differs by dialect, given in the braces. The backend module supplies
//! `MIGRATOR`, `LATER_OF` (the later of two values: `GREATEST` or the two-argument `MAX`),
//! `UNRELAYED_EVENTS` (how many events lie past the relay's cursor),
//! `self.pool` and `self.write()` (a write transaction), and the `views` module its
//! `delivery_jobs`.

macro_rules! impl_store {
    ($store:ty { $($dialect_methods:tt)* }) => {
        #[async_trait::async_trait]
        impl Store for $store {
        $($dialect_methods)*

        async fn migrate(&self) -> Result<(), StoreError> {
            MIGRATOR.run(&self.pool).await?;
            Ok(())
        }

        async fn record_rejections(&self, rejections: &[Rejection]) -> Result<(), StoreError> {
            let mut tx = self.write().await?;
            for r in rejections {
                sqlx::query(
                    "INSERT INTO intake_rejections (received_at, routing_key, field, reason, tenant, invoice_number, payload) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(r.received_at)
                .bind(&r.routing_key)
                .bind(&r.field)
                .bind(&r.reason)
                .bind(&r.tenant)
                .bind(&r.invoice_number)
                .bind(&r.payload)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn rejections(
            &self,
            scope: &RejectionScope,
            limit: u32,
        ) -> Result<Vec<StoredRejection>, StoreError> {
            let (scoped, tenant) = match scope {
                RejectionScope::All => (false, None),
                RejectionScope::Tenant(tenant) => (true, Some(tenant.as_str())),
                RejectionScope::NoTenant => (true, None),
            };
            let rows: Vec<(i64, DateTime<Utc>, String, String, String, Option<String>, Option<String>, i64)> =
                sqlx::query_as(
                    "SELECT id, received_at, routing_key, field, reason, tenant, invoice_number, \
                            CAST(LENGTH(payload) AS BIGINT) \
                     FROM intake_rejections \
                     WHERE NOT $1 OR tenant = $2 OR ($2 IS NULL AND tenant IS NULL) \
                     ORDER BY id DESC LIMIT $3",
                )
                .bind(scoped)
                .bind(tenant)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, received_at, routing_key, field, reason, tenant, invoice_number, bytes)| {
                    StoredRejection {
                        id,
                        received_at,
                        routing_key,
                        field,
                        reason,
                        tenant,
                        invoice_number,
                        payload_bytes: u64::try_from(bytes).unwrap_or(0),
                    }
                })
                .collect())
        }

        async fn delivery_jobs(&self, reminder_ids: &[i64]) -> Result<Vec<DeliveryJob>, StoreError> {
            views::delivery_jobs(&self.pool, reminder_ids).await
        }

        async fn ping(&self) -> Result<(), StoreError> {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        }

        async fn backlog(&self, now: DateTime<Utc>) -> Result<Backlog, StoreError> {
            let count = |n: i64| u64::try_from(n).unwrap_or(0);
            let due: i64 =
                sqlx::query_scalar("SELECT count(*) FROM reminders WHERE status = 'scheduled' AND send_at <= $1")
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?;
            let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM reminders WHERE status = 'queued'")
                .fetch_one(&self.pool)
                .await?;
            let unrelayed: i64 = sqlx::query_scalar(UNRELAYED_EVENTS).fetch_one(&self.pool).await?;
            Ok(Backlog { reminders_due: count(due), reminders_queued: count(queued), events_unrelayed: count(unrelayed) })
        }

        async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
            let cases: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT next_action_at FROM cases WHERE state IN ('open', 'reminding', 'paused') AND next_action_at IS NOT NULL \
                 ORDER BY next_action_at LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await?;
            let sql = format!(
                "SELECT {LATER_OF}(send_at, COALESCE(lease_until, send_at)) AS due FROM reminders \
                 WHERE status = 'scheduled' ORDER BY due LIMIT 1"
            );
            let reminders: Option<DateTime<Utc>> = sqlx::query_scalar(&sql).fetch_optional(&self.pool).await?;
            Ok(cases.into_iter().chain(reminders).min())
        }

        async fn case_by_invoice(&self, tenant: &str, invoice_number: &str) -> Result<Option<CaseView>, StoreError> {
            let row: Option<CaseViewRow> = sqlx::query_as(
                "SELECT c.id AS case_id, c.state, c.stages_planned, CAST(i.amount_paid AS TEXT) AS amount_paid, \
                 c.next_action_at FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                 WHERE i.tenant = $1 AND i.number = $2",
            )
            .bind(tenant)
            .bind(invoice_number)
            .fetch_optional(&self.pool)
            .await?;
            row.map(CaseViewRow::into_view).transpose()
        }

        async fn pay_case(&self, tenant: &crate::domain::TenantId, reminder_id: i64) -> Result<Option<crate::store::PayCase>, StoreError> {
            let row: Option<crate::store::pay_case::PayCaseRow> = sqlx::query_as(crate::store::pay_case::PAY_CASE_SQL)
                .bind(reminder_id)
                .bind(tenant.as_str())
                .fetch_optional(&self.pool)
                .await?;
            let Some(mut case) = row.map(|row| row.into_pay_case()).transpose()? else { return Ok(None) };
            let id = [case.case_id];
            (case.sent, case.payments) = views::histories(&self.pool, &id, &id).await?.of(case.case_id);
            if case.state == crate::domain::CaseState::Paused {
                let rows: Vec<crate::store::rows::InstalmentRow> = sqlx::query_as(crate::store::rows::OPEN_INSTALMENTS)
                    .bind(case.case_id)
                    .fetch_all(&self.pool)
                    .await?;
                case.instalments = crate::store::rows::instalment_plan(rows)?;
            }
            Ok(Some(case))
        }

        async fn reminders_of(&self, tenant: &str, invoice_number: &str) -> Result<Vec<ReminderView>, StoreError> {
            let rows: Vec<ReminderViewRow> = sqlx::query_as(
                "SELECT r.id, r.stage, r.channel, r.status, r.send_at, r.sent_at, r.provider_id, r.reward, \
                 r.policy_version, r.receipt_status, r.receipt_at, r.last_error, r.receipt_error, r.instalment \
                 FROM reminders r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
                 WHERE i.tenant = $1 AND i.number = $2 ORDER BY r.stage, r.id",
            )
            .bind(tenant)
            .bind(invoice_number)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(ReminderViewRow::into_view).collect()
        }

        async fn stats(&self) -> Result<Stats, StoreError> {
            let pool = &self.pool;
            let grouped = |sql: &'static str| sqlx::query_as::<_, (String, i64)>(sql).fetch_all(pool);
            let cases = grouped("SELECT state, COUNT(*) FROM cases GROUP BY state").await?;
            let statuses = grouped("SELECT status, COUNT(*) FROM reminders GROUP BY status").await?;
            let channels = grouped("SELECT channel, COUNT(*) FROM reminders GROUP BY channel").await?;
            let stages = grouped("SELECT CAST(stage + 1 AS TEXT), COUNT(*) FROM reminders WHERE instalment = 0 GROUP BY stage").await?;
            let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments").fetch_one(pool).await?;
            let rejections: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM intake_rejections").fetch_one(pool).await?;
            let receipts = sqlx::query_as(RECEIPT_COUNTS).fetch_all(pool).await?;
            let consents = sqlx::query_as(CONSENT_COUNTS).fetch_all(pool).await?;
            Ok(stats_from(StatsRows { cases, statuses, channels, stages, receipts, consents, payments, rejections }))
        }

        async fn save_policy_snapshot(&self, created_at: DateTime<Utc>, updates: i64, body: &str) -> Result<i64, StoreError> {
            let mut tx = self.write().await?;
            let version: i64 =
                sqlx::query_scalar(INSERT_SNAPSHOT).bind(created_at).bind(updates).bind(body).fetch_one(&mut *tx).await?;
            sqlx::query(PRUNE_SNAPSHOTS).bind(version - SNAPSHOTS_KEPT).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(version)
        }

        async fn latest_policy_version(&self) -> Result<Option<i64>, StoreError> {
            Ok(sqlx::query_scalar("SELECT max(version) FROM policy_snapshots").fetch_one(&self.pool).await?)
        }

        async fn latest_policy_snapshot(&self) -> Result<Option<PolicySnapshotRecord>, StoreError> {
            let row: Option<(i64, DateTime<Utc>, i64, String)> = sqlx::query_as(
                "SELECT version, created_at, updates, body FROM policy_snapshots ORDER BY version DESC LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|(version, created_at, updates, body)| PolicySnapshotRecord { version, created_at, updates, body }))
        }

        async fn kept_policy_versions(&self) -> Result<Vec<i64>, StoreError> {
            Ok(sqlx::query_scalar("SELECT version FROM policy_snapshots ORDER BY version DESC").fetch_all(&self.pool).await?)
        }

        async fn publish_policy(&self, p: &crate::store::NewPublication<'_>) -> Result<i64, StoreError> {
            let mut tx = self.write().await?;
            let version: i64 = sqlx::query_scalar(INSERT_SNAPSHOT)
                .bind(p.published_at)
                .bind(p.updates)
                .bind(p.body)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(PRUNE_SNAPSHOTS).bind(version - SNAPSHOTS_KEPT).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO published_models (version, published_at, published_by, note, evaluation, restores, body) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(version)
            .bind(p.published_at)
            .bind(p.published_by)
            .bind(p.note)
            .bind(p.evaluation)
            .bind(p.restores)
            .bind(p.body)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(version)
        }

        async fn published_models(&self) -> Result<Vec<crate::store::PublishedModel>, StoreError> {
            Ok(sqlx::query_as(
                "SELECT version, published_at, published_by, note, evaluation, restores FROM published_models \
                 ORDER BY version DESC",
            )
            .fetch_all(&self.pool)
            .await?)
        }

        async fn published_body(&self, version: i64) -> Result<Option<String>, StoreError> {
            Ok(sqlx::query_scalar("SELECT body FROM published_models WHERE version = $1")
                .bind(version)
                .fetch_optional(&self.pool)
                .await?)
        }

        fn export_decisions(
            &self,
            filter: crate::store::ExportFilter,
        ) -> futures_util::stream::BoxStream<'_, Result<crate::store::ExportedDecision, StoreError>> {
            use futures_util::StreamExt as _;
            sqlx::query_as::<_, crate::store::published::ExportRow>(crate::store::published::EXPORT_DECISIONS)
                .bind(filter.tenant)
                .bind(filter.since)
                .bind(filter.until)
                .fetch(&self.pool)
                .map(|row| row.map_err(StoreError::from).and_then(|row| row.into_export()))
                .boxed()
        }
        }
    };
}

pub(super) use impl_store;

/// Writes a policy snapshot (`$1` created at, `$2` updates, `$3` body) and returns its version.
pub(super) const INSERT_SNAPSHOT: &str =
    "INSERT INTO policy_snapshots (created_at, updates, body) VALUES ($1, $2, $3) RETURNING version";

/// All but the last [`SNAPSHOTS_KEPT`](super::SNAPSHOTS_KEPT) go (`$1`: the newest version minus
/// that), so an operator can roll back a few versions; published ones stay in `published_models`.
pub(super) const PRUNE_SNAPSHOTS: &str = "DELETE FROM policy_snapshots WHERE version <= $1";
