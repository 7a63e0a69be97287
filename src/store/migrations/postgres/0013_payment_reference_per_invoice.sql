-- A payment's reference is unique per invoice, not per tenant and source: one bank transfer (one
-- reference) that pays two invoices arrives as two `invoice.paid` messages with the same
-- `payment_reference`, and the second was dropped as a replay. A replay names the same invoice.
ALTER TABLE payments DROP CONSTRAINT payments_tenant_source_reference_key;
ALTER TABLE payments ADD CONSTRAINT payments_reference_per_invoice UNIQUE (tenant, source, invoice_id, reference);
