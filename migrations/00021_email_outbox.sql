-- +goose Up
-- Outgoing e-mail, written in the same transaction as what it tells of
-- (an invitation, a reset) and sent by the outbox's workers: kept while the
-- SMTP server is down, retried with a growing delay, and enqueued once per
-- dedupe_key whatever the retries of the request that wrote it. A worker
-- leases a message before sending it, so that two instances never send
-- the same one at once.
CREATE TABLE email_outbox (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    dedupe_key      TEXT NOT NULL UNIQUE,
    from_name       TEXT NOT NULL,
    from_address    TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    leased_until    TIMESTAMP,
    leased_by       TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX email_outbox_due_idx ON email_outbox (sent_at, next_attempt_at);

-- +goose Down
DROP TABLE email_outbox;
