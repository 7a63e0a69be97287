-- The console at a million cases of 20 tenants (issue 21; measured by `mahnwerk bench console`,
-- README "Console at scale"). Found with EXPLAIN (ANALYZE, BUFFERS) on the benchmark's database.

-- A case knows its tenant. The case list pages through a tenant's cases by id; with the tenant
-- on the invoice alone it walked every tenant's cases in id order and joined each to its
-- invoice to see whose it was (19 of 20 not the caller's), 100-300 ms for a filter that few
-- cases match. Intake writes it with the case, from the invoice, and it never changes.
ALTER TABLE cases ADD COLUMN tenant TEXT;
UPDATE cases SET tenant = invoices.tenant FROM invoices WHERE invoices.id = cases.invoice_id;
ALTER TABLE cases ALTER COLUMN tenant SET NOT NULL;
CREATE INDEX cases_tenant ON cases (tenant, id) INCLUDE (state, invoice_id);
CREATE INDEX cases_tenant_state ON cases (tenant, state, id);

-- The case page's timeline reads promises and disputes by case; only the open ones had an index
-- (a sequential scan of each table per page).
CREATE INDEX promises_case ON promises (case_id);
CREATE INDEX disputes_case ON disputes (case_id);

-- The list's amount filter compares the amount as a double (as on SQLite): an index on that
-- expression gives the planner its statistics (without them it guessed 0.2 % of the rows where
-- a quarter matched) and serves a narrow range.
CREATE INDEX invoices_tenant_amount ON invoices (tenant, (CAST(amount_due AS DOUBLE PRECISION)));

-- The list's text search (any part of the invoice number, the debtor id or the debtor's name)
-- reads the tenant's invoices and compares (150-300 ms at 50,000 cases). Trigram indexes
-- (pg_trgm) answered it in 10-50 ms, but made every invoice the intake stores three index
-- updates dearer (the benchmark's seeding of invoices went from 32 s to 111-208 s): not made.

-- The statistics and the overview read a tenant's invoice amounts, payments and sent reminders.
-- A reminder knows its tenant too (written with it, from its case): the sent ones of a tenant are
-- then one range of an index, where through the cases they were 50,000 index probes (200 ms of
-- one core) at 20 tenants. These indexes hold what the statistics read, so the tables' rows are
-- not visited.
ALTER TABLE reminders ADD COLUMN tenant TEXT;
UPDATE reminders SET tenant = cases.tenant FROM cases WHERE cases.id = reminders.case_id;
ALTER TABLE reminders ALTER COLUMN tenant SET NOT NULL;
CREATE INDEX reminders_tenant_status ON reminders (tenant, status, instalment, reward)
    INCLUDE (case_id, stage, channel, local_hour);
CREATE INDEX invoices_tenant_amounts ON invoices (tenant) INCLUDE (id, currency, amount_due, amount_paid, issued_on);
CREATE INDEX payments_tenant ON payments (tenant) INCLUDE (invoice_id, source, currency, amount, paid_at);
