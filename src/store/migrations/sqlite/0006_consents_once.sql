-- A retried webhook (the same provider event) records its consent event once: one ledger row
-- per (tenant, debtor, channel, kind, at, source). Duplicates already recorded are removed
-- first; of each group the newest row is kept, so the consent in force (the latest event by `at`
-- and then by `id`) does not change.
DELETE FROM consents WHERE id NOT IN (
    SELECT MAX(id) FROM consents GROUP BY tenant, debtor_id, channel, kind, at, source);
CREATE UNIQUE INDEX consents_once ON consents (tenant, debtor_id, channel, kind, at, source);
