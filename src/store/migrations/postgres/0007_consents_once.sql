-- A retried webhook (the same provider event) records its consent event once: one ledger row
-- per (tenant, debtor, channel, kind, at, source). Duplicates already recorded are removed
-- first; of each group the newest row is kept, so the consent in force (the latest event by `at`
-- and then by `id`) does not change.
DELETE FROM consents a USING consents b
WHERE a.tenant = b.tenant AND a.debtor_id = b.debtor_id AND a.channel = b.channel
  AND a.kind = b.kind AND a.at = b.at AND a.source = b.source AND a.id < b.id;
CREATE UNIQUE INDEX consents_once ON consents (tenant, debtor_id, channel, kind, at, source);
