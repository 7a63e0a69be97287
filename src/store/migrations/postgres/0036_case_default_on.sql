-- The day the debtor fell into default (Verzug, § 286 BGB) on the case, and the rule that put
-- them there (`calendar_date`, `reminder`, `thirty_days`; `DefaultGround` in
-- src/domain/legal/default.rs). Set once, in the transaction of the step that fixes it (intake for
-- a calendar date or a 30-day period already run, the first reminder after the due date recorded
-- as sent), and never moved: the legal engine uses it instead of recomputing
-- (`CaseClaim::default_to_store` in src/domain/legal/stored_default.rs decides when it is fixed).
ALTER TABLE cases ADD COLUMN default_on DATE;
ALTER TABLE cases ADD COLUMN default_ground TEXT;

-- Existing cases, from the stored facts, as the engine would compute them today: the earliest of
-- the day after a contractual calendar due date; the day after the first dunning reminder that
-- reached the debtor after the due date (a letter 4 days after posting, § 122 (2) AO; anything
-- else the day sent); the 31st day after the later of due date and issue date (businesses, or
-- consumers told so by the invoice). A 30-day date still ahead is set only when a reminder is
-- already there; otherwise a later reminder may come first and fix the date then.
WITH grounds AS (
    SELECT c.id AS case_id,
        CASE WHEN i.due_by_calendar THEN i.due_on + 1 END AS calendar_from,
        (SELECT MIN(received) + 1 FROM (
            SELECT CAST(r.sent_at AT TIME ZONE 'UTC' AS DATE) + CASE WHEN r.channel = 'letter' THEN 4 ELSE 0 END AS received
            FROM reminders r WHERE r.case_id = c.id AND r.status = 'sent' AND r.sent_at IS NOT NULL AND r.instalment = 0
        ) s WHERE s.received > i.due_on) AS reminder_from,
        CASE WHEN d.kind = 'business' OR i.states_30_day_rule THEN GREATEST(i.issued_on, i.due_on) + 31 END AS thirty_from
    FROM cases c JOIN invoices i ON i.id = c.invoice_id JOIN debtors d ON d.tenant = i.tenant AND d.id = i.debtor_id
), fixed AS (
    SELECT case_id,
        CASE
            WHEN calendar_from IS NOT NULL THEN calendar_from
            WHEN reminder_from IS NOT NULL AND (thirty_from IS NULL OR reminder_from <= thirty_from) THEN reminder_from
            WHEN reminder_from IS NOT NULL THEN thirty_from
            WHEN thirty_from <= CURRENT_DATE + 1 THEN thirty_from
        END AS default_on,
        CASE
            WHEN calendar_from IS NOT NULL THEN 'calendar_date'
            WHEN reminder_from IS NOT NULL AND (thirty_from IS NULL OR reminder_from <= thirty_from) THEN 'reminder'
            WHEN reminder_from IS NOT NULL THEN 'thirty_days'
            WHEN thirty_from <= CURRENT_DATE + 1 THEN 'thirty_days'
        END AS default_ground
    FROM grounds
)
UPDATE cases SET default_on = fixed.default_on, default_ground = fixed.default_ground
FROM fixed WHERE cases.id = fixed.case_id AND fixed.default_on IS NOT NULL;
