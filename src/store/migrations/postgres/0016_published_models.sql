-- Models an analyst published (`mahnwerk-train publish`, `rollback`): who, when, why, and the
-- evaluation that justified it. Publishing also writes the model as the newest policy snapshot,
-- in the same transaction, so running schedulers hot-reload it through their usual poll of
-- `policy_snapshots` and the learner continues from it; `version` is that snapshot's version,
-- the `bandit-v<N>` every decision made with it records.
--
-- The body is kept here as well: `policy_snapshots` holds only the newest few snapshots, and a
-- rollback must find the published model long after the learner has written past it.
CREATE TABLE published_models (
    version       BIGINT PRIMARY KEY,
    published_at  TIMESTAMPTZ NOT NULL,
    published_by  TEXT NOT NULL,
    note          TEXT NOT NULL,
    evaluation    TEXT,            -- `mahnwerk-train evaluate --json` output (checked JSON); NULL when none given
    restores      BIGINT,          -- a rollback: the published version whose model this is again
    body          TEXT NOT NULL    -- mahnwerk_models::bandit::Snapshot as JSON
);
