-- The whole schema of the first release. Money is TEXT (exact decimals), time is RFC 3339 TEXT in UTC.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL
);

CREATE TABLE debtors (
    tenant          TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    language        TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    email           TEXT,
    phone           TEXT,
    whatsapp        TEXT,
    whatsapp_opt_in INTEGER NOT NULL,
    messenger_psid  TEXT,
    address_line1   TEXT,
    address_line2   TEXT,
    postal_code     TEXT,
    city            TEXT,
    country         TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE invoices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    number      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    issued_on   TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount_due  TEXT NOT NULL ,
    amount_paid TEXT NOT NULL,
    plan        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (tenant, number),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtors (tenant, id)
);

CREATE TABLE invoice_lines (
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,
    sku         TEXT,
    description TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    unit_price  TEXT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id      INTEGER NOT NULL UNIQUE REFERENCES invoices (id),
    state           TEXT NOT NULL,
    stages_planned  INTEGER NOT NULL,
    next_action_at  TEXT,
    opened_at       TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX cases_due ON cases (next_action_at) WHERE state IN ('open', 'reminding');

CREATE TABLE reminders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         INTEGER NOT NULL REFERENCES cases (id),
    stage           INTEGER NOT NULL,
    stage_name      TEXT NOT NULL,
    tone            TEXT NOT NULL,
    fee             TEXT NOT NULL,
    channel         TEXT NOT NULL,
    send_at         TEXT NOT NULL,
    local_hour      INTEGER NOT NULL,
    context         TEXT NOT NULL,
    propensity      REAL NOT NULL,
    policy_version  TEXT NOT NULL,
    status          TEXT NOT NULL,
    lease_until     TEXT,
    attempts        INTEGER NOT NULL,
    last_error      TEXT,
    provider_id     TEXT,
    idempotency_key TEXT NOT NULL,  -- rem-<case>-<stage>: unique through UNIQUE (case_id, stage)
    reward          REAL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    updated_at      TEXT NOT NULL,
    UNIQUE (case_id, stage)
);
CREATE INDEX reminders_due ON reminders (send_at) WHERE status = 'scheduled';

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    paid_at     TEXT NOT NULL,
    source      TEXT NOT NULL,
    reference   TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (tenant, source, reference)
);

CREATE TABLE intake_rejections (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at     TEXT NOT NULL,
    routing_key     TEXT NOT NULL,
    field           TEXT NOT NULL,
    reason          TEXT NOT NULL,
    tenant          TEXT,
    invoice_number  TEXT,
    payload         BLOB NOT NULL
);

CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    case_id INTEGER REFERENCES cases (id),
    data    TEXT NOT NULL
);
