-- The consent ledger, delivery receipts and inbound messages (see the PostgreSQL migration 0005).

CREATE TABLE consents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opt_in', 'opt_out')),
    at          TEXT NOT NULL,
    source      TEXT NOT NULL,
    detail      TEXT,
    recorded_at TEXT NOT NULL,
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtors (tenant, id)
);
CREATE INDEX consents_latest ON consents (tenant, debtor_id, channel, at DESC, id DESC);
INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at)
SELECT tenant, id, 'whatsapp', 'opt_in', updated_at, 'intake', 'whatsapp_opt_in before the ledger', updated_at
FROM debtors WHERE whatsapp_opt_in;

CREATE TABLE inbound_contacts (
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    last_at     TEXT NOT NULL,
    PRIMARY KEY (tenant, debtor_id, channel),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtors (tenant, id)
);

ALTER TABLE reminders ADD COLUMN receipt_status TEXT;
ALTER TABLE reminders ADD COLUMN receipt_at TEXT;
ALTER TABLE reminders ADD COLUMN receipt_error TEXT;
CREATE INDEX reminders_provider_id ON reminders (provider_id) WHERE provider_id IS NOT NULL;

CREATE INDEX debtors_phone ON debtors (phone) WHERE phone IS NOT NULL;
CREATE INDEX debtors_whatsapp ON debtors (whatsapp) WHERE whatsapp IS NOT NULL;
CREATE INDEX debtors_messenger_psid ON debtors (messenger_psid) WHERE messenger_psid IS NOT NULL;
CREATE INDEX debtors_email ON debtors (email) WHERE email IS NOT NULL;
