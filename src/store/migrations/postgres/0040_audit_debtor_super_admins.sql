-- The console's remaining gaps (issue 21).

-- The audit log filtered by debtor (`GET /api/v1/audit?debtor_id=`, the debtor page's last
-- Mahnstopp and its lift) read every entry of the tenant: an index by tenant and debtor, newest
-- last, so that the newest entries of one debtor are one short range.
CREATE INDEX audit_log_debtor ON audit_log (tenant, debtor_id, id) WHERE debtor_id IS NOT NULL;

-- The installation's super-admins: accounts of no tenant, made only from the command line
-- (`mahnwerk operators add --super-admin`). Kept apart from `operators`, so that no query of a
-- tenant's operators can ever return one. The password is kept only as an argon2id PHC string.
CREATE TABLE super_admins (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- A super-admin's sessions, by the SHA-256 of their cookie's token, with the tenant chosen to act
-- for (none until one is chosen) and the CSRF token writes must echo.
CREATE TABLE super_admin_sessions (
    token_hash     TEXT PRIMARY KEY,
    super_admin_id BIGINT NOT NULL REFERENCES super_admins (id),
    csrf_token     TEXT NOT NULL,
    acting_tenant  TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);
