-- The debtor's side of a case (the pay-page): promises to pay and disputes.
--
-- A promise pauses dunning until `resume_at` (the promised date plus the creditor's grace); it
-- ends kept (the case was paid), broken (the date passed unpaid: dunning resumes) or replaced.
-- At most one promise per case is open.
CREATE TABLE promises (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    promised_on DATE NOT NULL,
    resume_at   TIMESTAMPTZ NOT NULL,
    state       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX promises_open ON promises (case_id) WHERE state = 'open';

-- A dispute holds the case until the creditor resolves it. At most one per case is open.
CREATE TABLE disputes (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    reason      TEXT NOT NULL,
    details     TEXT NOT NULL,
    opened_at   TIMESTAMPTZ NOT NULL,
    resolution  TEXT,
    resolved_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX disputes_open ON disputes (case_id) WHERE resolved_at IS NULL;

-- Paused cases with a time to resume (a promise's end) are found by that time.
CREATE INDEX cases_resume ON cases (next_action_at) WHERE state = 'paused';

-- An instalment plan the debtor chose on the pay-page within the creditor's rules: one row per
-- instalment. `paid_before` is what had been paid on the invoice when the plan began; payments
-- beyond it count towards the instalments in order.
CREATE TABLE instalments (
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    seq         INTEGER NOT NULL,
    due_on      DATE NOT NULL,
    amount      NUMERIC(20, 4) NOT NULL,
    paid_before NUMERIC(20, 4) NOT NULL,
    state       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ,
    PRIMARY KEY (case_id, seq)
);
