-- A payment a PSP reported as pending (SEPA Direct Debit) holds the case's dunning until it
-- settles, fails or `held_until` passes. One row per pending payment (source, reference) and
-- case; it ends settled, failed or expired.
CREATE TABLE payment_holds (
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    source     TEXT NOT NULL,
    reference  TEXT NOT NULL,
    held_until TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ended_at   TEXT,
    PRIMARY KEY (case_id, source, reference)
);
CREATE INDEX payment_holds_open ON payment_holds (case_id) WHERE state = 'open';
