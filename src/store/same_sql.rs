//! The narrow steps whose SQL is the same on PostgreSQL and SQLite, written once:
//! `impl_store_tx!(Backend { dialect steps })` writes a backend's `impl StoreTx` from these and
//! the steps whose SQL differs by dialect, given in the braces (the macro writes the whole impl
//! so that `async_trait` sees every method). Where the dialects differ within a step below, each
//! backend's `tx.rs` supplies the difference by name, and only that:
//! - `LOCKED_CASE`: the case-with-invoice select (PostgreSQL casts money to text);
//! - `LOCK_CASE`: what locks the rows it read (`FOR UPDATE OF i, c`; nothing on SQLite, whose
//!   write transaction already holds the only write lock);
//! - `SKIP_LOCKED`: the same for claims that skip rows another transaction holds;
//! - `IN_IDS`: a list of ids as `$1` (an array, or a JSON array on SQLite);
//! - `LOCK_ROWS`: what locks rows a sub-select picks, in its order (`FOR UPDATE`, or nothing);
//! - `REMINDER_INVOICE`: the join from a reminder `r` to its invoice `i` (by key on PostgreSQL);
//! - `WITH_UNREACHABLE`: a debtor's `unreachable` JSON with one channel's address set;
//! - `Self::money` and `Self::ids`: the values bound for a decimal and for a list of ids.

/// Moves the consent in force (`consent_state`) forward to the ledger rows `rows` selects (with
/// the ledger's columns, `id` among them), for each one's tenant, debtor and channel; an event
/// older than the one in force (by `at`, then by ledger id) leaves it alone. Every append to the
/// consent ledger is followed by this for the rows it added.
pub(super) fn advance_consent_state(rows: &str) -> String {
    format!(
        "INSERT INTO consent_state (tenant, debtor_id, channel, kind, at, source, consent_id) \
         SELECT tenant, debtor_id, channel, kind, at, source, id FROM {rows} \
         ON CONFLICT (tenant, debtor_id, channel) DO UPDATE SET kind = excluded.kind, at = excluded.at, \
         source = excluded.source, consent_id = excluded.consent_id \
         WHERE (excluded.at, excluded.consent_id) > (consent_state.at, consent_state.consent_id)"
    )
}

/// [`advance_consent_state`] for the one ledger row whose id is bound as `$1`.
pub(super) fn advance_consent_state_to_row() -> String {
    advance_consent_state("consents WHERE id = $1")
}

/// What planning a stage again does to that stage's reminder on the same channel, when one is
/// there: a reminder that was cancelled before it went out (caught up too late, see
/// `schedule::catch_up`) takes the new decision and is scheduled again; any other is left alone
/// (planning the same stage twice writes one reminder).
macro_rules! revive_cancelled {
    () => {
        "DO UPDATE SET stage_name = excluded.stage_name, tone = excluded.tone, fee = excluded.fee, \
         send_at = excluded.send_at, send_by = excluded.send_by, local_hour = excluded.local_hour, \
         context = excluded.context, allowed = excluded.allowed, propensity = excluded.propensity, \
         policy_version = excluded.policy_version, escalates_after_days = excluded.escalates_after_days, status = 'scheduled', attempts = 0, lease_until = NULL, \
         last_error = NULL, updated_at = excluded.updated_at \
         WHERE reminders.status = 'cancelled' AND reminders.sent_at IS NULL"
    };
}

pub(super) use revive_cancelled;

/// The columns of a debtor row as intake writes them, in the order both backends bind them.
pub(super) const DEBTOR_INSERT_COLUMNS: &str = "tenant, id, kind, name, language, timezone, email, phone, \
     whatsapp, whatsapp_opt_in, messenger_psid, address_line1, address_line2, postal_code, city, country, contact_person, iban, updated_at";

/// One debtor row's insert, `on_conflict` deciding what an existing debtor keeps
/// ([`DEBTOR_OVERWRITE`] or `DO NOTHING`); its values bound by [`bind_debtor_row`].
pub(super) fn insert_debtor_sql(on_conflict: &str) -> String {
    format!(
        "INSERT INTO debtors ({DEBTOR_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19) ON CONFLICT (tenant, id) {on_conflict}"
    )
}

