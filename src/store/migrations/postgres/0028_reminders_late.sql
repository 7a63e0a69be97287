-- The catch-up's look for reminders found after their window (`send_by` passed) reads this index
-- from its start up to now, so it finds the late reminders alone. Through `reminders_due` it read
-- every scheduled reminder already due (all of them on time) and the index entries their earlier
-- versions left behind (until vacuum), once per dispatch step.
CREATE INDEX reminders_late ON reminders (send_by) WHERE status = 'scheduled';
