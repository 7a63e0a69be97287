-- Fallback after a dead address (issue 3): a permanent "recipient unreachable" failure
-- remembers the address as dead for the debtor and plans the same stage again on another
-- channel. So a stage may now have one reminder per channel, not one in all.

-- JSON object channel -> the address that proved dead; NULL when none did.
ALTER TABLE debtors ADD COLUMN unreachable TEXT;

-- SQLite cannot drop a table constraint: the reminders table is rebuilt with the new key
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
    UNIQUE (case_id, stage, channel)
);
INSERT INTO reminders_new (id, case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context,
    propensity, policy_version, status, lease_until, attempts, last_error, provider_id, idempotency_key,
    reward, created_at, sent_at, updated_at, allowed, receipt_status, receipt_at, receipt_error)
SELECT id, case_id, stage, stage_name, tone, fee, channel, send_at, local_hour, context,
    propensity, policy_version, status, lease_until, attempts, last_error, provider_id, idempotency_key,
    reward, created_at, sent_at, updated_at, allowed, receipt_status, receipt_at, receipt_error
FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_new RENAME TO reminders;
CREATE INDEX reminders_due ON reminders (send_at) WHERE status = 'scheduled';
CREATE INDEX reminders_awaiting_outcome ON reminders (sent_at) WHERE status = 'sent' AND reward IS NULL;
CREATE INDEX reminders_provider_id ON reminders (provider_id) WHERE provider_id IS NOT NULL;
