-- +goose Up
-- Audit: an append-only log of security-relevant events, per partner: sign-ins,
-- token mints, attenuations and revocations, and every write a console or API
-- user makes. Rows are inserted, never updated; they go with their partner.
-- Portable to SQLite and PostgreSQL: TEXT ids made in Go, TIMESTAMP in UTC.

CREATE TABLE audit_events (
    id             TEXT PRIMARY KEY,
    partner_id     TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    at             TIMESTAMP NOT NULL,
    -- who acted: 'user', 'token', 'operator' or 'system'
    actor_kind     TEXT NOT NULL,
    actor_id       TEXT NOT NULL DEFAULT '',
    -- the actor's e-mail address or token label, as it was at the time
    actor_label    TEXT NOT NULL DEFAULT '',
    -- what was done, dotted: 'auth.sign_in', 'token.mint', 'app.create', ...
    action         TEXT NOT NULL,
    -- the resource acted on (an application, add-on, customer or token id)
    target         TEXT NOT NULL DEFAULT '',
    -- hex revocation ids of the token blocks the request carried, space-separated
    revocation_ids TEXT NOT NULL DEFAULT '',
    -- 'ok', 'denied' or 'error'
    outcome        TEXT NOT NULL,
    -- a short note, never a secret
    detail         TEXT NOT NULL DEFAULT '',
    request_id     TEXT NOT NULL DEFAULT '',
    CHECK (actor_kind IN ('user', 'token', 'operator', 'system')),
    CHECK (outcome IN ('ok', 'denied', 'error'))
);
CREATE INDEX audit_events_partner_at_idx ON audit_events (partner_id, at);

-- +goose Down
DROP TABLE audit_events;
