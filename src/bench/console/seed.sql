-- The console benchmark's cases, written straight into a freshly migrated PostgreSQL database
-- with INSERT … SELECT FROM generate_series: benchmark seeding, not a path any data takes in
-- production (that is intake, the planner and the channel workers). Each `-- step:` runs as
-- one statement; __CASES__, __TENANTS__ and __NOW__ are put in by `seed.rs`.
--
-- Case k (1 … N) belongs to tenant k mod T, so a tenant's cases are spread over the whole id
-- range as they are when tenants send at the same time. What each case looks like is drawn once
-- into `bench_draw` (one row per case) and every table is filled from it, so the tables agree:
-- a paid case has its payment and the reminders before it, a disputed one its open dispute, a
-- paused one its promise or the operator's pause in the audit log.

-- step: drawing the cases
CREATE UNLOGGED TABLE bench_draw AS
SELECT *, CASE WHEN state = 'open' THEN 0
               WHEN state = 'escalated' THEN 3
               WHEN state = 'paid' AND u_stage < 0.1 THEN 0
               ELSE 1 + floor(u_stage * 3)::int END AS stages
FROM (
    SELECT k,
           k % __TENANTS__ AS t,
           -- 0.6 debtors per case and tenant: some debtors owe several invoices.
           floor(u_debtor * greatest(1, ceil(__CASES__ / __TENANTS__ * 0.6)))::bigint AS debtor,
           age,
           CASE WHEN age < 10 AND u_state < 0.4 THEN 'open'
                WHEN u_state < 0.45 THEN 'paid'
                WHEN u_state < 0.70 THEN 'reminding'
                WHEN u_state < 0.80 THEN 'escalated'
                WHEN u_state < 0.88 THEN 'cancelled'
                WHEN u_state < 0.94 THEN 'paused'
                WHEN u_state < 0.97 THEN 'disputed'
                ELSE 'open' END AS state,
           u_stage,
           u_money,
           -- 20 to 8,100: many small invoices, a few large ones.
           round(exp(3 + u_amount * 6)::numeric, 2) AS amount,
           CASE WHEN u_money < 0.03 THEN 'CHF' ELSE 'EUR' END AS currency,
           (__NOW__::timestamptz)::date - age AS due_on
    FROM (
        SELECT k, random() AS u_debtor, random() AS u_state, random() AS u_stage, random() AS u_money,
               random() AS u_amount, floor(random() * random() * 720)::int AS age
        FROM generate_series(1, __CASES__) AS k
    ) AS draws
) AS drawn;

-- step: tenants
INSERT INTO tenants (id, created_at)
SELECT 'tenant-' || lpad(t::text, 2, '0'), __NOW__::timestamptz - interval '3 years'
FROM generate_series(0, __TENANTS__ - 1) AS t;

-- step: debtors
INSERT INTO debtors (tenant, id, kind, name, language, timezone, email, phone, whatsapp, whatsapp_opt_in,
                     messenger_psid, address_line1, postal_code, city, country, updated_at)
SELECT DISTINCT ON (t, debtor)
       'tenant-' || lpad(t::text, 2, '0'), 'C-' || lpad(debtor::text, 7, '0'),
       CASE WHEN debtor % 5 = 0 THEN 'business' ELSE 'consumer' END,
       (ARRAY['Anna','Ben','Clara','David','Emma','Felix','Greta','Hannah','Jonas','Lena','Lukas','Marie',
              'Noah','Paul','Sophie','Tim','Laura','Max','Mia','Leon'])[1 + debtor % 20] || ' ' ||
       (ARRAY['Müller','Schmidt','Schneider','Fischer','Weber','Meyer','Wagner','Becker','Schulz','Hoffmann',
              'Koch','Richter','Klein','Wolf','Schröder','Neumann','Schwarz','Braun','Zimmermann','Krüger',
              'Hartmann','Lange','Werner','Krause','Lehmann','Köhler','Maier','Herrmann','Walter','König'])
              [1 + (debtor / 20) % 30],
       CASE WHEN debtor % 7 = 0 THEN 'en' ELSE 'de' END, 'Europe/Berlin',
       'debtor' || debtor || '@example.org',
       CASE WHEN debtor % 3 = 0 THEN NULL ELSE '+49151' || lpad(debtor::text, 8, '0') END,
       CASE WHEN debtor % 4 = 0 THEN '+49151' || lpad(debtor::text, 8, '0') END, debtor % 4 = 0,
       NULL, 'Musterstr. ' || (1 + debtor % 200), lpad((10000 + debtor % 89999)::text, 5, '0'), 'Berlin', 'DE',
       __NOW__::timestamptz - interval '1 year'
