-- The consent ledger, delivery receipts and the debtors' inbound messages.

-- One row per consent event, never updated in place: the consent in force for (tenant, debtor,
-- channel) is its latest event, by `at` and then by `id`.
CREATE TABLE consents (
    id          BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opt_in', 'opt_out')),
    at          TIMESTAMPTZ NOT NULL,
    source      TEXT NOT NULL,          -- intake, sms_keyword, email_unsubscribe, whatsapp_block, ...
    detail      TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtors (tenant, id)
);
CREATE INDEX consents_latest ON consents (tenant, debtor_id, channel, at DESC, id DESC);
-- The opt-ins intake stored before the ledger existed become its first events.
INSERT INTO consents (tenant, debtor_id, channel, kind, at, source, detail, recorded_at)
SELECT tenant, id, 'whatsapp', 'opt_in', updated_at, 'intake', 'whatsapp_opt_in before the ledger', now()
FROM debtors WHERE whatsapp_opt_in;

-- When each debtor last wrote to us per channel: WhatsApp and Messenger allow free-form replies
-- only within 24 hours of it.
CREATE TABLE inbound_contacts (
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    last_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, debtor_id, channel),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtors (tenant, id)
);

-- Receipts (sent, delivered, read, failed) are matched by the provider's message id and only
-- ever move forward.
ALTER TABLE reminders ADD COLUMN receipt_status TEXT, ADD COLUMN receipt_at TIMESTAMPTZ,
    ADD COLUMN receipt_error TEXT;
CREATE INDEX reminders_provider_id ON reminders (provider_id) WHERE provider_id IS NOT NULL;

-- Webhooks name debtors by contact (a STOP from a phone number, a Messenger PSID).
CREATE INDEX debtors_phone ON debtors (phone) WHERE phone IS NOT NULL;
CREATE INDEX debtors_whatsapp ON debtors (whatsapp) WHERE whatsapp IS NOT NULL;
CREATE INDEX debtors_messenger_psid ON debtors (messenger_psid) WHERE messenger_psid IS NOT NULL;
CREATE INDEX debtors_email ON debtors (email) WHERE email IS NOT NULL;
