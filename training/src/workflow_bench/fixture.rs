//! The benchmark's database: `decisions` sent stage reminders of one tenant written straight
//! into a scratch PostgreSQL database (migrated by the service's own migrations first), as the
//! service would have left them after a year of uniform random logging. Each case's reminders go
//! out a week apart on a uniformly drawn channel and hour (propensity 1/52: 4 channels x 13
//! hours) until one is paid: whether it is depends on the channel, the hour and the debtor's
//! segment, so a model has something to learn. Paid cases are closed with their payment, as the
//! export reads them. Seeded (`setseed`), so a run reads the same rows every time.

use anyhow::Context as _;
use sqlx::{Connection as _, Executor as _, PgConnection};

/// The channels the logging policy chose among, with a base payment probability each.
const CHANNELS: [(&str, f64); 4] = [("email", 0.10), ("sms", 0.14), ("letter", 0.22), ("whatsapp", 0.12)];

/// Fills the scratch database `url` with `decisions` decisions; returns how many were written.
pub async fn fill(url: &str, decisions: u64) -> anyhow::Result<u64> {
    let mut db = PgConnection::connect(url).await.context("connecting to the scratch database")?;
    // Enough cases that their reminders (1 to 4 each, 2.8 on average) cover `decisions`.
    let cases = decisions.div_ceil(2).max(1);
    let debtors = cases.div_ceil(4);
    let names: String = CHANNELS.iter().map(|(c, _)| format!("'{c}'")).collect::<Vec<_>>().join(",");
    let bases: String = CHANNELS.iter().map(|(_, p)| p.to_string()).collect::<Vec<_>>().join(",");
    let statements = [
        "SELECT setseed(0.42)".to_owned(),
        "INSERT INTO tenants (id, created_at) VALUES ('bench', timestamptz '2025-01-01 00:00Z')".to_owned(),
        format!(
            "INSERT INTO debtors (tenant, id, kind, name, language, timezone, email, phone, whatsapp, \
             whatsapp_opt_in, country, updated_at) \
             SELECT 'bench', 'D-' || d, CASE WHEN d % 5 = 0 THEN 'business' ELSE 'consumer' END, \
             'Debtor ' || d, 'de', 'Europe/Berlin', 'd' || d || '@example.org', '+4915100' || lpad(d::text, 7, '0'), \
             '+4915100' || lpad(d::text, 7, '0'), true, 'DE', timestamptz '2025-01-01 00:00Z' \
             FROM generate_series(1, {debtors}) AS d"
        ),
        format!(
            "INSERT INTO invoices (tenant, number, debtor_id, issued_on, due_on, currency, amount_due, amount_paid, \
             plan, received_at) \
             SELECT 'bench', 'RE-' || c, 'D-' || (1 + (c - 1) / 4), date '2025-01-01' + (c % 300)::int, \
             date '2025-01-15' + (c % 300)::int, 'EUR', 40 + (c % 460), 0, 'standard-b2c', \
             timestamptz '2025-01-16 00:00Z' + make_interval(days => (c % 300)::int) \
             FROM generate_series(1, {cases}) AS c"
        ),
        "INSERT INTO cases (invoice_id, tenant, state, stages_planned, opened_at, updated_at) \
         SELECT id, tenant, 'reminding', 4, received_at, received_at FROM invoices WHERE tenant = 'bench' ORDER BY id"
            .to_owned(),
        // Every stage of every case drawn; `paid` whether that reminder would have been paid.
        format!(
            "CREATE TEMP TABLE drawn AS \
             SELECT x.*, random() < least(0.95, (ARRAY[{bases}])[x.arm] * (1.0 + 0.6 * cos((x.hour - 11) / 2.5)) \
               * CASE WHEN x.kind = 'business' THEN 1.3 ELSE 1.0 END) AS paid \
             FROM (SELECT c.id AS case_id, i.id AS invoice_id, i.amount_due, i.received_at, d.kind, s.stage, \
                     1 + floor(random() * 4)::int AS arm, 8 + floor(random() * 13)::int AS hour \
                   FROM cases c JOIN invoices i ON i.id = c.invoice_id \
                   JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id \
                   CROSS JOIN generate_series(0, 3) AS s(stage)) AS x"
        ),
        // A case's reminders stop at the first paid one; the first `decisions` of them are kept.
        format!(
            "CREATE TEMP TABLE sent AS \
             SELECT * FROM (SELECT d.*, min(CASE WHEN d.paid THEN d.stage END) OVER (PARTITION BY d.case_id) AS paid_stage \
                            FROM drawn d) AS s \
             WHERE s.paid_stage IS NULL OR s.stage <= s.paid_stage ORDER BY s.case_id, s.stage LIMIT {decisions}"
        ),
        format!(
            "INSERT INTO reminders (case_id, tenant, stage, stage_name, tone, fee, channel, send_at, local_hour, context, \
             propensity, policy_version, status, attempts, idempotency_key, reward, created_at, sent_at, updated_at, \
             allowed, send_by) \
             SELECT s.case_id, 'bench', s.stage, 'Stufe ' || (s.stage + 1), 'neutral', 0, (ARRAY[{names}])[s.arm], t.at, s.hour, \
               jsonb_build_object('tenant', 'bench', 'stage', s.stage, 'amount', s.amount_due, \
                 'days_overdue', 1 + 7 * s.stage, 'segment', s.kind, 'language', 'de', 'currency', 'EUR', \
                 'country', 'DE'), \
               1.0 / 52, 'bandit-v1', 'sent', 1, s.case_id || '-' || s.stage, CASE WHEN s.paid THEN 1.0 ELSE 0.0 END, \
               t.at, t.at, t.at, \
               jsonb_build_object('channels', jsonb_build_array({names}), \
                 'hours', (SELECT jsonb_agg(h) FROM generate_series(8, 20) AS h)), t.at + interval '8 hours' \
             FROM sent s CROSS JOIN LATERAL (SELECT s.received_at + make_interval(days => 7 * s.stage, hours => s.hour - 1) AS at) AS t \
             ORDER BY s.case_id, s.stage"
        ),
        "INSERT INTO payments (tenant, invoice_id, amount, currency, paid_at, source, reference, recorded_at) \
         SELECT 'bench', s.invoice_id, s.amount_due, 'EUR', \
           s.received_at + make_interval(days => 7 * s.stage + 2), 'bank', 'bench-' || s.case_id, \
           s.received_at + make_interval(days => 7 * s.stage + 2) \
         FROM sent s WHERE s.paid"
            .to_owned(),
        "UPDATE invoices i SET amount_paid = i.amount_due FROM sent s WHERE s.invoice_id = i.id AND s.paid".to_owned(),
        "UPDATE cases c SET state = 'paid', stages_planned = s.stage + 1, next_action_at = NULL \
         FROM sent s WHERE s.case_id = c.id AND s.paid"
            .to_owned(),
        "ANALYZE".to_owned(),
    ];
    for statement in &statements {
        db.execute(statement.as_str())
            .await
            .with_context(|| format!("filling the scratch database: {statement}"))?;
    }
    let written: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reminders WHERE sent_at IS NOT NULL")
        .fetch_one(&mut db)
        .await?;
    Ok(written as u64)
}
