-- The operator console (issue 21): who may do what, and what operators did.

-- Operator accounts, one set per tenant. `role` is viewer, agent or admin; the password is kept
-- only as an argon2id PHC string.
CREATE TABLE operators (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant        TEXT NOT NULL,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'agent', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (tenant, email)
);

-- Logged-in sessions, by the SHA-256 of their cookie's token (the token itself is never
-- stored), with the CSRF token cookie-authenticated writes must echo.
CREATE TABLE operator_sessions (
    token_hash  TEXT PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators (id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Failed logins per account, for throttling; shared by every `api` process.
CREATE TABLE login_failures (
    tenant TEXT NOT NULL,
    email  TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (tenant, email, at);

-- API keys for machines, by the SHA-256 of the key (shown once, when created).
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Every operator intervention: who, when, what, and the state before and after (JSON).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant    TEXT NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    case_id   BIGINT REFERENCES cases (id),
    debtor_id TEXT,
    before    TEXT NOT NULL,
    after     TEXT NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant, id);
CREATE INDEX audit_log_case ON audit_log (case_id);

-- The console's case list pages by case id within a tenant.
CREATE INDEX invoices_tenant ON invoices (tenant, id);
