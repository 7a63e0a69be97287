-- The claim statement (Forderungsaufstellung) of each escalation, fixed on the day the case
-- escalated: the JSON of `ClaimStatement` (src/domain/legal/statement.rs). A case that escalates
-- again (after a failed payment reopened it) gets another row; an export shows the latest.
CREATE TABLE claim_statements (
    id            BIGSERIAL PRIMARY KEY,
    tenant        TEXT NOT NULL,
    case_id       BIGINT NOT NULL REFERENCES cases (id),
    escalated_at  TIMESTAMPTZ NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX claim_statements_escalated ON claim_statements (escalated_at);
CREATE INDEX claim_statements_case ON claim_statements (case_id);
