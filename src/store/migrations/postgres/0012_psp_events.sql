-- The webhook events a payment provider (Stripe) delivered, by the provider's event id: recorded
-- in the transaction that acts on the event, so a replayed or retried delivery finds its id here
-- and changes nothing.
CREATE TABLE psp_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, event_id)
);
