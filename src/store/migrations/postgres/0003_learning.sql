-- The learning loop. Outcomes of reminders become `reminder.outcome` events; every event is
-- published to `mahnwerk.events` by the dispatchers (a transactional outbox, leased like
-- reminders); the learner writes versioned policy snapshots that every scheduler reloads.

ALTER TABLE events ADD COLUMN published_at TIMESTAMPTZ, ADD COLUMN lease_until TIMESTAMPTZ;
-- Events written before publishing existed were never meant to be sent: mark them published.
UPDATE events SET published_at = at;
CREATE INDEX events_unpublished ON events (id) WHERE published_at IS NULL;

-- Reminders whose attribution window may close without a payment (reward 0 when it does).
CREATE INDEX reminders_awaiting_outcome ON reminders (sent_at) WHERE status = 'sent' AND reward IS NULL;

CREATE TABLE policy_snapshots (
    version     BIGSERIAL PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL,
    updates     BIGINT NOT NULL,       -- outcomes the model had learned from when it was written
    body        TEXT NOT NULL          -- mahnwerk_models::bandit::Snapshot as JSON
);
