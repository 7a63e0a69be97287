-- The debtor's bank account (intake's optional debtor.iban, in electronic form, checked at
-- intake): a bank line from this IBAN that names no invoice is applied to the debtor's open
-- invoices in the order of § 366 (2) BGB. The import looks debtors up by it.
ALTER TABLE debtors ADD COLUMN iban TEXT;
CREATE INDEX debtors_by_iban ON debtors (tenant, iban) WHERE iban IS NOT NULL;
-- Why a bank line waits for review, when the import knows more than "nothing matched" (a payer
-- IBAN of several debtors; the rest of a line applied under § 366 (2)).
ALTER TABLE bank_lines ADD COLUMN note TEXT;
