-- Each inbound message is recorded once, by the provider's id of it (Twilio's `MessageSid`,
-- issue 22): Twilio's inbound webhook carries no time of its own, so the API stamps the time of
-- receipt, and a captured signed request sent again would otherwise move the contact's last
-- inbound time forward (and, with it, the chat channels' 24-hour window). Only the id is kept:
-- no sender, no text.
CREATE TABLE inbound_messages (
    channel     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, message_id)
);
