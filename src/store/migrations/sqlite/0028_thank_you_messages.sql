-- After payment: the thank-you message with recommendations, and the consent it needs (issue 18).

-- The marketing consent ledger, beside the reminders' (`consents`): one row per event, never
-- updated in place; the consent in force for (tenant, debtor, channel) is the latest event by
-- `at` and then by `id`. An opt-in is an explicit marketing consent (given by the debtor to the
-- creditor, recorded through the console API with the date it was given); an opt-out is an
-- objection (the opt-out link of a thank-you message, or the console). Reminder consent and
-- marketing consent are separate purposes: objecting to advertising stops no reminder, and a
-- reminder opt-out stops marketing on that channel too (decided in `domain::marketing`).
CREATE TABLE marketing_consents (
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
-- A replayed link or request records its event once.
CREATE UNIQUE INDEX marketing_consents_once ON marketing_consents (tenant, debtor_id, channel, kind, at, source);
CREATE INDEX marketing_consents_latest ON marketing_consents (tenant, debtor_id, channel, at DESC, id DESC);

-- The thank-you messages' outbox: queued by the post-payment hook in the hook runner's
-- transaction (at most one per case), sent by the recommender role's sender, which leases a
-- message (`next_attempt_at` moved past the send) before sending it and records the result
-- right after.
CREATE TABLE thank_you_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         INTEGER NOT NULL UNIQUE REFERENCES cases (id),
    tenant          TEXT NOT NULL,
    channel         TEXT NOT NULL,
    basis           TEXT NOT NULL CHECK (basis IN ('existing_customer', 'explicit_consent')),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'withheld')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    provider_id     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX thank_you_messages_due ON thank_you_messages (next_attempt_at) WHERE status = 'pending';
