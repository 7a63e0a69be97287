-- The learning loop (see the PostgreSQL migration 0003_learning.sql for the why).

ALTER TABLE events ADD COLUMN published_at TEXT;
ALTER TABLE events ADD COLUMN lease_until TEXT;
UPDATE events SET published_at = at;
CREATE INDEX events_unpublished ON events (id) WHERE published_at IS NULL;

CREATE INDEX reminders_awaiting_outcome ON reminders (sent_at) WHERE status = 'sent' AND reward IS NULL;

CREATE TABLE policy_snapshots (
    version     INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    updates     INTEGER NOT NULL,
    body        TEXT NOT NULL
);