FROM bench_draw ORDER BY t, debtor;

-- step: invoices
INSERT INTO invoices (id, tenant, number, debtor_id, issued_on, due_on, currency, amount_due, amount_paid, plan,
                      received_at)
SELECT k, 'tenant-' || lpad(t::text, 2, '0'), 'RE-' || lpad((k / __TENANTS__)::text, 8, '0'),
       'C-' || lpad(debtor::text, 7, '0'), due_on - 14, due_on, currency, amount,
       CASE WHEN state = 'paid' THEN amount
            WHEN state = 'reminding' AND u_money > 0.9 THEN round(amount * 0.3, 2)
            ELSE 0 END,
       CASE WHEN debtor % 5 = 0 THEN 'standard-b2b' ELSE 'standard-b2c' END,
       due_on + interval '1 day 7 hours'
FROM bench_draw;

-- step: invoice lines
INSERT INTO invoice_lines (invoice_id, position, sku, description, quantity, unit_price)
SELECT k, 1, 'SKU-' || (k % 500), 'Leistung ' || (k % 500), 1, amount FROM bench_draw;

-- step: cases
INSERT INTO cases (id, invoice_id, tenant, state, stages_planned, next_action_at, opened_at, updated_at,
                   limitation_last_day)
SELECT k, k, 'tenant-' || lpad(t::text, 2, '0'), state, stages,
       CASE WHEN state IN ('open', 'reminding') THEN __NOW__::timestamptz + (k % 14) * interval '1 day' END,
       due_on + interval '1 day 7 hours', due_on + interval '1 day 7 hours' + stages * interval '14 days',
       make_date(extract(year FROM due_on)::int + 3, 12, 31)
FROM bench_draw;

-- step: reminders
INSERT INTO reminders (case_id, tenant, stage, stage_name, tone, fee, channel, send_at, local_hour, context, propensity,
                       policy_version, status, attempts, idempotency_key, reward, created_at, sent_at, updated_at,
                       receipt_status, receipt_at, send_by, instalment)
SELECT k, 'tenant-' || lpad(t::text, 2, '0'), s, (ARRAY['Zahlungserinnerung', '1. Mahnung', '2. Mahnung'])[s + 1],
       (ARRAY['friendly', 'neutral', 'firm'])[s + 1], CASE WHEN s = 0 THEN 0 ELSE 2.50 END,
       channel, send_at, hour,
       jsonb_build_object('stage', s + 1, 'amount', amount, 'days_overdue', 1 + s * 14, 'segment', 'b2c'),
       0.2 + (k % 70) / 100.0, 'bandit-v' || (1 + k % 12),
       status, CASE WHEN status = 'sent' THEN 1 ELSE 0 END, 'rem-' || k || '-' || s,
       CASE WHEN status <> 'sent' OR send_at > __NOW__::timestamptz - interval '3 days' THEN NULL
            WHEN state = 'paid' AND s = stages - 1 THEN 1.0 ELSE 0.0 END,
       send_at - interval '1 hour', CASE WHEN status = 'sent' THEN send_at END, send_at,
       CASE WHEN status = 'sent' AND channel IN ('email', 'sms') THEN 'delivered' END,
       CASE WHEN status = 'sent' AND channel IN ('email', 'sms') THEN send_at + interval '2 minutes' END,
       send_at + interval '10 hours', 0
FROM (
    SELECT d.k, d.t, d.state, d.stages, d.amount, d.s, d.hour,
           CASE WHEN u < 0.50 THEN 'email' WHEN u < 0.70 THEN 'sms' WHEN u < 0.82 THEN 'whatsapp'
                WHEN u < 0.94 THEN 'letter' ELSE 'messenger' END AS channel,
           (d.due_on + 1 + d.s * 14) + make_interval(hours => d.hour - 1) AS send_at,
           CASE WHEN (d.due_on + 1 + d.s * 14) + make_interval(hours => d.hour - 1) > __NOW__::timestamptz
                     AND d.state = 'reminding' THEN 'scheduled'
                WHEN d.s = d.stages - 1 AND d.state IN ('cancelled', 'paused', 'disputed')
                     AND d.k % 2 = 0 THEN 'cancelled'
                ELSE 'sent' END AS status
    FROM (
        SELECT d.*, s.s, random() AS u, 8 + floor(random() * 12)::int AS hour
        FROM bench_draw d CROSS JOIN LATERAL generate_series(0, d.stages - 1) AS s(s)
    ) AS d
) AS planned;

