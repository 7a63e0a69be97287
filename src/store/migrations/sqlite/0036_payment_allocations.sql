-- How each payment was applied when it was recorded (§§ 366, 367 BGB): per invoice it went to,
-- the part that paid costs (fees), interest and principal, and why that invoice (`stated`: the
-- debtor named it, § 366 (1); `due_first`: § 366 (2)). Computed by the legal engine's allocation
-- (src/domain/legal/allocation.rs, through `CaseClaim::allocation_of`) in the transaction that
-- records the payment; a replayed payment is no new payment and adds no rows. What a payment
-- left over beyond everything owed is its amount less the sum of its rows. Payments recorded
-- before this table existed have no rows: the breakdown still shows how they apply.
CREATE TABLE payment_allocations (
    payment_id  INTEGER NOT NULL REFERENCES payments (id),
    position    INTEGER NOT NULL,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    rule        TEXT NOT NULL,
    costs       TEXT NOT NULL,
    interest    TEXT NOT NULL,
    principal   TEXT NOT NULL,
    PRIMARY KEY (payment_id, position)
);
CREATE INDEX payment_allocations_by_invoice ON payment_allocations (invoice_id);
