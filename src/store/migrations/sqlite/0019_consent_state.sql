-- The consent in force per (tenant, debtor, channel): the ledger's latest event by `at` and then
-- by `id`, kept beside the ledger so that reading it is one lookup by key instead of a scan of
-- the debtor's ledger (which a replayed unsubscribe link used to grow without bound). The store
-- moves a row forward whenever it appends to the ledger, and only forward: an event that arrives
-- late (an older `at`) is kept in the ledger and leaves the state alone.
CREATE TABLE consent_state (
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opt_in', 'opt_out')),
    at          TEXT NOT NULL,
    source      TEXT NOT NULL,
    consent_id  INTEGER NOT NULL,           -- the ledger row in force (ties on `at` go to the later row)
    PRIMARY KEY (tenant, debtor_id, channel),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtors (tenant, id)
);
INSERT INTO consent_state (tenant, debtor_id, channel, kind, at, source, consent_id)
SELECT x.tenant, x.debtor_id, x.channel, x.kind, x.at, x.source, x.id FROM consents x
WHERE x.id = (SELECT y.id FROM consents y WHERE y.tenant = x.tenant AND y.debtor_id = x.debtor_id
              AND y.channel = x.channel ORDER BY y.at DESC, y.id DESC LIMIT 1);
