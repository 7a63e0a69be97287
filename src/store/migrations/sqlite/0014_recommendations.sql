-- Product recommendations after payment (issue 18).

-- A tenant's catalogue: only active items are ever recommended. Written by
-- `mahnwerk catalogue import` and the intake kind `catalogue.item`; a later import of a SKU
-- replaces its row.
CREATE TABLE catalogue_items (
    tenant      TEXT NOT NULL,
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    category    TEXT NOT NULL,
    active      INTEGER NOT NULL,
    repeatable  INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant, sku)
);

-- Invoice lines of invoices that were issued but never dunned (`invoice.issued`): purchase
-- history only. Keyed like invoice lines, so a replayed message adds nothing.
CREATE TABLE issued_lines (
    tenant         TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    position       INTEGER NOT NULL,
    debtor_id      TEXT NOT NULL,
    segment        TEXT NOT NULL,
    sku            TEXT NOT NULL,
    issued_on      TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    amount_cents   BIGINT NOT NULL,
    PRIMARY KEY (tenant, invoice_number, position)
);

-- Fitted recommenders (`RecommenderSnapshot` as JSON), one row per fit; the newest of a tenant
-- is served. `version` is the model version events name.
CREATE TABLE recommender_snapshots (
    version    INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    lines      BIGINT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX recommender_snapshots_tenant ON recommender_snapshots (tenant, version);

-- Cases a payment closed, waiting for the post-payment hooks: written in the payment's
-- transaction (an outbox), handled once by the hook runner.
CREATE TABLE paid_cases (
    case_id    INTEGER PRIMARY KEY REFERENCES cases (id),
    paid_at    TEXT NOT NULL,
    handled_at TEXT
);
CREATE INDEX paid_cases_pending ON paid_cases (case_id) WHERE handled_at IS NULL;

-- What the recommendation hook showed for a case: the thank-you page lists it, click links
-- point into it by rank.
CREATE TABLE recommendations (
    case_id       INTEGER PRIMARY KEY REFERENCES cases (id),
    tenant        TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    items         TEXT NOT NULL
);
