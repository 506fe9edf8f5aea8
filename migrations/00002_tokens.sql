-- +goose Up
-- Tokens: every Biscuit block the portal mints or attenuates, keyed by its
-- revocation id, with the principal it was issued to and what it restricts.
-- Blocks a holder appends offline are not recorded: they can only narrow.
-- Portable to SQLite and PostgreSQL: TEXT ids, TIMESTAMP columns in UTC.

CREATE TABLE token_blocks (
    -- hex of the block's revocation id (its signature)
    revocation_id TEXT PRIMARY KEY,
    -- revocation id of the previous block, '' for an authority block
    parent_id     TEXT NOT NULL DEFAULT '',
    partner_id    TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    customer_id   TEXT,
    user_id       TEXT,
    label         TEXT NOT NULL DEFAULT '',
    block_index   INTEGER NOT NULL,
    -- the block's own restriction, as JSON
    restriction   TEXT NOT NULL,
    session_id    TEXT,
    expires_at    TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP
);
CREATE INDEX token_blocks_partner_idx ON token_blocks (partner_id, created_at);
CREATE INDEX token_blocks_session_idx ON token_blocks (session_id);

-- +goose Down
DROP TABLE token_blocks;
