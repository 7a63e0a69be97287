-- A payment's reference is unique per invoice, not per tenant and source: one bank transfer (one
-- reference) that pays two invoices arrives as two `invoice.paid` messages with the same
-- `payment_reference`, and the second was dropped as a replay. A replay names the same invoice.
-- SQLite cannot drop a table constraint: the table is rebuilt.
CREATE TABLE payments_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    paid_at     TEXT NOT NULL,
    source      TEXT NOT NULL,
    reference   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (tenant, source, invoice_id, reference)
);
INSERT INTO payments_new (id, tenant, invoice_id, amount, currency, paid_at, source, reference, recorded_at)
    SELECT id, tenant, invoice_id, amount, currency, paid_at, source, reference, recorded_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
