-- The shop webhook after payment (issue 18): `recommendation.created` POSTed to the creditor's
-- shop. An outbox like the thank-you messages': queued by the post-payment hook in the hook
-- runner's transaction (at most one per case, with the body as it will be signed and sent),
-- delivered by the recommender role's sender, which leases a delivery before the POST and
-- records the answer right after; a shop that is down is tried again with backoff.
CREATE TABLE shop_webhooks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         INTEGER NOT NULL UNIQUE REFERENCES cases (id),
    tenant          TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX shop_webhooks_due ON shop_webhooks (next_attempt_at) WHERE status = 'pending';

-- Conversions (issue 18): each recommended item of a case, so that later purchases of the same
-- debtor can be matched to it by key; and each (recommendation, SKU) found bought later, once.
CREATE TABLE recommended_items (
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    sku            TEXT NOT NULL,
    tenant         TEXT NOT NULL,
    debtor_id      TEXT NOT NULL,
    invoice_id     INTEGER NOT NULL,
    model_version  BIGINT NOT NULL,
    recommended_at TEXT NOT NULL,
    PRIMARY KEY (case_id, sku)
);
CREATE INDEX recommended_items_recent ON recommended_items (recommended_at);
CREATE INDEX issued_lines_debtor ON issued_lines (tenant, debtor_id, sku);
CREATE INDEX invoices_debtor ON invoices (tenant, debtor_id);
-- The recommendations stored before this table existed.
INSERT INTO recommended_items (case_id, sku, tenant, debtor_id, invoice_id, model_version, recommended_at)
SELECT r.case_id, json_extract(item.value, '$.sku'), r.tenant, i.debtor_id, i.id, r.model_version, r.created_at
FROM recommendations r JOIN cases c ON c.id = r.case_id JOIN invoices i ON i.id = c.invoice_id,
     json_each(r.items) AS item
WHERE true
ON CONFLICT DO NOTHING;

CREATE TABLE recommendation_conversions (
    case_id        INTEGER NOT NULL,
    sku            TEXT NOT NULL,
    invoice_number TEXT NOT NULL,        -- the later invoice the SKU was bought in
    recorded_at    TEXT NOT NULL,
    PRIMARY KEY (case_id, sku),
    FOREIGN KEY (case_id, sku) REFERENCES recommended_items (case_id, sku)
);
