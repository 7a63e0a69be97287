-- The person at a business debtor that letters and emails are addressed to (intake's optional
-- debtor.contact_person); NULL for consumers and for businesses greeted as a company.
ALTER TABLE debtors ADD COLUMN contact_person TEXT;
