//! The instalment reminders' steps ([`super::instalment_reminders::InstalmentReminderSteps`]),
//! written once for both backends: `impl_instalment_reminder_steps!(Backend)` expands in each
//! backend's `tx.rs` (with its `LOCK_ROWS`), and `attach_plans!` in each backend's `views.rs`.

/// The route of case `$1`: its latest stage reminder's channel (sent ones first), the debtor's
/// time zone and country.
pub(super) const REMINDER_ROUTE: &str = "SELECT r.channel, d.timezone, d.country FROM reminders r \
     JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id \
     JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
     WHERE r.case_id = $1 AND r.instalment = 0 \
     ORDER BY CASE WHEN r.sent_at IS NULL THEN 1 ELSE 0 END, r.sent_at DESC, r.id DESC LIMIT 1";

macro_rules! impl_instalment_reminder_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::instalment_reminders::InstalmentReminderSteps for $tx {
            async fn reminder_route(
                &mut self,
                case_id: i64,
            ) -> Result<Option<crate::store::instalment_reminders::ReminderRoute>, StoreError> {
                use crate::store::rows::{channel, corrupt};
                let row: Option<(String, String, Option<String>)> =
                    sqlx::query_as(crate::store::same_sql_instalment_reminders::REMINDER_ROUTE)
                        .bind(case_id)
                        .fetch_optional(&mut *self.0)
                        .await?;
                row.map(|(raw_channel, timezone, country)| {
                    Ok(crate::store::instalment_reminders::ReminderRoute {
                        channel: channel(&raw_channel)?,
                        timezone: timezone.parse().map_err(|e| corrupt("debtors.timezone", e))?,
                        country,
                    })
                })
                .transpose()
            }

            async fn cancel_instalment_reminders(
                &mut self,
                case_id: i64,
                through: Option<u32>,
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                // Locked in id order first, as the dispatcher and the channel workers lock them.
                let sql = format!(
                    "UPDATE reminders SET status = 'cancelled', lease_until = NULL, updated_at = $1 WHERE id IN ( \
                       SELECT id FROM reminders WHERE case_id = $2 AND instalment > 0 AND instalment <= $3 \
                       AND status IN ('scheduled', 'queued') ORDER BY id{LOCK_ROWS})"
                );
                let through = through.map_or(i64::from(i32::MAX), i64::from);
                let cancelled = sqlx::query(&sql).bind(now).bind(case_id).bind(through).execute(&mut *self.0).await?;
                Ok(cancelled.rows_affected())
            }
        }
    };
}

pub(super) use impl_instalment_reminder_steps;

/// Gives each instalment reminder among `$jobs` its case's open plan (one keyed read per case),
/// reading from `$pool`.
macro_rules! attach_plans {
    ($pool:expr, $jobs:expr) => {{
        let mut plans: std::collections::BTreeMap<i64, Option<$crate::store::tx::InstalmentPlan>> =
            std::collections::BTreeMap::new();
        for job in $jobs.iter_mut().filter(|job| job.instalment > 0) {
            let plan = match plans.get(&job.case_id) {
                Some(plan) => plan.clone(),
                None => {
                    let rows: Vec<$crate::store::rows::InstalmentRow> =
                        sqlx::query_as($crate::store::rows::OPEN_INSTALMENTS)
                            .bind(job.case_id)
                            .fetch_all($pool)
                            .await?;
                    let plan = $crate::store::rows::instalment_plan(rows)?;
                    plans.insert(job.case_id, plan.clone());
                    plan
                }
            };
            job.plan = plan;
        }
        Ok::<(), $crate::store::StoreError>(())
    }};
}

pub(super) use attach_plans;
