-- +goose Up
-- Two-factor sign-in. A user's TOTP secret, sealed and bound to the user,
-- is enabled once a first code confirmed it; last_step is the last time
-- step a code was accepted for, so that each code works once.
CREATE TABLE user_totp (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    enabled_at TIMESTAMP,
    last_step  BIGINT NOT NULL DEFAULT 0
);
-- A user's single-use recovery codes, kept as the SHA-256 of the code.
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);
-- Sign-ins whose password was right and which wait for their second step
-- (a code, or the enrolment the partner requires), kept as the SHA-256 of
-- the token their cookie carries.
CREATE TABLE sign_in_challenges (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next_path  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    failures   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_challenges_expiry_idx ON sign_in_challenges (expires_at);
-- Whom the partner requires two-factor sign-in of.
ALTER TABLE partners ADD COLUMN require_2fa_admins BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE partners ADD COLUMN require_2fa_customers BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE partners DROP COLUMN require_2fa_customers;
ALTER TABLE partners DROP COLUMN require_2fa_admins;
DROP TABLE sign_in_challenges;
DROP TABLE recovery_codes;
DROP TABLE user_totp;