-- step: payments
INSERT INTO payments (tenant, invoice_id, amount, currency, paid_at, source, reference, recorded_at)
SELECT 'tenant-' || lpad(t::text, 2, '0'), k,
       CASE WHEN state = 'paid' THEN amount ELSE round(amount * 0.3, 2) END, currency, paid_at,
       CASE WHEN state <> 'paid' THEN 'bank' WHEN u_money < 0.05 THEN 'credit' WHEN u_money < 0.08 THEN 'write_off'
            WHEN u_money < 0.55 THEN 'bank' WHEN u_money < 0.80 THEN 'stripe' ELSE 'amqp' END,
       'P-' || k, paid_at + interval '5 minutes'
FROM (
    SELECT *, least(__NOW__::timestamptz - interval '1 hour',
                    due_on + interval '3 days 11 hours' + greatest(stages - 1, 0) * interval '14 days') AS paid_at
    FROM bench_draw
    WHERE state = 'paid' OR (state = 'reminding' AND u_money > 0.9)
) AS paid;

-- step: promises
INSERT INTO promises (case_id, promised_on, resume_at, state, created_at, ended_at)
SELECT k, (__NOW__::timestamptz)::date + 10, __NOW__::timestamptz + interval '11 days', 'open',
       __NOW__::timestamptz - interval '2 days', NULL
FROM bench_draw WHERE state = 'paused' AND u_stage < 0.6
UNION ALL
SELECT k, due_on + 20, due_on + interval '21 days', 'broken', due_on + interval '10 days',
       due_on + interval '21 days'
FROM bench_draw WHERE state = 'reminding' AND u_stage > 0.95 AND age > 30;

-- step: disputes
INSERT INTO disputes (case_id, reason, details, opened_at, resolution, resolved_at)
SELECT k, (ARRAY['not_received', 'defective', 'wrong_amount', 'already_paid'])[1 + k % 4],
       'Ware nicht erhalten, bitte prüfen.', due_on + interval '9 days',
       CASE WHEN state = 'disputed' THEN NULL ELSE 'claim_stands' END,
       CASE WHEN state = 'disputed' THEN NULL ELSE due_on + interval '12 days' END
FROM bench_draw WHERE state = 'disputed' OR (state = 'paid' AND u_stage > 0.98);

-- step: audit log
INSERT INTO audit_log (tenant, at, actor, action, case_id, debtor_id, before, after)
SELECT 'tenant-' || lpad(t::text, 2, '0'), due_on + interval '15 days 3 hours', 'operator:agent@example.org',
       CASE WHEN state = 'paused' THEN 'case.pause' ELSE 'case.cancel' END, k, NULL,
       '{"state":"reminding"}', '{"state":"' || state || '"}'
FROM bench_draw WHERE (state = 'paused' AND u_stage >= 0.6) OR (state = 'cancelled' AND u_stage < 0.3);

-- step: events
INSERT INTO events (at, kind, case_id, data)
SELECT at, kind, k, json_build_object('schema', 'mahnwerk.event.v1', 'tenant', 'tenant-' || lpad(t::text, 2, '0'),
       'case_id', k, 'invoice_number', 'RE-' || lpad((k / __TENANTS__)::text, 8, '0'),
       'debtor_id', 'C-' || lpad(debtor::text, 7, '0'), 'occurred_at', at, 'kind', kind)
FROM (
    SELECT d.k, d.t, d.debtor, r.sent_at + interval '3 days' AS at, 'reminder.outcome' AS kind
    FROM bench_draw d JOIN reminders r ON r.case_id = d.k WHERE r.reward IS NOT NULL
    UNION ALL
    SELECT d.k, d.t, d.debtor, p.paid_at, 'payment.recorded'
    FROM bench_draw d JOIN payments p ON p.invoice_id = d.k
    UNION ALL
    SELECT k, t, debtor, due_on + interval '45 days', 'case.' || state
    FROM bench_draw WHERE state IN ('escalated', 'cancelled')
) AS happened;

-- step: sequences
SELECT setval(pg_get_serial_sequence('invoices', 'id'), (SELECT max(id) FROM invoices)),
       setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases));

-- step: dropping the draw
DROP TABLE bench_draw;

-- step: vacuum and analyse (as autovacuum would have by now)
VACUUM ANALYZE;
