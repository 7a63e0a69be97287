-- Catch-up after downtime: the end of the allowed window a reminder was planned for (20:00 local
-- time on its send day). The dispatcher sends a reminder only before it; one found later is
-- re-timed to its debtor's next allowed moment, or planned anew when it is days late. NULL on
-- reminders planned before this migration: they go out as before.
ALTER TABLE reminders ADD COLUMN send_by TIMESTAMPTZ;

-- Reminders published to a channel queue and waiting for their send result: the scheduler finds
-- those waiting longer than the re-dispatch lease (a lost delivery message) by this index.
CREATE INDEX reminders_queued ON reminders (updated_at) WHERE status = 'queued';
