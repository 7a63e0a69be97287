-- Instalment reminders (issue 16): each instalment of a plan gets its own reminders, planned when
-- the plan is agreed and sent through the outbox like a stage's. `instalment` is the instalment's
-- number in its plan (from 1); 0 on a dunning stage's reminder. On an instalment reminder `stage`
-- says which notice it is: 0 the one some days before the due date, 1 the one on the due date.
-- Instalment reminders are no dunning stage: no fee, no policy decision, no reward, and they are
-- left out of what the legal engine, the learner, the exports and the planner count as sent.

-- SQLite cannot change a table constraint: the reminders table is rebuilt with the new key
-- (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema changes"). No
-- table references reminders, so the foreign keys stay satisfied throughout.
CREATE TABLE reminders_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         INTEGER NOT NULL REFERENCES cases (id),
    stage           INTEGER NOT NULL,
    stage_name      TEXT NOT NULL,
    tone            TEXT NOT NULL,
    fee             TEXT NOT NULL,
    channel         TEXT NOT NULL,
    send_at         TEXT NOT NULL,
    local_hour      INTEGER NOT NULL,
    context         TEXT NOT NULL,
    propensity      REAL NOT NULL,
    policy_version  TEXT NOT NULL,
    status          TEXT NOT NULL,
    lease_until     TEXT,
    attempts        INTEGER NOT NULL,
    last_error      TEXT,
    provider_id     TEXT,
    idempotency_key TEXT NOT NULL,
    reward          REAL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    updated_at      TEXT NOT NULL,
    allowed         TEXT,
    receipt_status  TEXT,
    receipt_at      TEXT,
    receipt_error   TEXT,
    send_by         TEXT,
    queued_at       TEXT,
    instalment      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (case_id, stage, channel, instalment)
);
INSERT INTO reminders_new (id, case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context,
    propensity, policy_version, status, lease_until, attempts, last_error, provider_id, idempotency_key,
    reward, created_at, sent_at, updated_at, allowed, receipt_status, receipt_at, receipt_error, send_by, queued_at)
SELECT id, case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context,
    propensity, policy_version, status, lease_until, attempts, last_error, provider_id, idempotency_key,
    reward, created_at, sent_at, updated_at, allowed, receipt_status, receipt_at, receipt_error, send_by, queued_at
FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_new RENAME TO reminders;
CREATE INDEX reminders_due ON reminders (send_at) WHERE status = 'scheduled';
-- Rewards are only ever settled on stage reminders.
CREATE INDEX reminders_awaiting_outcome ON reminders (sent_at)
    WHERE status = 'sent' AND reward IS NULL AND instalment = 0;
CREATE INDEX reminders_provider_id ON reminders (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX reminders_queued ON reminders (queued_at) WHERE status = 'queued';
