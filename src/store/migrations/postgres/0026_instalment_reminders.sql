-- Instalment reminders (issue 16): each instalment of a plan gets its own reminders, planned when
-- the plan is agreed and sent through the outbox like a stage's. `instalment` is the instalment's
-- number in its plan (from 1); 0 on a dunning stage's reminder. On an instalment reminder `stage`
-- says which notice it is: 0 the one some days before the due date, 1 the one on the due date.
-- Instalment reminders are no dunning stage: no fee, no policy decision, no reward, and they are
-- left out of what the legal engine, the learner, the exports and the planner count as sent.
ALTER TABLE reminders ADD COLUMN instalment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reminders DROP CONSTRAINT reminders_case_id_stage_channel_key;
ALTER TABLE reminders ADD CONSTRAINT reminders_case_id_stage_channel_instalment_key
    UNIQUE (case_id, stage, channel, instalment);
-- Rewards are only ever settled on stage reminders.
DROP INDEX reminders_awaiting_outcome;
CREATE INDEX reminders_awaiting_outcome ON reminders (sent_at)
    WHERE status = 'sent' AND reward IS NULL AND instalment = 0;