/// Binds one debtor row's values onto `$query` in [`DEBTOR_INSERT_COLUMNS`] order.
macro_rules! bind_debtor_row {
    ($query:expr, $tenant:expr, $debtor:expr, $now:expr) => {{
        let debtor: &crate::domain::Debtor = $debtor;
        let address = debtor.address.as_ref();
        $query
            .bind($tenant)
            .bind(debtor.id.as_str())
            .bind(debtor.kind.as_str())
            .bind(&debtor.name)
            .bind(debtor.language.as_str())
            .bind(debtor.timezone.name())
            .bind(debtor.email.as_ref().map(|e| e.as_str()))
            .bind(debtor.phone.as_ref().map(|p| p.as_str()))
            .bind(debtor.whatsapp.as_ref().map(|p| p.as_str()))
            .bind(debtor.whatsapp_opt_in)
            .bind(&debtor.messenger_psid)
            .bind(address.map(|a| a.line1.as_str()))
            .bind(address.and_then(|a| a.line2.as_deref()))
            .bind(address.map(|a| a.postal_code.as_str()))
            .bind(address.map(|a| a.city.as_str()))
            .bind(address.map(|a| a.country.as_str()))
            .bind(&debtor.contact_person)
            .bind(&debtor.iban)
            .bind($now)
    }};
}

pub(super) use bind_debtor_row;

/// What a new invoice's debtor data do to a debtor already stored: they replace it (a replayed
/// message never gets here: only new invoices overwrite).
pub(super) const DEBTOR_OVERWRITE: &str = "DO UPDATE SET kind = excluded.kind, name = excluded.name, \
     language = excluded.language, timezone = excluded.timezone, email = excluded.email, \
     phone = excluded.phone, whatsapp = excluded.whatsapp, whatsapp_opt_in = excluded.whatsapp_opt_in, \
     messenger_psid = excluded.messenger_psid, address_line1 = excluded.address_line1, \
     address_line2 = excluded.address_line2, postal_code = excluded.postal_code, city = excluded.city, \
     country = excluded.country, contact_person = excluded.contact_person, iban = excluded.iban, \
     updated_at = excluded.updated_at";

