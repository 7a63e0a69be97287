-- The events table becomes an append-only log that the relay reads behind a cursor (see the
-- PostgreSQL migration 0008_event_relay.sql for the why). SQLite has one writer at a time and
-- AUTOINCREMENT ids, so ids grow in commit order and the cursor is an id alone.

CREATE TABLE event_relay (
    only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),
    event_id    INTEGER NOT NULL,
    updated_at  TEXT
);
INSERT INTO event_relay (only_row, event_id)
SELECT 1, COALESCE((SELECT MIN(id) - 1 FROM events WHERE published_at IS NULL), (SELECT MAX(id) FROM events), 0);

DROP INDEX events_unpublished;
ALTER TABLE events DROP COLUMN published_at;
ALTER TABLE events DROP COLUMN lease_until;
