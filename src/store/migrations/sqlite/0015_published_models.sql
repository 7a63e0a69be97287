-- Models an analyst published (see the PostgreSQL migration 0016_published_models.sql for the why).
CREATE TABLE published_models (
    version       INTEGER PRIMARY KEY,
    published_at  TEXT NOT NULL,
    published_by  TEXT NOT NULL,
    note          TEXT NOT NULL,
    evaluation    TEXT,
    restores      INTEGER,
    body          TEXT NOT NULL
);