macro_rules! impl_store_tx {
    ($tx:ty { $($dialect_steps:tt)* }) => {
        #[async_trait::async_trait]
        impl StoreTx for $tx {
        $($dialect_steps)*

        async fn insert_overdue(&mut self, run: &[Arrival<'_>]) -> Result<Vec<bool>, StoreError> {
            super::intake::insert_invoices(&mut self.0, run).await
        }

        async fn claim_due_cases(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<DueCase>, StoreError> {
            let sql = super::outbox::due_cases_sql();
            let rows: Vec<DueCaseRow> =
                sqlx::query_as(&sql).bind(now).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
            rows.into_iter().map(DueCaseRow::into_due_case).collect()
        }

        async fn insert_reminders(
            &mut self,
            reminders: &[(i64, NewReminder)],
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            super::outbox::insert_reminders(&mut self.0, reminders, now).await
        }

        async fn lease_due_reminders(
            &mut self,
            now: DateTime<Utc>,
            limit: u32,
            lease: std::time::Duration,
        ) -> Result<Vec<ClaimedReminder>, StoreError> {
            let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
            let rows: Vec<(i64, String)> = sqlx::query_as(super::outbox::LEASE_DUE_REMINDERS)
                .bind(lease_until)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&mut *self.0)
                .await?;
            claimed_reminders(rows)
        }

        async fn lock_case_by_invoice(
            &mut self,
            tenant: &TenantId,
            number: &InvoiceNumber,
        ) -> Result<Option<LockedCase>, StoreError> {
            let sql = format!("{LOCKED_CASE} WHERE i.tenant = $1 AND i.number = $2{LOCK_CASE}");
            let row: Option<LockedCaseRow> = sqlx::query_as(&sql)
                .bind(tenant.as_str())
                .bind(number.as_str())
                .fetch_optional(&mut *self.0)
                .await?;
            row.map(LockedCaseRow::into_locked).transpose()
        }

        async fn lock_case(&mut self, case_id: i64) -> Result<Option<LockedCase>, StoreError> {
            let sql = format!("{LOCKED_CASE} WHERE c.id = $1{LOCK_CASE}");
            let row: Option<LockedCaseRow> =
                sqlx::query_as(&sql).bind(case_id).fetch_optional(&mut *self.0).await?;
            row.map(LockedCaseRow::into_locked).transpose()
        }

        async fn save_case(&mut self, update: &CaseUpdate) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE cases SET state = $1, stages_planned = $2, next_action_at = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(update.state.as_str())
            .bind(i64::from(update.stages_planned))
            .bind(update.next_action_at)
            .bind(update.updated_at)
            .bind(update.case_id)
            .execute(&mut *self.0)
            .await?;
            Ok(())
        }

        async fn insert_psp_event(
            &mut self,
            provider: &str,
            event_id: &str,
            received_at: DateTime<Utc>,
        ) -> Result<bool, StoreError> {
            let inserted = sqlx::query(
                "INSERT INTO psp_events (provider, event_id, received_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (provider, event_id) DO NOTHING",
            )
            .bind(provider)
            .bind(event_id)
            .bind(received_at)
            .execute(&mut *self.0)
            .await?
            .rows_affected();
            Ok(inserted > 0)
        }

        async fn warn_limitation_near(
            &mut self,
            cutoff: NaiveDate,
            now: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<crate::store::tx::LimitationNear>, StoreError> {
            use crate::store::rows::{case_state, corrupt, decimal, money};
            // The cases are locked as they are read (others skip them), then marked.
            let sql = format!(
                "SELECT c.id, c.state, c.limitation_last_day, i.tenant, i.number, i.debtor_id, i.currency, \
                 CAST(i.amount_due AS TEXT), CAST(i.amount_paid AS TEXT) \
                 FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                 WHERE c.limitation_warned_at IS NULL AND c.limitation_last_day <= $1 \
                 AND c.state NOT IN ('paid', 'cancelled') ORDER BY c.limitation_last_day, c.id LIMIT $2{SKIP_LOCKED}"
            );
            type Row = (i64, String, NaiveDate, String, String, String, String, String, String);
            let rows: Vec<Row> =
                sqlx::query_as(&sql).bind(cutoff).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
            let sql = format!("UPDATE cases SET limitation_warned_at = $2 WHERE id {IN_IDS}");
            sqlx::query(&sql).bind(Self::ids(&ids)).bind(now).execute(&mut *self.0).await?;
            rows.into_iter()
                .map(|(case_id, state, last_day, tenant, number, debtor, currency, due, paid)| {
                    let due = money(&due, &currency)?;
                    let open = (due.amount() - decimal("amount paid", &paid)?).max(rust_decimal::Decimal::ZERO);
                    Ok(crate::store::tx::LimitationNear {
                        subject: crate::runtime::Subject {
                            tenant: crate::domain::TenantId::parse(&tenant).map_err(|e| corrupt("tenant", e))?,
                            case_id,
                            invoice_number: crate::domain::InvoiceNumber::parse(&number)
                                .map_err(|e| corrupt("invoice number", e))?,
                            debtor_id: crate::domain::DebtorId::parse(&debtor).map_err(|e| corrupt("debtor id", e))?,
                        },
                        state: case_state(&state)?,
                        last_day,
                        open: crate::domain::Money::new(open, due.currency()),
                    })
                })
                .collect()
        }

        async fn save_claim_statement(
            &mut self,
            statement: &crate::domain::legal::ClaimStatement,
        ) -> Result<(), StoreError> {
            let body = serde_json::to_string(statement).map_err(|e| StoreError::Corrupt(format!("claim statement: {e}")))?;
            sqlx::query("INSERT INTO claim_statements (tenant, case_id, escalated_at, body) VALUES ($1, $2, $3, $4)")
                .bind(statement.tenant.as_str())
                .bind(statement.case_id)
                .bind(statement.escalated_at)
                .bind(body)
                .execute(&mut *self.0)
                .await?;
            Ok(())
        }

        async fn escalated_statements(
            &mut self,
            tenant: Option<&crate::domain::TenantId>,
            since: Option<DateTime<Utc>>,
        ) -> Result<Vec<crate::domain::legal::ClaimStatement>, StoreError> {
            let bodies: Vec<String> = sqlx::query_scalar(
                "SELECT s.body FROM claim_statements s JOIN cases c ON c.id = s.case_id \
                 WHERE c.state = 'escalated' AND s.id = (SELECT MAX(l.id) FROM claim_statements l WHERE l.case_id = s.case_id) \
                 AND ($1 IS NULL OR s.tenant = $1) AND ($2 IS NULL OR s.escalated_at >= $2) \
                 ORDER BY s.escalated_at, s.id",
            )
            .bind(tenant.map(|t| t.as_str()))
            .bind(since)
            .fetch_all(&mut *self.0)
            .await?;
            bodies
                .iter()
                .map(|body| serde_json::from_str(body).map_err(|e| crate::store::rows::corrupt("claim_statements.body", e)))
                .collect()
        }

        async fn case_claim(&mut self, case_id: i64) -> Result<Option<crate::domain::legal::CaseClaim>, StoreError> {
            use crate::store::claims::{read_histories, ClaimRow, CLAIM_SQL};
            let row: Option<ClaimRow> = sqlx::query_as(CLAIM_SQL).bind(case_id).fetch_optional(&mut *self.0).await?;
            let Some(row) = row else { return Ok(None) };
            let id = [case_id];
            let (sent, paid) = read_histories!(&mut *self.0, &id[..], &id[..], IN_IDS, Self::ids)?.of(case_id);
            Ok(Some(row.into_claim(sent, paid)?))
        }

        async fn unsettled_sent_before(&mut self, cutoff: DateTime<Utc>, limit: u32) -> Result<Vec<i64>, StoreError> {
            let sql = format!(
                "SELECT id FROM reminders WHERE status = 'sent' AND reward IS NULL AND instalment = 0 AND sent_at < $1 \
                 ORDER BY sent_at LIMIT $2{SKIP_LOCKED}"
            );
            Ok(sqlx::query_scalar(&sql).bind(cutoff).bind(i64::from(limit)).fetch_all(&mut *self.0).await?)
        }

        async fn set_reward(&mut self, ids: &[i64], reward: f64) -> Result<Vec<i64>, StoreError> {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!("UPDATE reminders SET reward = $2 WHERE id {IN_IDS} AND reward IS NULL RETURNING id");
            let mut set: Vec<i64> =
                sqlx::query_scalar(&sql).bind(Self::ids(ids)).bind(reward).fetch_all(&mut *self.0).await?;
            set.sort_unstable();
            Ok(set)
        }

        async fn finish_unsent(
            &mut self,
            reminder_id: i64,
            how: Unsent,
            error: &str,
            now: DateTime<Utc>,
        ) -> Result<Option<FinishedReminder>, StoreError> {
            let row: Option<(i64, i32, String, i32)> = sqlx::query_as(
                "UPDATE reminders SET status = $1, attempts = attempts + $2, last_error = $3, lease_until = NULL, \
                 updated_at = $4 WHERE id = $5 AND status IN ('scheduled', 'queued') RETURNING case_id, stage, channel, instalment",
            )
            .bind(unsent_status(how))
            .bind(unsent_attempts(how))
            .bind(error)
            .bind(now)
            .bind(reminder_id)
            .fetch_optional(&mut *self.0)
            .await?;
            row.map(|(case_id, stage, channel, instalment)| finished(reminder_id, case_id, stage, &channel, instalment))
                .transpose()
        }

        async fn late_reminders(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<LateReminder>, StoreError> {
            let sql = format!(
                "SELECT id FROM reminders WHERE status = 'scheduled' AND send_by <= $1 AND send_at <= $1 \
                 AND (lease_until IS NULL OR lease_until < $1) ORDER BY send_by LIMIT $2{SKIP_LOCKED}"
            );
            let ids: Vec<i64> =
                sqlx::query_scalar(&sql).bind(now).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT r.id, r.case_id, r.stage, r.send_at, r.local_hour, d.timezone, d.country FROM reminders r \
                 {REMINDER_INVOICE} JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
                 WHERE r.id {IN_IDS} ORDER BY r.send_at, r.id"
            );
            let rows: Vec<LateReminderRow> = sqlx::query_as(&sql).bind(Self::ids(&ids)).fetch_all(&mut *self.0).await?;
            rows.into_iter().map(LateReminderRow::into_late).collect()
        }

        async fn requeue_lost(
            &mut self,
            queued_before: DateTime<Utc>,
            now: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<i64>, StoreError> {
            let sql = format!(
                "SELECT id FROM reminders WHERE status = 'queued' AND queued_at < $1 \
                 ORDER BY queued_at LIMIT $2{SKIP_LOCKED}"
            );
            let ids: Vec<i64> =
                sqlx::query_scalar(&sql).bind(queued_before).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
            if ids.is_empty() {
                return Ok(ids);
            }
            let sql = format!(
                "UPDATE reminders SET status = 'scheduled', last_error = 'no send result after dispatch: dispatched again', \
                 updated_at = $2 WHERE id {IN_IDS} AND status = 'queued'"
            );
            sqlx::query(&sql).bind(Self::ids(&ids)).bind(now).execute(&mut *self.0).await?;
            Ok(ids)
        }

        async fn retime_reminder(
            &mut self,
            reminder_id: i64,
            send_at: DateTime<Utc>,
            send_by: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE reminders SET send_at = $1, send_by = $2, lease_until = NULL, updated_at = $3 \
                 WHERE id = $4 AND status = 'scheduled'",
            )
            .bind(send_at)
            .bind(send_by)
            .bind(now)
            .bind(reminder_id)
            .execute(&mut *self.0)
            .await?;
            Ok(())
        }

        async fn retry_later(
            &mut self,
            reminder_id: i64,
            error: &str,
            retry_at: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE reminders SET status = 'scheduled', send_at = $1, attempts = attempts + 1, last_error = $2, \
                 lease_until = NULL, updated_at = $3 WHERE id = $4 AND status IN ('scheduled', 'queued')",
            )
            .bind(retry_at)
            .bind(error)
            .bind(now)
            .bind(reminder_id)
            .execute(&mut *self.0)
            .await?;
            Ok(())
        }

        async fn cancel_pending_reminders(&mut self, case_id: i64, now: DateTime<Utc>) -> Result<u64, StoreError> {
            // Locked in id order first, as the dispatcher and the channel workers lock them.
            let sql = format!(
                "UPDATE reminders SET status = 'cancelled', lease_until = NULL, updated_at = $1 WHERE id IN ( \
                   SELECT id FROM reminders WHERE case_id = $2 AND status IN ('scheduled', 'queued') \
                   ORDER BY id{LOCK_ROWS})"
            );
            let cancelled = sqlx::query(&sql).bind(now).bind(case_id).execute(&mut *self.0).await?;
            Ok(cancelled.rows_affected())
        }

        async fn decisions(&mut self, ids: &[i64]) -> Result<Vec<(Subject, DecisionLine)>, StoreError> {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT r.id, r.case_id, i.tenant, i.number, i.debtor_id, CAST(r.context AS TEXT) AS context, \
                 r.created_at, CAST(r.allowed AS TEXT) AS allowed, r.sent_at, r.channel, r.local_hour, r.stage, \
                 r.propensity, r.reward, r.policy_version \
                 FROM reminders r {REMINDER_INVOICE} WHERE r.id {IN_IDS} ORDER BY r.id"
            );
            let rows: Vec<DecisionRow> = sqlx::query_as(&sql).bind(Self::ids(ids)).fetch_all(&mut *self.0).await?;
            rows.into_iter().map(DecisionRow::into_line).collect()
        }

        async fn mark_unreachable(&mut self, case_id: i64, channel: ChannelKind, address: &str) -> Result<(), StoreError> {
            let sql = format!(
                "UPDATE debtors SET unreachable = {WITH_UNREACHABLE} \
                 WHERE (tenant, id) = (SELECT i.tenant, i.debtor_id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                                       WHERE c.id = $3)"
            );
            sqlx::query(&sql).bind(channel.as_str()).bind(address).bind(case_id).execute(&mut *self.0).await?;
            Ok(())
        }

        async fn debtor_address(&mut self, case_id: i64, channel: ChannelKind) -> Result<Option<String>, StoreError> {
            let sql = format!(
                "SELECT {} FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                 JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE c.id = $1",
                address_expression(channel)
            );
            let address: Option<Option<String>> =
                sqlx::query_scalar(&sql).bind(case_id).fetch_optional(&mut *self.0).await?;
            Ok(address.flatten())
        }

        async fn record_provider_report(
            &mut self,
            report: &ProviderReport,
            now: DateTime<Utc>,
        ) -> Result<(ReportOutcome, Vec<(FinishedReminder, DateTime<Utc>)>), StoreError> {
            super::reports::record(&mut self.0, report, now).await
        }

        async fn insert_promise(
            &mut self,
            case_id: i64,
            promised_on: NaiveDate,
            resume_at: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO promises (case_id, promised_on, resume_at, state, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(case_id)
            .bind(promised_on)
            .bind(resume_at)
            .bind(PromiseState::Open.as_str())
            .bind(now)
            .execute(&mut *self.0)
            .await?;
            Ok(())
        }

        async fn end_promise(
            &mut self,
            case_id: i64,
            state: PromiseState,
            now: DateTime<Utc>,
        ) -> Result<Option<NaiveDate>, StoreError> {
            let ended: Option<NaiveDate> = sqlx::query_scalar(
                "UPDATE promises SET state = $1, ended_at = $2 WHERE case_id = $3 AND state = 'open' RETURNING promised_on",
            )
            .bind(state.as_str())
            .bind(now)
            .bind(case_id)
            .fetch_optional(&mut *self.0)
            .await?;
            Ok(ended)
        }

        async fn promise_resume_at(&mut self, case_id: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
            Ok(sqlx::query_scalar("SELECT resume_at FROM promises WHERE case_id = $1 AND state = 'open'")
                .bind(case_id)
                .fetch_optional(&mut *self.0)
                .await?)
        }

        async fn last_instalment_seq(&mut self, case_id: i64) -> Result<u32, StoreError> {
            let last: Option<i64> = sqlx::query_scalar("SELECT CAST(MAX(seq) AS BIGINT) FROM instalments WHERE case_id = $1")
                .bind(case_id)
                .fetch_one(&mut *self.0)
                .await?;
            Ok(last.map_or(0, |seq| seq as u32))
        }

        async fn insert_instalments(
            &mut self,
            case_id: i64,
            instalments: &[crate::domain::Instalment],
            paid_before: Decimal,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            for instalment in instalments {
                sqlx::query(
                    "INSERT INTO instalments (case_id, seq, due_on, amount, paid_before, state, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(case_id)
                .bind(i64::from(instalment.seq))
                .bind(instalment.due_on)
                .bind(Self::money(instalment.amount))
                .bind(Self::money(paid_before))
                .bind(PromiseState::Open.as_str())
                .bind(now)
                .execute(&mut *self.0)
                .await?;
            }
            Ok(())
        }

        async fn open_instalments(&mut self, case_id: i64) -> Result<Option<InstalmentPlan>, StoreError> {
            let rows: Vec<crate::store::rows::InstalmentRow> = sqlx::query_as(crate::store::rows::OPEN_INSTALMENTS)
                .bind(case_id)
                .fetch_all(&mut *self.0)
                .await?;
            crate::store::rows::instalment_plan(rows)
        }

        async fn end_instalments(&mut self, case_id: i64, state: PromiseState, now: DateTime<Utc>) -> Result<bool, StoreError> {
            let ended = sqlx::query("UPDATE instalments SET state = $1, ended_at = $2 WHERE case_id = $3 AND state = 'open'")
                .bind(state.as_str())
                .bind(now)
                .bind(case_id)
                .execute(&mut *self.0)
                .await?
                .rows_affected();
            Ok(ended > 0)
        }

        async fn insert_dispute(
            &mut self,
            case_id: i64,
            reason: DisputeReason,
            details: &str,
            now: DateTime<Utc>,
        ) -> Result<bool, StoreError> {
            let inserted = sqlx::query(
                "INSERT INTO disputes (case_id, reason, details, opened_at) VALUES ($1, $2, $3, $4)                  ON CONFLICT (case_id) WHERE resolved_at IS NULL DO NOTHING",
            )
            .bind(case_id)
            .bind(reason.as_str())
            .bind(details)
            .bind(now)
            .execute(&mut *self.0)
            .await?
            .rows_affected();
            Ok(inserted > 0)
        }

        async fn resolve_dispute(
            &mut self,
            case_id: i64,
            resolution: DisputeResolution,
            now: DateTime<Utc>,
        ) -> Result<bool, StoreError> {
            let resolved = sqlx::query(
                "UPDATE disputes SET resolution = $1, resolved_at = $2 WHERE case_id = $3 AND resolved_at IS NULL",
            )
            .bind(resolution.as_str())
            .bind(now)
            .bind(case_id)
            .execute(&mut *self.0)
            .await?
            .rows_affected();
            Ok(resolved > 0)
        }

        async fn claim_resumable(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<LockedCase>, StoreError> {
            let sql = format!(
                "{LOCKED_CASE} WHERE c.state = 'paused' AND c.next_action_at <= $1 \
                 ORDER BY c.next_action_at LIMIT $2{SKIP_LOCKED}"
            );
            let rows: Vec<LockedCaseRow> =
                sqlx::query_as(&sql).bind(now).bind(i64::from(limit)).fetch_all(&mut *self.0).await?;
            rows.into_iter().map(LockedCaseRow::into_locked).collect()
        }

        async fn commit(self: Box<Self>) -> Result<(), StoreError> {
            self.0.commit().await?;
            Ok(())
        }

        async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
            self.0.rollback().await?;
            Ok(())
        }
        }
    };
}

pub(super) use impl_store_tx;

/// Recording a provider report (receipts only ever forward, inbound times once per provider
/// message, consent events once each): the same SQL on both backends but for `LATER_OF`, the later of two times (`GREATEST`
/// on PostgreSQL, the two-argument `MAX` on SQLite). Expanded into each backend's `reports.rs`,
/// where `Tx` is its transaction type.
macro_rules! provider_reports {
    () => {
        pub(super) async fn record(
            tx: &mut Tx,
            report: &ProviderReport,
            now: DateTime<Utc>,
        ) -> Result<(ReportOutcome, Vec<(FinishedReminder, DateTime<Utc>)>), StoreError> {
            let mut outcome = ReportOutcome::default();
            let mut dead = Vec::new();
            for receipt in &report.receipts {
                outcome.receipts += record_receipt(tx, receipt, &mut dead).await?;
            }
            for inbound in &report.inbound {
                let Some(column) = contact_column(inbound.channel) else { continue };
                if let Some(message_id) = &inbound.message_id {
                    let first = sqlx::query(
                        "INSERT INTO inbound_messages (channel, message_id, received_at) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(inbound.channel.as_str())
                    .bind(message_id)
                    .bind(inbound.at)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                    if first == 0 {
                        // A replay of a message already recorded: its time is only when it came again.
                        continue;
                    }
                }
                let sql = format!(
                    "INSERT INTO inbound_contacts (tenant, debtor_id, channel, last_at) \
                     SELECT d.tenant, d.id, $1, $2 FROM debtors d WHERE d.{column} = $3 \
                     ON CONFLICT (tenant, debtor_id, channel) DO UPDATE SET last_at = {LATER_OF}(inbound_contacts.last_at, excluded.last_at)"
                );
                outcome.inbound += sqlx::query(&sql)
                    .bind(inbound.channel.as_str())
                    .bind(inbound.at)
                    .bind(&inbound.contact)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
            }
            for event in &report.consents {
                outcome.consents += record_consent(tx, event, now).await?;
            }
            Ok((outcome, dead))
        }

        /// Moves the receipt of the matching reminders forward; a failure that names a dead address
        /// (the first receipt to say so: a repeated webhook does not move the receipt again) also does
        /// what a synchronous dead-address refusal does, as of the receipt's time (the service's clock
        /// for Twilio, the provider's for Meta: a stage handed back is due from then on).
        async fn record_receipt(
            tx: &mut Tx,
            receipt: &Receipt,
            dead: &mut Vec<(FinishedReminder, DateTime<Utc>)>,
        ) -> Result<u64, StoreError> {
            let set = format!(
                "UPDATE reminders SET receipt_status = $2, receipt_at = $3, receipt_error = $4 \
                 WHERE channel = $5 AND ({STORED_RECEIPT_RANK}) < $1"
            );
            let sql = match &receipt.target {
                ReceiptTarget::ProviderId(_) => format!("{set} AND provider_id = $6 RETURNING id, case_id, CAST(stage AS BIGINT), CAST(instalment AS BIGINT)"),
                ReceiptTarget::UpTo { .. } => {
                    let Some(column) = contact_column(receipt.channel) else { return Ok(0) };
                    format!(
                        "{set} AND status = 'sent' AND sent_at <= $7 AND case_id IN ( \
                           SELECT c.id FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                           JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id WHERE d.{column} = $6) \
                         RETURNING id, case_id, CAST(stage AS BIGINT), CAST(instalment AS BIGINT)"
                    )
                }
            };
            let query = sqlx::query_as::<_, (i64, i64, i64, i64)>(&sql)
                .bind(receipt.status.rank())
                .bind(receipt.status.as_str())
                .bind(receipt.at)
                .bind(&receipt.error)
                .bind(receipt.channel.as_str());
            let query = match &receipt.target {
                ReceiptTarget::ProviderId(id) => query.bind(id),
                ReceiptTarget::UpTo { contact, watermark } => query.bind(contact).bind(*watermark),
            };
            let moved = query.fetch_all(&mut **tx).await?;
            if receipt.unreachable && receipt.status == ReceiptStatus::Failed {
                for &(reminder_id, case_id, stage, instalment) in &moved {
                    let reminder = FinishedReminder {
                        id: reminder_id,
                        case_id,
                        stage: stage as u32,
                        channel: receipt.channel,
                        instalment: instalment as u32,
                    };
                    dead.push((reminder, receipt.at));
                }
            }
            Ok(moved.len() as u64)
        }

        /// A consent event already in the ledger is not written again. Either unique index says
        /// which: `consents_once` (a retried webhook: the same subject, channel, kind, time and
        /// source) or `consents_provider_event` (a replayed provider message, by its id).
        const ONCE: &str = "ON CONFLICT DO NOTHING";

        /// Nor is an event that changes nothing: the same kind already in force since no later
        /// than the event (a replayed unsubscribe link, a second STOP).
        const NOT_IN_FORCE: &str = "NOT EXISTS (SELECT 1 FROM consent_state s WHERE s.tenant = d.tenant \
             AND s.debtor_id = d.id AND s.channel = $1 AND s.kind = $2 AND s.at <= $3)";

        /// Appends `event` for every debtor it names and moves their consent in force forward;
        /// returns how many ledger rows were new.
        async fn record_consent(tx: &mut Tx, event: &ConsentEvent, now: DateTime<Utc>) -> Result<u64, StoreError> {
            let insert = "INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at, \
                          provider_event_id) SELECT d.tenant, d.id, $1, $2, $3, $4, $5, $6, $7 FROM debtors d";
            let sql = match &event.subject {
                ConsentSubject::Debtor { .. } => {
                    format!("{insert} WHERE d.tenant = $8 AND d.id = $9 AND {NOT_IN_FORCE} {ONCE} RETURNING id")
                }
                ConsentSubject::Contact(_) => {
                    let Some(column) = contact_column(event.channel) else { return Ok(0) };
                    format!("{insert} WHERE d.{column} = $8 AND {NOT_IN_FORCE} {ONCE} RETURNING id")
                }
            };
            let query = sqlx::query_scalar::<_, i64>(&sql)
                .bind(event.channel.as_str())
                .bind(event.kind.as_str())
                .bind(event.at)
                .bind(event.source.as_str())
                .bind(&event.detail)
                .bind(now)
                .bind(&event.provider_event_id);
            let query = match &event.subject {
                ConsentSubject::Debtor { tenant, debtor } => query.bind(tenant.as_str()).bind(debtor.as_str()),
                ConsentSubject::Contact(contact) => query.bind(contact),
            };
            let added = query.fetch_all(&mut **tx).await?;
            let advance = crate::store::same_sql::advance_consent_state_to_row();
            for &id in &added {
                sqlx::query(&advance).bind(id).execute(&mut **tx).await?;
            }
            Ok(added.len() as u64)
        }
    };
}

pub(super) use provider_reports;
