-- Fallback after a dead address (issue 3): a permanent "recipient unreachable" failure
-- remembers the address as dead for the debtor and plans the same stage again on another
-- channel. So a stage may now have one reminder per channel, not one in all.

-- JSON object channel -> the address that proved dead; NULL when none did.
ALTER TABLE debtors ADD COLUMN unreachable TEXT;

ALTER TABLE reminders DROP CONSTRAINT reminders_case_id_stage_key;
ALTER TABLE reminders ADD CONSTRAINT reminders_case_id_stage_channel_key UNIQUE (case_id, stage, channel);
