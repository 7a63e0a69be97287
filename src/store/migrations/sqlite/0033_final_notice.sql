-- The last stage's deadline (issue 17): on the reminder of a plan's last stage, the days after
-- its send when the case escalates unless paid (the plan's `escalate_after_days`), so the
-- reminder can name that date and what follows; NULL on every other reminder.
ALTER TABLE reminders ADD COLUMN escalates_after_days INTEGER;
