-- Bank statement import (camt.053, CSV). Every imported line is kept, matched or not, under a
-- key unique per tenant (the bank's entry and transaction references, or a hash of the line),
-- so that importing the same file again changes nothing and no line is ever lost.
CREATE TABLE bank_lines (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    line_key    TEXT NOT NULL,
    booked_on   TEXT NOT NULL,
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    debtor_name TEXT,
    remittance  TEXT NOT NULL,
    status      TEXT NOT NULL,
    matched_by  TEXT,
    invoices    TEXT,
    credit      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (tenant, line_key)
);
CREATE INDEX bank_lines_to_review ON bank_lines (tenant, id) WHERE status = 'unmatched';

-- An invoice number with spaces, dashes and case taken out (what the RF creditor reference on
-- the letters carries), computed by the import in Rust and kept here so that it is looked up
-- by index.
CREATE TABLE invoice_match_keys (
    invoice_id  INTEGER PRIMARY KEY REFERENCES invoices (id),
    tenant      TEXT NOT NULL,
    match_key   TEXT NOT NULL
);
CREATE INDEX invoice_match_keys_lookup ON invoice_match_keys (tenant, match_key);

-- Open invoices by their open amount in hundredths (matching by amount and name): the expression
-- is the one the lookup writes, so that it is read from this index. No cast to an integer: an
-- index expression must not fail on the largest amounts intake accepts (28 digits).
CREATE INDEX invoices_open_cents ON invoices (tenant, (ROUND((amount_due - amount_paid) * 100)));
