-- The payments of an invoice, looked up by the invoice: recording a batch of payments reads the
-- payments of the invoices it locked (to tell a replay from a new payment before deciding
-- amounts), and a case's history (the pay-page, a claim statement) reads them for its invoice.
-- The unique key (tenant, source, invoice_id, reference) cannot serve a lookup by invoice alone.
CREATE INDEX payments_by_invoice ON payments (invoice_id);
