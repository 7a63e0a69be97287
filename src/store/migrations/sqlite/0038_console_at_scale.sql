-- The console at scale (issue 21; PostgreSQL's 0039_console_at_scale.sql says why each is there).
-- SQLite cannot add a NOT NULL column without a default, so a case's and a reminder's `tenant`
-- may be NULL here in principle; intake and the planner write it with every case and reminder.
ALTER TABLE cases ADD COLUMN tenant TEXT;
UPDATE cases SET tenant = (SELECT invoices.tenant FROM invoices WHERE invoices.id = cases.invoice_id);
CREATE INDEX cases_tenant ON cases (tenant, id);
CREATE INDEX cases_tenant_state ON cases (tenant, state, id);

CREATE INDEX promises_case ON promises (case_id);
CREATE INDEX disputes_case ON disputes (case_id);

CREATE INDEX invoices_tenant_amount ON invoices (tenant, CAST(amount_due AS DOUBLE PRECISION));
CREATE INDEX payments_tenant ON payments (tenant);

ALTER TABLE reminders ADD COLUMN tenant TEXT;
UPDATE reminders SET tenant = (SELECT cases.tenant FROM cases WHERE cases.id = reminders.case_id);
CREATE INDEX reminders_tenant_status ON reminders (tenant, status, instalment, reward);
