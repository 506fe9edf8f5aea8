-- +goose Up
-- Invitations to join a partner as an admin (customer_id NULL) or a
-- customer as a member: a signed, single-use, expiring link (its token kept
-- as a SHA-256), sent by e-mail through the outbox; a resend replaces the
-- token. The invitee sets their password on accepting.
CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id TEXT REFERENCES customers (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    member_role TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    language    TEXT NOT NULL DEFAULT '',
    token_hash  TEXT NOT NULL UNIQUE,
    invited_by  TEXT NOT NULL,
    sends       INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    revoked_at  TIMESTAMP
);
CREATE INDEX invitations_partner_idx ON invitations (partner_id, customer_id);

-- +goose Down
DROP TABLE invitations;
