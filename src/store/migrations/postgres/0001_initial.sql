-- The whole schema of the first release. Money is NUMERIC, time is TIMESTAMPTZ in UTC.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    created_at  TIMESTAMPTZ NOT NULL
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
    whatsapp_opt_in BOOLEAN NOT NULL,
    messenger_psid  TEXT,
    address_line1   TEXT,
    address_line2   TEXT,
    postal_code     TEXT,
    city            TEXT,
    country         TEXT,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE invoices (
    id          BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    number      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    issued_on   DATE NOT NULL,
    due_on      DATE NOT NULL,
    currency    TEXT NOT NULL,
    amount_due  NUMERIC(20, 4) NOT NULL CHECK (amount_due > 0),
    amount_paid NUMERIC(20, 4) NOT NULL,
    plan        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant, number),
    FOREIGN KEY (tenant, debtor_id) REFERENCES debtors (tenant, id)
);

CREATE TABLE invoice_lines (
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    position    INTEGER NOT NULL,
    sku         TEXT,
    description TEXT NOT NULL,
    quantity    NUMERIC(20, 4) NOT NULL,
    unit_price  NUMERIC(20, 4) NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

CREATE TABLE cases (
    id              BIGSERIAL PRIMARY KEY,
    invoice_id      BIGINT NOT NULL UNIQUE REFERENCES invoices (id),
    state           TEXT NOT NULL,
    stages_planned  INTEGER NOT NULL,
    next_action_at  TIMESTAMPTZ,
    opened_at       TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_due ON cases (next_action_at) WHERE state IN ('open', 'reminding');

CREATE TABLE reminders (
    id              BIGSERIAL PRIMARY KEY,
    case_id         BIGINT NOT NULL REFERENCES cases (id),
    stage           INTEGER NOT NULL,
    stage_name      TEXT NOT NULL,
    tone            TEXT NOT NULL,
    fee             NUMERIC(20, 4) NOT NULL,
    channel         TEXT NOT NULL,
    send_at         TIMESTAMPTZ NOT NULL,
    local_hour      SMALLINT NOT NULL,
    context         JSONB NOT NULL,
    propensity      DOUBLE PRECISION NOT NULL,
    policy_version  TEXT NOT NULL,
    status          TEXT NOT NULL,
    lease_until     TIMESTAMPTZ,
    attempts        INTEGER NOT NULL,
    last_error      TEXT,
    provider_id     TEXT,
    idempotency_key TEXT NOT NULL,  -- rem-<case>-<stage>: unique through UNIQUE (case_id, stage)
    reward          DOUBLE PRECISION,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (case_id, stage)
) WITH (fillfactor = 80);  -- room for HOT updates of the lease
CREATE INDEX reminders_due ON reminders (send_at) WHERE status = 'scheduled';

CREATE TABLE payments (
    id          BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    invoice_id  BIGINT NOT NULL REFERENCES invoices (id),
    amount      NUMERIC(20, 4) NOT NULL,
    currency    TEXT NOT NULL,
    paid_at     TIMESTAMPTZ NOT NULL,
    source      TEXT NOT NULL,
    reference   TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant, source, reference)
);

CREATE TABLE intake_rejections (
    id              BIGSERIAL PRIMARY KEY,
    received_at     TIMESTAMPTZ NOT NULL,
    routing_key     TEXT NOT NULL,
    field           TEXT NOT NULL,
    reason          TEXT NOT NULL,
    tenant          TEXT,
    invoice_number  TEXT,
    payload         BYTEA NOT NULL
);

CREATE TABLE events (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    kind    TEXT NOT NULL,
    case_id BIGINT REFERENCES cases (id),
    data    JSONB NOT NULL
);
