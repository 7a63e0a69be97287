-- A provider's message that carries a consent keyword (Twilio's MessageSid of a STOP or START)
-- is recorded once per debtor, however often the signed request is replayed: a replayed START
-- must not undo a later STOP. Events without a provider id (unsubscribe links, the creditor's
-- opt-in claims) are unaffected.
ALTER TABLE consents ADD COLUMN provider_event_id TEXT;
CREATE UNIQUE INDEX consents_provider_event ON consents (tenant, debtor_id, channel, source, provider_event_id)
    WHERE provider_event_id IS NOT NULL;
