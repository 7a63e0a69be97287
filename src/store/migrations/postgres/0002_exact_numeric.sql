-- Money and quantities keep exactly the decimal they were given, as on SQLite. NUMERIC(20, 4)
-- rounded fees and line quantities beyond four decimal places and refused amounts of 10^16 and
-- more, which intake accepts and SQLite stores ("numeric field overflow" failed the batch).
-- Unconstrained NUMERIC holds every rust_decimal value exactly, scale included, so both backends
-- read back the same text. Dropping a numeric typmod does not rewrite the table.

ALTER TABLE invoices ALTER COLUMN amount_due TYPE NUMERIC, ALTER COLUMN amount_paid TYPE NUMERIC;
ALTER TABLE invoice_lines ALTER COLUMN quantity TYPE NUMERIC, ALTER COLUMN unit_price TYPE NUMERIC;
ALTER TABLE reminders ALTER COLUMN fee TYPE NUMERIC;
ALTER TABLE payments ALTER COLUMN amount TYPE NUMERIC;
