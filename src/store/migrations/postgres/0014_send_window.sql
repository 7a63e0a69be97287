-- Catch-up after downtime: the end of the allowed window a reminder was planned for (20:00 local
-- time on its send day). The dispatcher sends a reminder only before it; one found later is
-- re-timed to its debtor's next allowed moment, or planned anew when it is days late. NULL on
-- reminders planned before this migration: they go out as before.
ALTER TABLE reminders ADD COLUMN send_by TIMESTAMPTZ;

-- When a reminder was last published to its channel's queue (its dispatch stamp, carried in the
-- delivery message too). A reminder queued longer than the re-dispatch lease without a send result
-- (a lost delivery message) is dispatched again; a channel worker sends only on the copy whose
-- stamp is the reminder's newest, so an older copy that turns up later is dropped.
ALTER TABLE reminders ADD COLUMN queued_at TIMESTAMPTZ;
CREATE INDEX reminders_queued ON reminders (queued_at) WHERE status = 'queued';
