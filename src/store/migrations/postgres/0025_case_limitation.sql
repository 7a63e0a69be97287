-- The claim's limitation date on the case (§§ 195, 199 BGB: 31 December of the third year after
-- the year the invoice fell due; `Limitation::regular` in src/domain/legal/limitation.rs), and
-- when `case.limitation_near` was emitted for it: once per case, from 90 days before that date.
ALTER TABLE cases ADD COLUMN limitation_last_day DATE;
ALTER TABLE cases ADD COLUMN limitation_warned_at TIMESTAMPTZ;
UPDATE cases SET limitation_last_day = (
    SELECT make_date(CAST(EXTRACT(YEAR FROM i.due_on) AS INTEGER) + 3, 12, 31) FROM invoices i WHERE i.id = cases.invoice_id);
CREATE INDEX cases_limitation_unwarned ON cases (limitation_last_day) WHERE limitation_warned_at IS NULL;
