-- What the policy could choose from when it decided: {"channels": [...], "hours": [...]}. The
-- decision log (DESIGN.md) carries it, so that analysts can evaluate other policies off-policy.
-- NULL for reminders planned before this column existed.
ALTER TABLE reminders ADD COLUMN allowed JSONB;
