//! The holds' steps ([`super::holds::HoldSteps`]), written once for both backends:
//! `impl_hold_steps!(Backend)` expands in each backend's `tx.rs`; the SQL has no dialect part.

use super::holds::ExpiredHold;
use super::rows::corrupt;
use super::StoreError;
use crate::domain::PaymentSource;
use chrono::{DateTime, Utc};

/// An expired hold as read back: its source by name.
pub(super) fn expired_hold(
    (source, reference, held_until): (String, String, DateTime<Utc>),
) -> Result<ExpiredHold, StoreError> {
    let source = PaymentSource::ALL
        .into_iter()
        .find(|s| s.as_str() == source)
        .ok_or_else(|| corrupt("payment source", &source))?;
    Ok(ExpiredHold { source, reference, held_until })
}

macro_rules! impl_hold_steps {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl crate::store::holds::HoldSteps for $tx {
            async fn insert_hold(
                &mut self,
                case_id: i64,
                source: crate::domain::PaymentSource,
                reference: &str,
                held_until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let inserted = sqlx::query(
                    "INSERT INTO payment_holds (case_id, source, reference, held_until, state, created_at) \
                     VALUES ($1, $2, $3, $4, 'open', $5) ON CONFLICT (case_id, source, reference) DO NOTHING",
                )
                .bind(case_id)
                .bind(source.as_str())
                .bind(reference)
                .bind(held_until)
                .bind(now)
                .execute(&mut *self.0)
                .await?
                .rows_affected();
                Ok(inserted > 0)
            }

            async fn end_hold(
                &mut self,
                case_id: i64,
                source: crate::domain::PaymentSource,
                reference: &str,
                state: crate::domain::HoldState,
                now: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let ended = sqlx::query(
                    "UPDATE payment_holds SET state = $1, ended_at = $2 \
                     WHERE case_id = $3 AND source = $4 AND reference = $5 AND state = 'open'",
                )
                .bind(state.as_str())
                .bind(now)
                .bind(case_id)
                .bind(source.as_str())
                .bind(reference)
                .execute(&mut *self.0)
                .await?
                .rows_affected();
                Ok(ended > 0)
            }

            async fn expire_holds(
                &mut self,
                case_id: i64,
                now: DateTime<Utc>,
            ) -> Result<Vec<crate::store::holds::ExpiredHold>, StoreError> {
                let rows: Vec<(String, String, DateTime<Utc>)> = sqlx::query_as(
                    "UPDATE payment_holds SET state = 'expired', ended_at = $2 \
                     WHERE case_id = $1 AND state = 'open' AND held_until <= $2 \
                     RETURNING source, reference, held_until",
                )
                .bind(case_id)
                .bind(now)
                .fetch_all(&mut *self.0)
                .await?;
                let mut expired: Vec<_> =
                    rows.into_iter().map(crate::store::same_sql_holds::expired_hold).collect::<Result<_, _>>()?;
                expired.sort_by(|a, b| (a.held_until, &a.reference).cmp(&(b.held_until, &b.reference)));
                Ok(expired)
            }

            async fn held_until(&mut self, case_id: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT held_until FROM payment_holds WHERE case_id = $1 AND state = 'open' \
                     ORDER BY held_until DESC LIMIT 1",
                )
                .bind(case_id)
                .fetch_optional(&mut *self.0)
                .await?)
            }
        }
    };
}

pub(super) use impl_hold_steps;
