-- What the policy could choose from when it decided (see the PostgreSQL migration 0004).
ALTER TABLE reminders ADD COLUMN allowed TEXT;
