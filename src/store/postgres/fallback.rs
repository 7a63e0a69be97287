//! A reminder whose address turned out dead: failed, the address remembered as unreachable for
//! the debtor, and the stage handed back to the planner to choose another channel.

use super::intake::event;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};

type Tx = Transaction<'static, Postgres>;

pub(super) async fn fall_back(
    tx: &mut Tx,
    reminder_id: i64,
    error: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let failed: Option<(i64, i32, String)> = sqlx::query_as(
        "UPDATE reminders SET status = 'failed', attempts = attempts + 1, last_error = $1, \
         lease_until = NULL, updated_at = $2 WHERE id = $3 AND status IN ('scheduled', 'queued') \
         RETURNING case_id, stage, channel",
    )
    .bind(error)
    .bind(now)
    .bind(reminder_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((case_id, stage, channel)) = failed else { return Ok(()) };
    sqlx::query(
        "UPDATE debtors \
         SET unreachable = (COALESCE(unreachable::jsonb, '{}'::jsonb) || jsonb_build_object($1::text, $2::text))::text \
         WHERE (tenant, id) = (SELECT i.tenant, i.debtor_id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                               WHERE c.id = $3)",
    )
    .bind(&channel)
    .bind(address)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    // Only the newest stage is planned again; a later stage already planned keeps its course.
    sqlx::query(
        "UPDATE cases SET stages_planned = $1, next_action_at = $2, updated_at = $2 \
         WHERE id = $3 AND stages_planned = $1 + 1 AND state IN ('open', 'reminding')",
    )
    .bind(stage)
    .bind(now)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    let data = serde_json::json!({"reminder_id": reminder_id, "channel": channel, "stage": stage + 1});
    event(tx, now, "channel.unreachable", case_id, data).await
}
