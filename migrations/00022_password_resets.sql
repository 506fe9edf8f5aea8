-- +goose Up
-- Password resets by e-mail: a single-use link, kept as the SHA-256 of its
-- token, that expires. The e-mail is written in the same transaction (the
-- outbox).
CREATE TABLE password_resets (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id, created_at);

-- +goose Down
DROP TABLE password_resets;
