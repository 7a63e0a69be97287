-- The invoice's payment terms that decide when the debtor falls into default (§ 286 BGB): a due
-- date set by the calendar (default the day after it), and whether the invoice pointed out the
-- 30-day rule of § 286 (3) BGB (which a consumer must have been told of). Existing invoices said
-- neither, so both are false for them.
ALTER TABLE invoices
    ADD COLUMN due_by_calendar BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN states_30_day_rule BOOLEAN NOT NULL DEFAULT FALSE;
